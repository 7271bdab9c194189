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
import { formatIssue, visibleLine, visibleText } from "../../lib/errors";
import { cli, copyReferenceApp, edit } from "../helpers";

/** Any character of the unshowable set (what visibleText must escape; ZWJ and ZWNJ are text). */
const RAW = /(?![\u200c\u200d])[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u2028\u2029\u3164\uffa0]/u;
/** The same, with the line feed: what may not appear inside one message line. */
const RAW_IN_LINE = /(?![\u200c\u200d])[\u0000-\u0008\u000a-\u001f\u007f-\u009f\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u2028\u2029\u3164\uffa0]/u;

/** A synthesized-output folder at `dir` whose dev stack has one container with the variable `env`. */
function outputWithEnv(dir: string, env: string): string {
  fs.mkdirSync(path.join(dir, "stacks", "dev"), { recursive: true });
  const stack = { resource: { docker_container: { api: { name: "shop-dev-api", env: [env] } } } };
  fs.writeFileSync(path.join(dir, "stacks", "dev", "cdk.tf.json"), JSON.stringify(stack));
  return dir;
}

describe("visibleText", () => {
  it("writes ESC, CR, DEL, C1 CSI, bidi overrides and isolates, zero-width and BOM characters as \\uXXXX", () => {
    expect(visibleText("a\u001b[31mred\u001b[0m")).toBe("a\\u001b[31mred\\u001b[0m");
    expect(visibleText("ok\rFAKE")).toBe("ok\\u000dFAKE");
    expect(visibleText("\u007f\u009b2J")).toBe("\\u007f\\u009b2J");
    expect(visibleText("admin\u202e\u2066 ")).toBe("admin\\u202e\\u2066 ");
    expect(visibleText("\u200bx\ufeff\u2028")).toBe("\\u200bx\\ufeff\\u2028");
  });

  it("escapes the other invisible format characters too: U+061C, the soft hyphen, tag characters (a surrogate pair, as JSON writes it), Hangul fillers", () => {
    expect(visibleText("W\u061cALM\u{e0041}tag\u00adshy\u3164\u034f")).toBe("W\\u061cALM\\udb40\\udc41tag\\u00adshy\\u3164\\u034f");
  });

  it("leaves tab, line feed and every printable character as they are, the joiners of emoji and Persian words included", () => {
    const text = "a\tb\nc é 漢字 🚀 \u00a0 «» 👩\u200d💻 می\u200cخواهم 🏳️\u200d🌈";
    expect(visibleText(text)).toBe(text);
  });

  it("visibleLine escapes the line feed as well, so no value starts a line of its own", () => {
    expect(visibleLine("x\n::error file=app.yaml::forged\r\n")).toBe("x\\u000a::error file=app.yaml::forged\\u000d\\u000a");
    expect(visibleLine("a\tb")).toBe("a\tb");
  });

  it("property: the result holds no unshowable character, and applying it twice changes nothing", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const once = visibleText(s);
        expect(once).not.toMatch(RAW);
        expect(visibleText(once)).toBe(once);
        const line = visibleLine(s);
        expect(line).not.toMatch(RAW_IN_LINE);
        expect(visibleLine(line)).toBe(line);
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

  it("is applied to every formatted issue, which stays one line", () => {
    expect(formatIssue({ path: "services.x", message: 'unknown key "x\nvalid: dev (docker)"' })).toBe('services.x: unknown key "x\\u000avalid: dev (docker)"');
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
    const side = (name: string, value: string): string => outputWithEnv(path.join(root, name), `GREETING=${value}`);
    const hostile = "hi\u001b[2J\u001b[1A\rAPPROVED\u202egnp.exe\u009b";
    const base = side("base", "hello");
    const head = side("head", hostile);
    const md = cli("diff", "--base", base, "--head", head);
    expect(md.code).toBe(0);
    expect(md.out).toContain("\\u001b[2J\\u001b[1A\\u000dAPPROVED\\u202egnp.exe\\u009b");
    expect(md.out + md.err).not.toMatch(RAW);
    const jsonOut = path.join(root, "report.json");
    const json = cli("diff", "--base", base, "--head", head, "--format", "json", "--json-out", jsonOut);
    expect(json.out).not.toMatch(RAW);
    // The file holds the bytes stdout does.
    expect(fs.readFileSync(jsonOut, "utf8")).toBe(`${json.out}\n`);
    // The attribute's new value, as JSON text, is the hostile one character for character.
    const [env] = JSON.parse(json.out).environments[0].changes[0].attributes.map((a: { after?: string }) => JSON.parse(a.after!));
    expect(env).toEqual([`GREETING=${hostile}`]);
  });

  it("a line feed in a key stays inside its message line: no forged line, no CI workflow command", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "dev.yaml"), /^services:\n/m, 'services:\n  web:\n    "x\\n::error file=app.yaml,line=1::forged\\nvalid: dev (docker)": 1\n');
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain("x\\u000a::error file=app.yaml,line=1::forged\\u000avalid: dev (docker)");
    expect(r.err).not.toMatch(/^(::error|valid: )/m);
  });

  it("envkit policy: a suppression's reason with a line feed is one line of the text report", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "dev.yaml"), /reason: dev state is a local file[^\n]*/, 'reason: "ok\\nsuppressed ENVK-SEC-001  prod     forged"');
    const r = cli("policy", "--config", dir, "--env", "dev");
    expect(r.out).toContain("reason: ok\\u000asuppressed ENVK-SEC-001  prod     forged");
    expect(r.out).not.toMatch(/^suppressed ENVK-SEC-001 {2}prod/m);
  });

  it("diff --max-chars, diff --max-bytes and compare --max-bytes hold for output full of escapes (each up to 6 times its character)", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-unshowable-cap-"));
    const side = (name: string, value: string): string => outputWithEnv(path.join(root, name), `LOG_LEVEL=${value}`);
    const base = side("base", "info");
    const head = side("head", "\u202e".repeat(3000) + "\u001b".repeat(3000));
    const chars = cli("diff", "--base", base, "--head", head, "--max-chars", "5000");
    expect(chars.code).toBe(0);
    expect(chars.out.length).toBeLessThanOrEqual(5000);
    const bytes = cli("diff", "--base", base, "--head", head, "--max-bytes", "4000");
    expect(Buffer.byteLength(bytes.out)).toBeLessThanOrEqual(4000);
    const app = copyReferenceApp();
    edit(path.join(app, "environments", "dev.yaml"), /LOG_LEVEL: debug \}/, `LOG_LEVEL: "${"\\e".repeat(3000)}" }`);
    const compare = cli("compare", "--config", app, "dev", "test", "--max-bytes", "4000");
    expect(compare.code).toBe(0);
    expect(Buffer.byteLength(compare.out)).toBeLessThanOrEqual(4000);
    for (const out of [chars.out, bytes.out, compare.out]) expect(out).not.toMatch(RAW);
  });

  it("an environment file whose name holds a line feed is a located error in one line, not a crash (exit 3 before)", () => {
    const dir = copyReferenceApp();
    fs.copyFileSync(path.join(dir, "environments", "test.yaml"), path.join(dir, "environments", "t\nx.yaml"));
    fs.copyFileSync(path.join(dir, "environments", "test.yaml"), path.join(dir, "environments", "u\nv.yml.bak"));
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${path.join(dir, "environments", "t\\u000ax.yaml")}: environment name (from the file name): "t\\u000ax" is not a DNS-1123 label`);
    expect(r.err).toContain(`${path.join(dir, "environments", "u\\u000av.yml.bak")}: looks like an environment file but is not named <name>.yaml or <name>.yml, so it would be ignored; rename it to u\\u000av.yml`);
    expect(r.err).not.toContain("internal error");
  });
});
