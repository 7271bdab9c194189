/*
 * An environment variable written as an unquoted number YAML reads otherwise (`3.10` is 3.1,
 * `0755` is 755, `0x1F` is 31, `1e3` is 1000) is an error at its line that says what the
 * container would get and to quote it: before, the container silently got the digits as
 * JavaScript prints them (found from outside, 2026-12-03).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cli, copyReferenceApp, edit } from "../helpers";

const API_ENV = "    env:\n      NODE_ENV: production\n";

function errorsWith(appEnv: string, files: Record<string, [string | RegExp, string]> = {}): string[] {
  const dir = copyReferenceApp();
  edit(path.join(dir, "app.yaml"), API_ENV, `    env:\n${appEnv}      NODE_ENV: production\n`);
  for (const [file, [from, to]] of Object.entries(files)) edit(path.join(dir, file), from, to);
  const r = cli("validate", "--config", dir);
  return r.err
    .split("\n")
    .filter((l) => l.includes("is read by YAML as the number"))
    .map((l) => l.split(`${dir}${path.sep}`).join(""));
}

describe("environment variables keep the text they were written as", () => {
  it("reports each unquoted number that YAML reads otherwise, once, at its app.yaml line", () => {
    expect(errorsWith("      V: 3.10\n      OCT: 0755\n      HEX: 0x1F\n      E: 1e3\n      BIG: 12345678901234567890\n")).toEqual([
      'app.yaml:26: services.api.env.V: 3.10 is read by YAML as the number 3.1, so the container would get "3.1"; quote it ("3.10") to pass the text as written',
      'app.yaml:27: services.api.env.OCT: 0755 is read by YAML as the number 755, so the container would get "755"; quote it ("0755") to pass the text as written',
      'app.yaml:28: services.api.env.HEX: 0x1F is read by YAML as the number 31, so the container would get "31"; quote it ("0x1F") to pass the text as written',
      'app.yaml:29: services.api.env.E: 1e3 is read by YAML as the number 1000, so the container would get "1000"; quote it ("1e3") to pass the text as written',
      'app.yaml:30: services.api.env.BIG: 12345678901234567890 is read by YAML as the number 12345678901234567000, so the container would get "12345678901234567000"; quote it ("12345678901234567890") to pass the text as written',
    ]);
  });

  it("accepts numbers that print as written, and quoted text", () => {
    expect(errorsWith("      PORT: 8080\n      RATIO: 1.5\n      NEG: -3\n      V: '3.10'\n      OCT: \"0755\"\n")).toEqual([]);
  });

  it("in flow style, and on the careful YAML path (a document with an anchor)", () => {
    expect(errorsWith("      V: &v 3.10\n")).toEqual([expect.stringMatching(/^app\.yaml:26: services\.api\.env\.V: 3\.10 is read by YAML as the number 3\.1/)]);
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), /^ {4}env:\n(?: {6}.*\n)+/m, "    env: { V: 3.10, NODE_ENV: production }\n");
    expect(cli("validate", "--config", dir).err).toMatch(/app\.yaml:25: services\.api\.env\.V: 3\.10 is read by YAML as the number 3\.1, so the container would get "3\.1"/);
  });

  it("judges a value an alias repeats (W: *n) as the anchored one, at the alias's line", () => {
    expect(errorsWith("      V: &n 0755\n      W: *n\n")).toEqual([
      'app.yaml:26: services.api.env.V: 0755 is read by YAML as the number 755, so the container would get "755"; quote it ("0755") to pass the text as written',
      'app.yaml:27: services.api.env.W: 0755 is read by YAML as the number 755, so the container would get "755"; quote it ("0755") to pass the text as written',
    ]);
  });

  it("judges a value an environment inherits through extends, with validate --env of the child alone", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "dev.yaml"), "  db:\n    backup: null\n", "  db:\n    env: { V: 3.10 }\n    backup: null\n");
    fs.writeFileSync(path.join(dir, "environments", "feat.yaml"), "target: docker\nextends: dev\nnetwork: { subnet: 10.250.0.0/16 }\n");
    const r = cli("validate", "--config", dir, "--env", "feat");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/dev\.yaml:\d+: services\.db\.env\.V: 3\.10 is read by YAML as the number 3\.1/);
  });

  it("judges the value an environment's file sets over app.yaml's, at that file's line", () => {
    const prod = fs.readFileSync(path.join(copyReferenceApp(), "environments", "prod.yaml"), "utf8");
    expect(prod).toMatch(/^ {2}api:\n/m);
    // app.yaml's 3.10 is replaced by prod's quoted text: nothing to report for prod, app.yaml's own line stays reported.
    expect(errorsWith("      V: 3.10\n", { "environments/prod.yaml": [/^ {2}api:\n/m, "  api:\n    env: { V: '3.10' }\n"] })).toEqual([
      'app.yaml:26: services.api.env.V: in environments "dev", "staging", "swarm", "test": 3.10 is read by YAML as the number 3.1, so the container would get "3.1"; quote it ("3.10") to pass the text as written',
    ]);
    // A quoted app.yaml value replaced by prod's unquoted 1.10: reported at prod's line only.
    expect(errorsWith("      V: '1.10'\n", { "environments/prod.yaml": [/^ {2}api:\n/m, "  api:\n    env: { V: 1.10 }\n"] })).toEqual([expect.stringMatching(/^environments\/prod\.yaml:\d+: services\.api\.env\.V: 1\.10 is read by YAML as the number 1\.1, so the container would get "1\.1"/)]);
  });
});
