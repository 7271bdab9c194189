import fc from "fast-check";
import { stringify } from "yaml";
import { formatIssue } from "../../lib/errors";
import { parseYaml, namedPath } from "../../lib/config/yaml-source";
import * as yamlFast from "../../lib/config/yaml-fast";
import { validateDir } from "../../lib/pipeline";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { edit } from "../helpers";

describe("YAML with positions", () => {
  it("records the line of every key, addressing named list items by name", () => {
    const text = ["name: shop", "services:", "  web:", "    ports:", "      - name: http", "        port: 8080"].join("\n");
    const r = parseYaml("app.yaml", text);
    expect(r.doc!.lines.get("name")).toBe(1);
    expect(r.doc!.lines.get("services.web")).toBe(3);
    expect(r.doc!.lines.get("services.web.ports.http")).toBe(5);
    expect(r.doc!.lines.get("services.web.ports.http.port")).toBe(6);
  });

  it("finds the lines only when first asked for, with one more read of the text, and then keeps them", () => {
    const read = jest.spyOn(yamlFast, "parseFast");
    try {
      const r = parseYaml("app.yaml", "name: shop\nservices:\n  web:\n    image: nginx\n");
      expect(read.mock.calls.map((c) => c[2])).toEqual([false]);
      expect(r.doc!.lines.get("services.web.image")).toBe(4);
      expect(r.doc!.lines.get("services")).toBe(2);
      expect(read.mock.calls.map((c) => c[2])).toEqual([false, undefined]);
    } finally {
      read.mockRestore();
    }
  });

  it("reads no line while validating an application without a finding (lines are for messages and explain)", () => {
    const read = jest.spyOn(yamlFast, "parseFast");
    try {
      const project = validateDir(path.join(__dirname, "..", "..", "examples", "minimal"));
      expect(project.issues).toEqual([]);
      expect(read.mock.calls.map((c) => c[2])).toEqual([false, false]);
      // A message does: the same application with a port out of range names its line.
      read.mockClear();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-lines-"));
      fs.cpSync(path.join(__dirname, "..", "..", "examples", "minimal"), dir, { recursive: true });
      edit(path.join(dir, "app.yaml"), "port: 8080", "port: 80800");
      const bad = validateDir(dir);
      expect(bad.issues.map((i) => [i.file, i.line, i.path])).toEqual([[path.join(dir, "app.yaml"), 9, "services.web.ports.http.port"]]);
      expect(read.mock.calls.filter((c) => c[2] !== false).length).toBeGreaterThan(0);
      fs.rmSync(dir, { recursive: true, force: true });
    } finally {
      read.mockRestore();
    }
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

  it("treats 1 and \"1\" as the same key (they become one key in the data)", () => {
    const r = parseYaml("env.yaml", 'release:\n  1: a\n  "1": b\n');
    expect(r.issues.map(formatIssue)).toEqual(["env.yaml:3: YAML syntax error: map keys must be unique; release.1 is written twice (the later one would silently win): keep one"]);
  });

  it("reports at most 20 YAML problems of a file, then how many more", () => {
    const r = parseYaml("env.yaml", `k: "${"\\q".repeat(5000)}"\n`);
    expect(r.issues).toHaveLength(21);
    expect(r.issues[20].message).toBe("has 4980 more YAML problems; fix the ones above first");
  });

  it("never throws, whatever the text (property)", () => {
    const piece = fc.constantFrom("a", "b: ", "- ", "[", "]", "{", "}", ", ", "&x ", "*x", "!t ", "!!binary ", "? ", "|", ">", '"', "'", "\\", "#", "\n", "  ", "---\n", "%YAML 1.1\n", "__proto__: ", "TfToken[", "\t", "\u0000", "\ufeff");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 60 }), (parts) => {
        const r = parseYaml("x.yaml", parts.join(""));
        for (const i of r.issues) expect(formatIssue(i)).toMatch(/^x\.yaml(:\d+)?: /);
      }),
      { numRuns: 500 },
    );
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
