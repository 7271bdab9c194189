/*
 * Defects found by trying envkit from outside (hostile and careless configurations), one test each.
 */
import * as path from "node:path";
import fc from "fast-check";
import { findSecretLinesInText, findSecretLiterals, secretLinesOf } from "../../lib/targets/inspect";
import { containsUrlPassword } from "../../lib/model/url";
import { parseDuration } from "../../lib/model/duration";
import { checkStacks, memoryScope } from "../../lib/pipeline";
import { cli, copyReferenceApp, dockerEnv, edit, miniApp, resolve } from "../helpers";

const messages = (r: { issues: readonly { path: string; message: string }[] }): string => r.issues.map((i) => `${i.path}: ${i.message}`).join("\n");

describe("a URL with a password is found in linear time", () => {
  it("finds user:password@ in a URL anywhere in a string, and nothing else", () => {
    expect(containsUrlPassword("postgres://shop:hunter2@db:5432/shop")).toBe(true);
    expect(containsUrlPassword("see https://u:p@example.com/x for details")).toBe(true);
    expect(containsUrlPassword("https://example.com/a:b@c")).toBe(false); // "@" after the path starts
    expect(containsUrlPassword("ssh://git@example.com")).toBe(false); // no password
    expect(containsUrlPassword("https://:@h")).toBe(false);
    expect(containsUrlPassword("a://")).toBe(false);
    expect(containsUrlPassword("://u:p@h")).toBe(false); // no scheme
    expect(containsUrlPassword("a://@:a@")).toBe(false); // "@" in the user part: not userinfo (found by fast-check)
    expect(containsUrlPassword("a://u:@h@x")).toBe(true); // a password holding an unencoded "@"
  });

  it("agrees with the reference pattern on arbitrary short strings", () => {
    // user: no ":" or "@"; password: non-empty, may hold "@" (the userinfo ends at the last "@").
    const reference = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@?#]+:[^/\s?#]+@/i;
    const piece = fc.constantFrom("a", "b1", ":", "//", "://", "@", "/", " ", "?", "#", "x+y", "1", ".");
    fc.assert(fc.property(fc.array(piece, { maxLength: 14 }).map((p) => p.join("")), (s) => containsUrlPassword(s) === reference.test(s)), { numRuns: 20000 });
  });

  it("one 1 MiB configuration value does not stall the secret scan (it took minutes with a backtracking pattern)", () => {
    // A quadratic scan of this string is ~10^12 steps; a linear one finishes at once.
    const long = "x".repeat(1 << 20);
    expect(findSecretLiterals({ env: [`EVIL=${long}`], other: `a://${long}`, PASSWORD_HINT: `${long}=` })).toEqual([{ path: "PASSWORD_HINT", message: 'sets secret-like key "PASSWORD_HINT" to a literal value' }]);
  }, 60_000);
});

describe("the JSON secret scan judges names, not paths", () => {
  it("a writable path named like a secret (/var/cache/nginx/tokens) is not a secret literal", () => {
    expect(findSecretLiterals({ tmpfs: { "/var/cache/nginx/tokens": "rw,size=64m" } })).toEqual([]);
  });

  it("a mandatory Docker environment with such a writable path validates (SEC-001 cannot be suppressed, so a false alarm would block it)", () => {
    const app = miniApp();
    app.services.web = { ...app.services.web, writablePaths: ["/tmp", "/var/cache/nginx/tokens"] };
    const r = checkStacks(resolve(app, { qa: dockerEnv({ policy: { enforcement: "mandatory" }, services: { web: { replicas: 1 } } }) }), memoryScope());
    expect(r.stacks.length).toBe(1); // the JSON pass really ran over the synthesized stack
    expect(messages(r)).not.toMatch(/ENVK-SEC-001/);
  });

  it("still finds KEY=value assignments and secret-like attribute keys", () => {
    expect(findSecretLiterals({ env: ["DB_PASSWORD=hunter2", "DB_PASSWORD_FILE=/run/secrets/db", "TOKEN=${var.t}"], api_token: "abc" }).map((f) => f.path)).toEqual(["env[0]", "api_token"]);
  });
});

describe("the secret scan of a multi-line text (a config file) skips a text that cannot match", () => {
  // Lines built from what the patterns look for, and near misses, in any order and case.
  const fragment = fc.constantFrom("password", "DB_PASSWORD", "Token", "api_key", "x", "name", " = ", ": ", "=", ":", "export ", '"', "'", "@", "://", "https://u:p@h", "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN", "${var.x}", "/run/secrets/db", " ", "_FILE", "\t");
  const text = fc.array(fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join("")), { minLength: 2, maxLength: 6 }).map((lines) => lines.join("\n"));

  it("finds exactly what the line-by-line scan finds (fast-check)", () => {
    fc.assert(
      fc.property(fc.oneof(text, fc.string()), (t) => {
        expect(findSecretLinesInText(t)).toEqual(secretLinesOf(t));
      }),
      { numRuns: 3000 },
    );
  });

  it("still finds each kind of secret line in a long text", () => {
    const filler = Array.from({ length: 5000 }, (_, i) => `  rule_${i}: value ${i}`).join("\n");
    expect(findSecretLinesInText(`${filler}\nDB_PASSWORD=hunter2`)).toEqual([{ line: 5001, message: "assigns a literal value to a secret-like key" }]);
    expect(findSecretLinesInText(`${filler}\nurl: https://u:pw@db.example/x`)).toEqual([{ line: 5001, message: "holds a URL with an embedded password" }]);
    expect(findSecretLinesInText(`${filler}\n-----BEGIN EC PRIVATE KEY-----`)).toEqual([{ line: 5001, message: "holds a private key" }]);
    expect(findSecretLinesInText(filler)).toEqual([]);
  });
});

describe("careless values that fail only at apply are refused at validate", () => {
  it("a NUL character in an env value is refused (runc: environment variable value can't contain null)", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "LOG_LEVEL: info\n      DB_HOST: db\n      DB_PORT", 'LOG_LEVEL: info\n      EVIL: "a\\0b"\n      DB_HOST: db\n      DB_PORT');
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/app\.yaml:\d+: services\.api\.env\.EVIL: contains a NUL character/);
    // From TypeScript the same value is refused before anything is resolved.
    const app = miniApp();
    app.services.api = { ...app.services.api, env: { EVIL: "a\u0000b" } };
    expect(() => resolve(app, { dev: dockerEnv() })).toThrow(/services\.api\.env\.EVIL: contains a NUL character/);
  });

  it("a duration longer than a day is refused (Terraform's duration parser and Kubernetes' int32 seconds overflow)", () => {
    expect(parseDuration("99999999999h")).toEqual({ ok: false, error: expect.stringMatching(/is longer than 24h, the longest duration envkit accepts/) });
    expect(parseDuration("24h")).toEqual({ ok: true, value: 86400 });
    const app = miniApp();
    app.services.web = { ...app.services.web, health: { http: { path: "/healthz", port: "http" }, interval: "1000000h" } };
    expect(messages(resolve(app, { dev: dockerEnv() }))).toMatch(/services\.web\.health\.interval: "1000000h" is longer than 24h/);
  });

  it("an invalid env var name gets its own error, not a secret hint built from it", () => {
    const app = miniApp();
    app.services.api = { ...app.services.api, env: { '${file("/etc/passwd")}': "x" } };
    const text = messages(resolve(app, { dev: dockerEnv() }));
    expect(text).toMatch(/is not a valid environment variable name/);
    expect(text).not.toMatch(/TF_VAR_\$\{/);
  });

  it("a backend credential is refused with the environment variable to use instead", () => {
    const r = resolve(miniApp(), { dev: dockerEnv({ backend: { type: "s3", bucket: "b", key: "k", region: "r", secretKey: "x" } as never }) });
    expect(messages(r)).toMatch(/backend\.secretKey: .*set AWS_SECRET_ACCESS_KEY in the environment of terraform/);
  });
});

describe("promotion order and broken environments", () => {
  it("an error in staging does not add a false 'staging does not exist' error to prod", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "staging.yaml"), "replicas: 2", "replicas: -1");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/staging\.yaml:\d+: services\.web\.replicas/);
    expect(r.err).not.toMatch(/does not exist/);
    expect(r.err).not.toMatch(/prod\.yaml:\d+: promotion\.from/);
  });

  it("promotion.from naming no environment is a located error with a did-you-mean", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), "from: staging", "from: stagin");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:\d+: promotion\.from: no environment "stagin" \(did you mean "staging"\?\)/);
  });
});
