import fc from "fast-check";
import { stringify } from "yaml";
import { parseYaml, namedPath } from "../../lib/config/yaml-source";

describe("YAML with positions", () => {
  it("records the line of every key, addressing named list items by name", () => {
    const text = ["name: shop", "services:", "  web:", "    ports:", "      - name: http", "        port: 8080"].join("\n");
    const r = parseYaml("app.yaml", text);
    expect(r.doc!.lines.get("name")).toBe(1);
    expect(r.doc!.lines.get("services.web")).toBe(3);
    expect(r.doc!.lines.get("services.web.ports.http")).toBe(5);
    expect(r.doc!.lines.get("services.web.ports.http.port")).toBe(6);
  });

  it("reports a syntax error with file and line", () => {
    const r = parseYaml("env.yaml", "target: docker\nrelease:\n  web: [unclosed\n");
    expect(r.doc).toBeUndefined();
    expect(r.issues[0].file).toBe("env.yaml");
    expect(r.issues[0].line).toBeGreaterThan(0);
    expect(r.issues[0].message).toMatch(/^YAML syntax error/);
  });

  it("rejects duplicate keys", () => {
    const r = parseYaml("env.yaml", "target: docker\ntarget: kubernetes\n");
    expect(r.issues.length).toBeGreaterThan(0);
    expect(r.issues[0].line).toBe(2);
  });

  it("converts zod index paths to named paths", () => {
    const data = { ports: [{ name: "http" }, { name: "admin" }], args: ["a", "b"] };
    expect(namedPath(data, ["ports", 1, "port"])).toEqual(["ports", "admin", "port"]);
    expect(namedPath(data, ["args", 1])).toEqual(["args", 1]);
  });

  it("finds a line for every key of any generated document (property)", () => {
    const k = fc.stringMatching(/^[a-z]{1,6}$/);
    const docArb = fc.dictionary(k, fc.oneof(fc.integer(), fc.dictionary(k, fc.string({ maxLength: 4 }), { maxKeys: 3 })), { minKeys: 1, maxKeys: 5 });
    fc.assert(
      fc.property(docArb, (d) => {
        const r = parseYaml("x.yaml", stringify(d));
        expect(r.issues).toEqual([]);
        expect(r.doc!.data).toEqual(d);
        for (const key of Object.keys(d)) expect(r.doc!.lines.get(key)).toBeGreaterThan(0);
      }),
    );
  });
});
