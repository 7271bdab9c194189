/**
 * Hostile and broken inputs (issue 9 §2 and §4). Every case runs the CLI in-process on a temporary
 * application folder and asserts exit 1, a located message (`file[:line]: path: message`) and,
 * where the input holds a secret or a foreign file, that neither stdout nor stderr shows it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { readConfigDir, readConfigFile, sourceFromObjects } from "../../lib/config/load";
import { MAX_CONFIG_BYTES, MAX_DEPTH, MAX_VALUES, parseYaml } from "../../lib/config/yaml-source";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { EnvkitError, formatIssue } from "../../lib/errors";
import * as synthModule from "../../lib/cli/commands/synth";
import * as validateModule from "../../lib/cli/commands/validate";
import { REFERENCE_APP, cli, copyReferenceApp, dockerEnv, edit, miniApp } from "../helpers";

const MINIMAL_APP = path.join(__dirname, "..", "..", "examples", "minimal");
const SECRET = "hunter2-Zq9";

/** A writable copy of examples/minimal (one service, environments/dev.yaml). */
function minimalApp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-hostile-"));
  fs.cpSync(MINIMAL_APP, dir, { recursive: true });
  return dir;
}

const write = (dir: string, rel: string, text: string | Buffer): string => {
  const file = path.join(dir, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};

/** Runs `envkit validate` on `dir`; asserts exit 1 and returns everything printed. */
function rejected(dir: string): string {
  const r = cli("validate", "--config", dir);
  expect({ code: r.code, stack: /\n\s+at /.test(r.err) }).toEqual({ code: 1, stack: false });
  return `${r.out}\n${r.err}`;
}

/** The issues an in-memory source throws, formatted. */
function objectIssues(app: unknown, envs: Record<string, unknown>): string {
  try {
    sourceFromObjects(app as AppConfig, envs as Record<string, EnvironmentConfig>);
  } catch (e) {
    if (e instanceof EnvkitError) return e.issues.map(formatIssue).join("\n");
    throw e;
  }
  throw new Error("sourceFromObjects accepted the input");
}

describe("§2 nothing is echoed", () => {
  it("does not echo a secret value written into a service's secrets list", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "secrets: [db_password, jwt_secret]", `secrets: [{name: db_password, value: ${SECRET}}]`);
    const text = rejected(dir);
    expect(text).toMatch(/app\.yaml:\d+: services\.api\.secrets\.db_password: expected string, got an object with keys name, value/);
    expect(text).not.toContain(SECRET);
  });

  it("does not echo a string written where the secrets list belongs", () => {
    const dir = minimalApp();
    edit(path.join(dir, "app.yaml"), "public: true", `public: true\n    secrets: ${SECRET}`);
    const text = rejected(dir);
    expect(text).toMatch(/app\.yaml:\d+: services\.web\.secrets: expected array, got a string \(not shown/);
    expect(text).not.toContain(SECRET);
  });

  it("does not echo a value under a secret-like env key that has the wrong type", () => {
    const dir = minimalApp();
    edit(path.join(dir, "app.yaml"), "public: true", `public: true\n    env: { DB_PASSWORD: { value: ${SECRET} } }`);
    const text = rejected(dir);
    expect(text).toMatch(/app\.yaml:\d+: services\.web\.env\.DB_PASSWORD: .*got an object with keys value/);
    expect(text).not.toContain(SECRET);
  });

  it("does not echo a numeric value under a secret-like key", () => {
    const dir = minimalApp();
    edit(path.join(dir, "app.yaml"), "public: true", "public: true\n    env: { API_TOKEN: [918273645] }");
    const text = rejected(dir);
    expect(text).toMatch(/services\.web\.env\.API_TOKEN: .*a list of 1 item/);
    expect(text).not.toContain("918273645");
  });

  it("refuses a backend credential without echoing it", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), /backend:\n/, `backend:\n  secretKey: ${SECRET}\n`);
    const text = rejected(dir);
    expect(text).toMatch(/prod\.yaml:\d+: backend\.secretKey: is not accepted here: credentials are never accepted/);
    expect(text).not.toContain(SECRET);
  });

  it("does not echo a password embedded in a URL from a type error", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\nservices:\n  web:\n    replicas: "postgres://u:${SECRET}@db/x"\n`);
    const text = rejected(dir);
    expect(text).toMatch(/dev\.yaml:5: services\.web\.replicas: expected number, got a string \(not shown/);
    expect(text).not.toContain(SECRET);
  });

  it("refuses an environment file that is a symlink to a file outside the application folder (/etc/passwd)", () => {
    const dir = minimalApp();
    fs.symlinkSync("/etc/passwd", path.join(dir, "environments", "qa.yaml"));
    const text = rejected(dir);
    expect(text).toContain(`${path.join(dir, "environments", "qa.yaml")}: is a symbolic link leading outside the application folder`);
    expect(text).not.toMatch(/root:|nologin|\/bin\/(ba)?sh/);
  });

  it("refuses an environments folder that is a symlink to a folder outside the application folder", () => {
    const dir = minimalApp();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-outside-"));
    write(outside, "prod.yaml", `target: docker\nrelease: { web: "${SECRET}" }\n`);
    fs.rmSync(path.join(dir, "environments"), { recursive: true });
    fs.symlinkSync(outside, path.join(dir, "environments"));
    const text = rejected(dir);
    expect(text).toContain(`${path.join(dir, "environments")}: is a symbolic link leading outside the application folder`);
    expect(text).not.toContain(SECRET);
  });

  it("still follows a symlink that stays inside the application folder", () => {
    const dir = minimalApp();
    fs.mkdirSync(path.join(dir, "shared"));
    fs.renameSync(path.join(dir, "app.yaml"), path.join(dir, "shared", "app.yaml"));
    fs.symlinkSync(path.join("shared", "app.yaml"), path.join(dir, "app.yaml"));
    expect(cli("validate", "--config", dir).code).toBe(0);
  });

  it("refuses, for other files of the folder (releases.yaml), a symlink leading outside it", () => {
    const dir = minimalApp();
    fs.symlinkSync("/etc/passwd", path.join(dir, "releases.yaml"));
    const r = readConfigFile(path.join(dir, "releases.yaml"), dir);
    expect(r.text).toBeUndefined();
    expect(formatIssue(r.issue!)).toMatch(/releases\.yaml: is a symbolic link leading outside the application folder/);
  });

  it("names a dangling symlink instead of crashing", () => {
    const dir = minimalApp();
    fs.symlinkSync(path.join(dir, "nowhere.yaml"), path.join(dir, "environments", "qa.yaml"));
    expect(rejected(dir)).toContain(`${path.join(dir, "environments", "qa.yaml")}: does not exist (a symbolic link to a missing file)`);
  });

  it("does not quote the source line in a YAML syntax error (block scalar header)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\njwt: |${SECRET}\n  x\n`);
    const text = rejected(dir);
    expect(text).toMatch(/dev\.yaml:3: YAML syntax error: block scalar header includes extra characters/i);
    expect(text).not.toContain(SECRET);
  });

  it("does not quote the source line in a YAML syntax error (unclosed flow sequence)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: [${SECRET}, x\nfoo: bar\n`);
    const text = rejected(dir);
    expect(text).toMatch(/dev\.yaml:\d+: YAML syntax error: /);
    expect(text).not.toContain(SECRET);
  });

  it("never echoes a quoted secret from a randomly corrupted YAML document (property)", () => {
    const doc = `target: docker\nrelease:\n  web: "1.0"\nservices:\n  web:\n    env:\n      TOKEN_VALUE: "${SECRET}"\n`;
    const start = doc.indexOf(SECRET);
    const junk = fc.constantFrom(..."!&*|>\"'\\:{}[],#%@`- \n\t?\u0000".split(""), "!!", "&a ", "*a", "|+", ">-", "\\q", "\\x", "---\n", "? ");
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: doc.length }), junk), { minLength: 1, maxLength: 4 }), (edits) => {
        let text = doc;
        for (const [at, s] of [...edits].sort((a, b) => b[0] - a[0])) text = text.slice(0, at) + s + text.slice(at);
        const r = parseYaml("dev.yaml", text);
        if (!text.includes(SECRET)) return; // an edit split the secret: nothing left to leak
        for (const i of r.issues) expect(formatIssue(i)).not.toContain(SECRET);
      }),
    );
    expect(start).toBeGreaterThan(0);
  });
});

describe("§4 no crash: every input gets a named error", () => {
  it("refuses a billion-laughs alias bomb as an error of its file", () => {
    const dir = minimalApp();
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) levels.push(`${"abcdefghi"[i]}: &${"abcdefghi"[i]} [${Array(10).fill(`*${"abcdefghi"[i - 1]}`).join(", ")}]`);
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\nbomb:\n${levels.map((l) => `  ${l}`).join("\n")}\n`);
    expect(rejected(dir)).toMatch(new RegExp(`dev\\.yaml:\\d+: bomb\\.f\\.\\d+: holds more than ${MAX_VALUES.toLocaleString("en-US")} values once YAML aliases are expanded`));
  });

  it("refuses one large anchor reused many times (expanded size bound)", () => {
    const dir = minimalApp();
    const big = `[${Array(20000).fill("x").join(",")}]`;
    const uses = Array.from({ length: 60 }, (_, i) => `  u${i}: *big`).join("\n");
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\nbig: &big ${big}\nmore:\n${uses}\n`);
    expect(rejected(dir)).toMatch(new RegExp(`dev\\.yaml:\\d+: more\\.u\\d+: holds more than ${MAX_VALUES.toLocaleString("en-US")} values once YAML aliases are expanded`));
  });

  it("refuses a self-referencing alias (a cycle)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\nloop: &l [1, *l]\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:3: loop\.1: a YAML alias refers to a value that contains it \(a cycle\)/);
  });

  it("refuses an alias to an anchor that is not defined", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: *nope }\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:2: release\.web: a YAML alias \(\*name\) refers to no anchor \(&name\) defined before it/);
  });

  it("names environments/ when it is a file", () => {
    const dir = minimalApp();
    fs.rmSync(path.join(dir, "environments"), { recursive: true });
    write(dir, "environments", "target: docker\n");
    expect(rejected(dir)).toContain(`${path.join(dir, "environments")}: is a file; environments/ must be a folder holding <env>.yaml files`);
  });

  it("names app.yaml when it is a folder", () => {
    const dir = minimalApp();
    fs.rmSync(path.join(dir, "app.yaml"));
    fs.mkdirSync(path.join(dir, "app.yaml"));
    expect(rejected(dir)).toContain(`${path.join(dir, "app.yaml")}: is a folder, not a file`);
  });

  it("names an environment file that is a folder", () => {
    const dir = minimalApp();
    fs.mkdirSync(path.join(dir, "environments", "qa.yaml"));
    expect(rejected(dir)).toContain(`${path.join(dir, "environments", "qa.yaml")}: is a folder, not a file`);
  });

  it("names an unreadable file and the fix (EACCES is simulated: tests may run as root, where chmod 000 does not stop reads)", () => {
    const dir = minimalApp();
    const file = path.join(dir, "environments", "dev.yaml");
    const nodeFs = jest.requireActual<typeof fs>("node:fs");
    const real = nodeFs.openSync;
    const spy = jest.spyOn(nodeFs, "openSync").mockImplementation(((p: fs.PathLike, ...rest: never[]) => {
      if (String(p).endsWith("dev.yaml")) throw Object.assign(new Error(`EACCES: permission denied, open '${String(p)}'`), { code: "EACCES", syscall: "open", path: String(p) });
      return (real as (...a: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync);
    try {
      expect(rejected(dir)).toContain(`${file}: cannot be read: permission denied; give the user running envkit read access to it`);
    } finally {
      spy.mockRestore();
    }
  });

  it("refuses a named pipe in environments/ without blocking on it", () => {
    const dir = minimalApp();
    const fifo = path.join(dir, "environments", "qa.yaml");
    try {
      execFileSync("mkfifo", [fifo]);
    } catch {
      console.warn("SKIPPED: mkfifo is not available; the named-pipe case is untested here");
      return;
    }
    expect(rejected(dir)).toContain(`${fifo}: is not a regular file`);
  });

  it("names an invalid cdk.tf.json given to diff --base without printing its content", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-badout-"));
    write(base, "stacks/dev/cdk.tf.json", `{\n  "resource": {\n    "password": ${SECRET}\n}\n`);
    const head = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-head-"));
    write(head, "stacks/dev/cdk.tf.json", "{}");
    const r = cli("diff", "--base", base, "--head", head);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^${path.join(base, "stacks", "dev", "cdk.tf.json").replace(/[.\\/]/g, "\\$&")}(:\\d+)?: is not valid JSON`, "m"));
    expect(r.out + r.err).not.toContain(SECRET);
  });

  it("names a cdk.tf.json given to diff that is valid JSON but not a stack", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-badout-"));
    write(base, "stacks/dev/cdk.tf.json", `{ "resource": { "docker_container": null } }`);
    const r = cli("diff", "--base", base, "--head", base);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cdk\.tf\.json: resource\.docker_container: is not a synthesized stack: expected an object/);
  });

  it("rejects a __proto__ key in YAML (it would replace the object's prototype when layered)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\nservices:\n  __proto__:\n    web: { replicas: 3 }\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:4: services\.__proto__: the key "__proto__" is reserved by JavaScript/);
  });

  it("treats a service named constructor as an ordinary name, never as Object.prototype's", () => {
    const dir = minimalApp();
    edit(path.join(dir, "app.yaml"), "services:\n", "services:\n  constructor: { image: docker.io/library/redis }\n");
    const r = cli("validate", "--config", dir);
    expect({ code: r.code, stack: /\n\s+at /.test(r.err), internal: r.err.includes("internal error") }).toEqual({ code: 1, stack: false, internal: false });
    expect(r.err).toMatch(/dev\.yaml:\d+: release(\.constructor)?: .*constructor/);
  });

  it("rejects a __proto__ key in TypeScript objects (from JSON.parse)", () => {
    const env = JSON.parse(`{"target":"docker","services":{"__proto__":{"api":{"replicas":3}}}}`) as unknown;
    expect(objectIssues(miniApp(), { dev: env })).toMatch(/^<environment dev>: services\.__proto__: the key "__proto__" is reserved by JavaScript/);
  });

  it("rejects a TypeScript object whose prototype was replaced ({ __proto__: ... } literal)", () => {
    const env = { ...dockerEnv(), services: { __proto__: { api: { replicas: 3 } } } };
    expect(objectIssues(miniApp(), { dev: env })).toMatch(/^<environment dev>: services: is not a plain object/);
  });

  it("rejects an unknown YAML tag (!!python/object)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: !!python/object:os.system "1.27.2-alpine" }\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:2: YAML error: unknown tag; envkit reads plain YAML/);
  });

  it("rejects a local YAML tag (!foo)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: !foo docker\nrelease: { web: "1.27.2-alpine" }\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:1: YAML error: unknown tag/);
  });

  it("rejects a YAML 1.1 tag (!!binary) instead of passing a Buffer on", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: !!binary aGk= }\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:2: YAML error: unknown tag/);
  });

  it("rejects an environment file named test.YAML, with the fix", () => {
    const dir = minimalApp();
    write(dir, "environments/test.YAML", "target: docker\n");
    expect(rejected(dir)).toContain(`${path.join(dir, "environments", "test.YAML")}: looks like an environment file but is not named <name>.yaml or <name>.yml, so it would be ignored; rename it to test.yaml, or move it out of environments/`);
  });

  it("rejects an environment file named x.yml.bak, with the fix", () => {
    const dir = minimalApp();
    write(dir, "environments/x.yml.bak", "target: docker\n");
    expect(rejected(dir)).toContain(`${path.join(dir, "environments", "x.yml.bak")}: looks like an environment file but is not named <name>.yaml or <name>.yml, so it would be ignored; rename it to x.yml, or move it out of environments/`);
  });

  it("reports non-UTF-8 bytes with the line of the first bad byte", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", Buffer.concat([Buffer.from('target: docker\nrelease: { web: "1.27.2-alpine" }\n# caf'), Buffer.from([0xe9]), Buffer.from("\n")]));
    expect(rejected(dir)).toContain(`${path.join(dir, "environments", "dev.yaml")}:3: is not valid UTF-8 (first bad byte at line 3, column 6); save the file as UTF-8`);
  });

  it("accepts a UTF-8 byte order mark", () => {
    const dir = minimalApp();
    const file = path.join(dir, "environments", "dev.yaml");
    fs.writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), fs.readFileSync(file)]));
    expect(cli("validate", "--config", dir).code).toBe(0);
  });

  it("refuses a file over the size limit before parsing it, naming size, limit and fix", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\n${"# padding padding padding padding padding padding padding\n".repeat(20000)}`);
    expect(MAX_CONFIG_BYTES).toBe(1024 * 1024);
    expect(rejected(dir)).toMatch(/dev\.yaml: is 1\.1 MiB, over the 1 MiB limit for a config file; .*split/);
  });

  it("keeps the 1,000-service benchmark app (the largest generated input) within every limit", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-gen-"));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { writeGeneratedApp } = require("../../bench/common.js") as { writeGeneratedApp: (d: string, n: number, o: object) => void };
    writeGeneratedApp(dir, 1000, { statefulEvery: 10, publicFirst: true, environments: { dev: { target: "docker", subnet: "10.1.0.0/16" }, prod: { target: "kubernetes" } } });
    const r = readConfigDir(dir);
    expect(r.issues.map(formatIssue)).toEqual([]);
    expect(fs.statSync(path.join(dir, "app.yaml")).size).toBeLessThan(MAX_CONFIG_BYTES / 4);
  });

  it("refuses 100k-deep [[[...]]] nesting without overflowing the stack", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\ndeep: ${"[".repeat(100000)}${"]".repeat(100000)}\n`);
    expect(rejected(dir)).toMatch(new RegExp(`dev\\.yaml:3: deep(\\.0)+(\\.…)?: nests deeper than ${MAX_DEPTH} levels`));
  });

  it("refuses 100k-deep `- - - x` block nesting (it crashed the process out of memory in the yaml package)", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\ndeep:\n  ${"- ".repeat(100000)}x\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:4: deep(\.0)+(\.…)?: nests deeper than/);
  });

  it("refuses nesting just over the depth limit that the yaml package itself would accept", () => {
    const r = parseYaml("x.yaml", `a: ${"{a: ".repeat(MAX_DEPTH)}1${"}".repeat(MAX_DEPTH)}\n`);
    expect(r.issues.map(formatIssue)).toEqual([expect.stringMatching(/^x\.yaml:1: a(\.a)+(\.…)?: nests deeper than/)]);
    expect(parseYaml("x.yaml", `a: ${"{a: ".repeat(MAX_DEPTH - 2)}1${"}".repeat(MAX_DEPTH - 2)}\n`).issues).toEqual([]);
  });

  it("rejects a string holding cdktf's token marker TfToken[ (a live reference to another resource)", () => {
    const dir = minimalApp();
    edit(path.join(dir, "app.yaml"), "public: true", 'public: true\n    env: { LEAK: "${TfToken[TOKEN.12]}" }');
    expect(rejected(dir)).toMatch(/app\.yaml:\d+: services\.web\.env\.LEAK: contains "TfToken\[", cdktf's marker for a reference/);
  });

  it("rejects cdktf's token marker in a key", () => {
    const dir = minimalApp();
    edit(path.join(dir, "app.yaml"), "public: true", 'public: true\n    env: { "TfToken[TOKEN.3]": x }');
    expect(rejected(dir)).toMatch(/app\.yaml:\d+: services\.web\.env\.TfToken\[TOKEN\.3\]: contains "TfToken\[", cdktf's marker/);
  });

  it("rejects cdktf's token marker in TypeScript objects", () => {
    expect(objectIssues(miniApp(), { dev: dockerEnv({ release: { web: "${TfToken[TOKEN.7]}", api: "1.0.0", db: "16.4" } }) })).toMatch(/^<environment dev>: release\.web: contains "TfToken\["/);
  });

  it("rejects a cycle in TypeScript objects instead of overflowing the stack", () => {
    const env: Record<string, unknown> = { ...dockerEnv() };
    env.services = { api: env };
    expect(objectIssues(miniApp(), { dev: env })).toMatch(/^<environment dev>: services\.api: refers to an object that contains it \(a cycle\)/);
  });

  it("rejects a collection used as a YAML key", () => {
    const dir = minimalApp();
    write(dir, "environments/dev.yaml", `target: docker\nrelease: { web: "1.27.2-alpine" }\n? [a, b]\n: 1\n`);
    expect(rejected(dir)).toMatch(/dev\.yaml:3: YAML error: a key must be a plain name, not a list or map/);
  });
});

describe("§4 the CLI's last resort", () => {
  afterEach(() => {
    delete process.env.ENVKIT_DEBUG;
    jest.restoreAllMocks();
  });

  it("prints an internal error as one line without a stack trace, and says how to get one", () => {
    jest.spyOn(validateModule, "validateCommand").mockImplementation(() => {
      throw new TypeError("boom");
    });
    const r = cli("validate", "--config", REFERENCE_APP);
    expect(r.code).toBe(3);
    expect(r.err).toBe("envkit validate: internal error (a bug in envkit, please report it): TypeError: boom; set ENVKIT_DEBUG=1 for the stack trace");
  });

  it("prints the stack trace of an internal error when ENVKIT_DEBUG=1", () => {
    process.env.ENVKIT_DEBUG = "1";
    jest.spyOn(validateModule, "validateCommand").mockImplementation(() => {
      throw new TypeError("boom");
    });
    const r = cli("validate", "--config", REFERENCE_APP);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/TypeError: boom\n\s+at /);
  });

  it("reports --out below a file as a located error with exit 1", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-out-")), "a-file");
    fs.writeFileSync(file, SECRET);
    const r = cli("synth", "--config", MINIMAL_APP, "--out", path.join(file, "out"));
    expect({ code: r.code, stack: /\n\s+at /.test(r.err) }).toEqual({ code: 1, stack: false });
    expect(r.err).toMatch(new RegExp(`^${file.replace(/[.\\/]/g, "\\$&")}: .*--out`, "m"));
    expect(r.out + r.err).not.toContain(SECRET);
  });

  it.each(["EACCES", "EROFS", "ENOSPC"])("reports an unwritable --out (%s, simulated) as a located error with exit 1", (code) => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-out-")), "out");
    const realFs = jest.requireActual<typeof fs>("node:fs");
    const mkdir = realFs.mkdirSync.bind(realFs);
    // The synth's temporary output folder, next to --out, is where the refusal would come.
    jest.spyOn(realFs, "mkdirSync").mockImplementation(((dir: fs.PathLike, opts?: fs.MakeDirectoryOptions) => {
      if (!String(dir).includes(".envkit-tmp-")) return mkdir(dir, opts);
      throw Object.assign(new Error(`${code}: simulated, mkdir '${String(dir)}'`), { code, syscall: "mkdir", path: String(dir) });
    }) as typeof fs.mkdirSync);
    const r = cli("synth", "--config", MINIMAL_APP, "--out", out);
    expect({ code: r.code, stack: /\n\s+at /.test(r.err), internal: r.err.includes("internal error") }).toEqual({ code: 1, stack: false, internal: false });
    expect(r.err).toContain(path.dirname(out));
    expect(r.err).toContain("--out");
  });

  it.each([
    ["synth", "EROFS", "mkdir", "/srv/out/stacks", "/srv/out/stacks: is on a read-only file system; choose an --out folder you can write to (or fix its permissions)"],
    ["synth", "ENOTDIR", "mkdir", "/srv/file/out", "/srv/file/out: a part of this path is a file, not a folder; choose an --out folder you can write to (or fix its permissions)"],
    ["validate", "EACCES", "open", "/srv/app/x.json", "/srv/app/x.json: cannot be opened: permission denied; check the path and its permissions"],
    ["validate", "EACCES", "scandir", "/srv/app", "/srv/app: cannot be read: permission denied; check the path and its permissions"],
    ["validate", "EWHATEVER", "write", "/srv/app/y", "/srv/app/y: cannot be written (EWHATEVER); check the path and its permissions"],
  ])("maps a file-system error escaping `%s` (%s in %s) to a located error with exit 1, not an internal error", (verb, code, syscall, p, expected) => {
    const module = verb === "synth" ? synthModule : validateModule;
    const name = verb === "synth" ? "synthCommand" : "validateCommand";
    jest.spyOn(module as Record<string, unknown>, name as never).mockImplementation((() => {
      throw Object.assign(new Error(`${code}: simulated, ${syscall} '${p}'`), { code, syscall, path: p });
    }) as never);
    const r = cli(verb, "--config", MINIMAL_APP, ...(verb === "synth" ? ["--out", "/srv/out"] : []));
    expect(r.code).toBe(1);
    expect(r.err).toBe(expected);
  });
});
