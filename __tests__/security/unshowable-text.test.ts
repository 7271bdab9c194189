/*
 * A control or bidirectional character from a hostile file (a pull request's environment file or
 * synthesized stack) never reaches a terminal, a CI log or a review comment as itself: an ESC
 * starts an ANSI sequence (colours, cursor moves, a cleared screen, an OSC 8 link), a CR rewrites
 * the line, and the bidi overrides reorder what a reviewer reads ("Trojan Source"). Every line the
 * CLI prints shows them as `\uXXXX` (found from outside, 2026-12-03: ANSI escapes passed into
 * `envkit diff` markdown).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { formatIssue, visibleText } from "../../lib/errors";
import { cli, copyReferenceApp, edit } from "../helpers";

/** Any character of the unshowable set (what visibleText must escape). */
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;

describe("visibleText", () => {
  it("writes ESC, CR, DEL, C1 CSI, bidi overrides and isolates, zero-width and BOM characters as \\uXXXX", () => {
    expect(visibleText("a\u001b[31mred\u001b[0m")).toBe("a\\u001b[31mred\\u001b[0m");
    expect(visibleText("ok\rFAKE")).toBe("ok\\u000dFAKE");
    expect(visibleText("\u007f\u009b2J")).toBe("\\u007f\\u009b2J");
    expect(visibleText("admin\u202e\u2066 ")).toBe("admin\\u202e\\u2066 ");
    expect(visibleText("\u200bx\ufeff\u2028")).toBe("\\u200bx\\ufeff\\u2028");
  });

  it("leaves tab, line feed and every printable character as they are", () => {
    const text = "a\tb\nc é 漢字 🚀 \u00a0 «»";
    expect(visibleText(text)).toBe(text);
  });

  it("property: the result holds no unshowable character, and applying it twice changes nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const once = visibleText(s);
        expect(once).not.toMatch(RAW);
        expect(visibleText(once)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it("property: JSON text stays the same document (the escape is JSON's own)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, key) => {
        const doc = { [key]: value };
        expect(JSON.parse(visibleText(JSON.stringify(doc)))).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: 300 },
    );
  });

  it("is applied to every formatted issue", () => {
    expect(formatIssue({ file: "environments/dev.yaml", line: 3, path: "services.api.image", message: 'bad value "x\u001b]8;;http://evil\u0007"' })).toBe(
      'environments/dev.yaml:3: services.api.image: bad value "x\\u001b]8;;http://evil\\u0007"',
    );
  });
});

describe("the CLI never prints an unshowable character from a hostile file", () => {
  it("envkit validate: an env value's ESC sequence in a message shows as \\u001b", () => {
    const dir = copyReferenceApp();
    // YAML's "\e" is ESC: a double-quoted value may hold any character.
    edit(path.join(dir, "app.yaml"), /^services:\n/m, 'services:\n  "evil\\e[2Jname\\u202e":\n    image: nginx\n');
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("evil\\u001b[2Jname\\u202e");
    expect(r.err + r.out).not.toMatch(RAW);
  });

  it("envkit diff: a stack value with ANSI and bidi characters shows escaped in markdown and JSON keeps the value", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-unshowable-"));
    const side = (name: string, value: string): string => {
      const dir = path.join(root, name);
      fs.mkdirSync(path.join(dir, "stacks", "dev"), { recursive: true });
      const stack = { resource: { docker_container: { api: { name: "shop-dev-api", env: [`GREETING=${value}`] } } } };
      fs.writeFileSync(path.join(dir, "stacks", "dev", "cdk.tf.json"), JSON.stringify(stack));
      return dir;
    };
    const hostile = "hi\u001b[2J\u001b[1A\rAPPROVED\u202egnp.exe\u009b";
    const base = side("base", "hello");
    const head = side("head", hostile);
    const md = cli("diff", "--base", base, "--head", head);
    expect(md.code).toBe(0);
    expect(md.out).toContain("\\u001b[2J\\u001b[1A\\u000dAPPROVED\\u202egnp.exe\\u009b");
    expect(md.out + md.err).not.toMatch(RAW);
    const json = cli("diff", "--base", base, "--head", head, "--format", "json");
    expect(json.out).not.toMatch(RAW);
    // The attribute's new value, as JSON text, is the hostile one character for character.
    const [env] = JSON.parse(json.out).environments[0].changes[0].attributes.map((a: { after?: string }) => JSON.parse(a.after!));
    expect(env).toEqual([`GREETING=${hostile}`]);
  });
});
