/*
 * Guardrails are part of synthesis: every path that synthesizes — envkit validate (in memory),
 * envkit synth, main.ts (the cdktf app behind `npx cdktf synth/deploy`) and a consumer's own
 * `new App(); new EnvironmentStack(...); app.synth()` — runs the same checks and reaches the same
 * verdict, and the ones that refuse write nothing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { main } from "../../main";
import { resolveObjects } from "../../lib/config/load";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { App, IndependentStack } from "../../lib/facade/cdktf";
import { checkDir, checkStacks, memoryScope, newApp, addEnvironmentStacks, validateDir } from "../../lib/pipeline";
import { EnvironmentStack } from "../../stacks/environment-stack";
import { cli, dockerEnv, miniApp, resolveOne, snapshot } from "../helpers";

const DIGEST = `sha256:${"d".repeat(64)}`;
const tmp = (prefix: string): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** The bad configuration of the task, as TypeScript objects (the consumer path uses them as is). */
const APP: AppConfig = {
  name: "shop",
  services: {
    web: { image: "ghcr.io/acme/web", public: true, ports: [{ name: "http", port: 8080 }], health: { http: { path: "/healthz", port: "http" } }, connections: [{ to: "api", port: "http" }] },
    api: { image: "ghcr.io/acme/api", ports: [{ name: "http", port: 3000 }], health: { http: { path: "/health", port: "http" } } },
  },
};
const ENVIRONMENTS: Record<string, EnvironmentConfig> = {
  // Mandatory, and every model rule passes: the privileged root container shows only in the JSON.
  staging: {
    target: "docker",
    release: { web: `1.0.0@${DIGEST}`, api: `1.0.0@${DIGEST}` },
    network: { subnet: "10.230.0.0/16" },
    backend: { type: "s3", bucket: "state", key: "shop/staging", region: "eu-west-1" },
    policy: { enforcement: "mandatory", suppressions: [{ rule: "ENVK-AVL-001", reason: "a single Docker host runs one replica per service" }] },
    services: { api: { security: { privileged: true, user: "0:0", runAsNonRoot: false } } },
  },
  // One replica, no digest, local state (the default backend).
  prod: { target: "kubernetes", release: { web: "1.0.0", api: "1.0.0" }, domain: "shop.example.com" },
};

/** Writes the same configuration as YAML files, for the paths that read a folder. */
function writeApp(): string {
  const dir = tmp("envkit-paths-app-");
  fs.mkdirSync(path.join(dir, "environments"));
  fs.writeFileSync(path.join(dir, "app.yaml"), stringify(APP));
  for (const [name, env] of Object.entries(ENVIRONMENTS)) fs.writeFileSync(path.join(dir, "environments", `${name}.yaml`), stringify(env));
  return dir;
}


/**
 * The guardrail findings in printed lines (`file[:line]: [warning: ]path: [RULE] message; fix: …`,
 * optionally behind cdktf's `[stack]` prefix), as `env severity rule path message`, sorted: equal
 * lists mean the same findings, each reported the same number of times.
 */
function findings(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\s*\[[^\]]+\] (?=\S)/, "");
    const m = /^(?<file>[^:]+)(?::\d+)?: (?<warn>warning: )?(?<path>\S+): \[(?<rule>ENVK-[A-Z0-9]+-\d{3})\] (?<msg>.*?); fix: /.exec(line);
    if (!m?.groups) continue;
    const env = /environments\/([^/]+)\.yaml$/.exec(m.groups.file)?.[1] ?? /stacks\/([^/]+)\/cdk\.tf\.json$/.exec(m.groups.file)?.[1] ?? /^<environment (.+)>$/.exec(m.groups.file)?.[1] ?? `?${m.groups.file}`;
    out.push(`${env} ${m.groups.warn ? "warning" : "error"} ${m.groups.rule} ${m.groups.path} ${m.groups.msg}`);
  }
  return out.sort();
}

describe("the same bad configuration through every synthesis path", () => {
  it("validate, synth, main.ts and a consumer's app.synth() report the same findings, fail, and write nothing", () => {
    const dir = writeApp();
    const configBefore = snapshot(dir);

    // 1. envkit validate: in memory.
    const validated = cli("validate", "--config", dir);
    expect(validated.code).toBe(1);

    // 2. envkit synth over a previous output: refused, the previous output untouched.
    const synthParent = tmp("envkit-paths-synth-");
    const out = path.join(synthParent, "out");
    fs.mkdirSync(path.join(out, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(out, "manifest.json"), "previous");
    const synthed = cli("synth", "--config", dir, "--out", out);
    expect(synthed.code).toBe(1);
    expect(synthed.err).toContain(`synth failed; ${out} was not changed`);
    expect(snapshot(out)).toEqual({ "manifest.json": Buffer.from("previous").toString("base64") });
    expect(fs.readdirSync(synthParent)).toEqual(["out"]);

    // 3. main.ts, the code behind `npx cdktf synth` (in process: the same function dist/main.js runs).
    const mainOut = path.join(tmp("envkit-paths-main-"), "cdktf.out");
    const mainErr: string[] = [];
    expect(main({ configDir: dir, outdir: mainOut, err: (l) => mainErr.push(l) })).toBe(1);
    expect(fs.existsSync(mainOut)).toBe(false);

    // 4. A consumer's own app, from the same objects.
    const consumerOut = path.join(tmp("envkit-paths-consumer-"), "cdktf.out");
    const app = new App({ outdir: consumerOut, stackTraces: false });
    for (const e of resolveObjects(APP, ENVIRONMENTS)) new EnvironmentStack(app, e.model.name, { environment: e.model, provenance: e.provenance });
    let thrown = "";
    try {
      app.synth();
    } catch (e) {
      thrown = (e as Error).message;
    }
    expect(thrown).toMatch(/^Validation failed with the following errors:/);
    // cdktf judged the first stack before writing it, and with it every later one.
    expect(snapshot(consumerOut)).toEqual({});

    const expected = findings(validated.err);
    expect(expected).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^staging error ENVK-SEC-004 services\.api\.security\.privileged runs privileged \(in docker_container\.\S+\)$/),
        expect.stringMatching(/^staging error ENVK-SEC-002 services\.api\.security\.user may run as root \(user "0:0"\) \(in docker_container\.\S+\)$/),
        expect.stringMatching(/^prod error ENVK-AVL-001 services\.web\.replicas /),
        expect.stringMatching(/^prod error ENVK-IMG-002 release\.api /),
        expect.stringMatching(/^prod error ENVK-STA-001 backend /),
      ]),
    );
    expect(expected.some((f) => f.includes("ENVK-AVL-001") && f.startsWith("staging"))).toBe(false); // suppressed
    expect(findings(synthed.err)).toEqual(expected);
    expect(findings(mainErr.join("\n"))).toEqual(expected);
    expect(findings(thrown)).toEqual(expected);
    // validate printed each finding once.
    expect(new Set(expected).size).toBe(expected.length);
    expect(snapshot(dir)).toEqual(configBefore);
  });
});

describe("guardrails inside app.synth()", () => {
  const privileged = { api: { security: { privileged: true } } };

  it("a consumer's app.synth() fails on a mandatory JSON finding that the model pass cannot see", () => {
    const env = resolveOne(miniApp(), "prod", dockerEnv({ services: privileged, policy: { enforcement: "mandatory", suppressions: [{ rule: "ENVK-AVL-001", reason: "one Docker host runs one replica" }] }, release: { web: `1.0.0@${DIGEST}`, api: `1.0.0@${DIGEST}`, db: `16.4@${DIGEST}` }, backend: { type: "s3", bucket: "b", key: "k", region: "r" } }));
    const app = new App({ outdir: tmp("envkit-consumer-"), stackTraces: false });
    new EnvironmentStack(app, "prod", { environment: env.model, provenance: env.provenance });
    expect(() => app.synth()).toThrow(/\[prod\] <environment prod>: services\.api\.security\.privileged: \[ENVK-SEC-004\] runs privileged \(in docker_container\.\S+\); fix: Remove `security\.privileged: true`/);
  });

  it("a bare model (no provenance) still names the environment in every line", () => {
    const env = resolveOne(miniApp(), "prod", dockerEnv({ policy: { enforcement: "mandatory" }, network: { subnet: "10.231.0.0/16" } }));
    const app = new App({ outdir: tmp("envkit-consumer-"), stackTraces: false });
    new EnvironmentStack(app, "prod", { environment: env.model });
    expect(() => app.synth()).toThrow(/\[prod\] <environment prod>: backend: \[ENVK-STA-001\] state is kept in a local file/);
  });

  it("advisory findings are printed to stderr once and do not fail the synth", () => {
    const env = resolveOne(miniApp(), "dev", dockerEnv({ services: privileged }));
    const outdir = tmp("envkit-consumer-");
    const app = new App({ outdir, stackTraces: false });
    new EnvironmentStack(app, "dev", { environment: env.model, provenance: env.provenance });
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    try {
      app.synth();
      app.synth();
    } finally {
      spy.mockRestore();
    }
    expect(written.filter((w) => w.includes("[ENVK-SEC-004]"))).toEqual([expect.stringMatching(/^<environment dev>: warning: services\.api\.security\.privileged: \[ENVK-SEC-004\] runs privileged \(in docker_container\.\S+\); fix: .*\n$/)]);
    expect(fs.existsSync(path.join(outdir, "stacks", "dev", "cdk.tf.json"))).toBe(true);
  });

  it("a suppression with a reason keeps a mandatory JSON finding from failing app.synth()", () => {
    const env = resolveOne(
      miniApp(),
      "prod",
      dockerEnv({
        services: privileged,
        release: { web: `1.0.0@${DIGEST}`, api: `1.0.0@${DIGEST}`, db: `16.4@${DIGEST}` },
        backend: { type: "s3", bucket: "b", key: "k", region: "r" },
        policy: {
          enforcement: "mandatory",
          suppressions: [
            { rule: "ENVK-SEC-004", scope: "api", reason: "loads a kernel module for the VPN sidecar" },
            { rule: "ENVK-AVL-001", reason: "one Docker host runs one replica" },
            { rule: "ENVK-SEC-010", reason: "the state is in an encrypted bucket only the deployers can read" },
            { rule: "ENVK-DAT-001", reason: "this fixture's database holds no data worth keeping" },
          ],
        },
      }),
    );
    const app = new App({ outdir: tmp("envkit-consumer-"), stackTraces: false });
    const stack = new EnvironmentStack(app, "prod", { environment: env.model, provenance: env.provenance, onWarning: () => undefined });
    expect(() => app.synth()).not.toThrow();
    expect(stack.guardrails().suppressed.filter((s) => s.rule === "ENVK-SEC-004").map((s) => [s.rule, s.service, s.reason])).toEqual([["ENVK-SEC-004", "api", "loads a kernel module for the VPN sidecar"]]);
  });

  it("a failing stack also reports the stacks after it, before any of them is written", () => {
    const bad = (name: string, subnet: string) => resolveOne(miniApp(), name, dockerEnv({ services: privileged, policy: { enforcement: "mandatory" }, network: { subnet } }));
    const outdir = tmp("envkit-consumer-");
    const app = new App({ outdir, stackTraces: false });
    for (const e of [bad("alpha", "10.232.0.0/16"), bad("beta", "10.233.0.0/16")]) new EnvironmentStack(app, e.model.name, { environment: e.model, provenance: e.provenance });
    let message = "";
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/<environment alpha>: services\.api\.security\.privileged: \[ENVK-SEC-004\]/);
    expect(message).toMatch(/<environment beta>: services\.api\.security\.privileged: \[ENVK-SEC-004\]/);
    expect(message.match(/\[ENVK-SEC-004\]/g)).toHaveLength(2);
    expect(snapshot(outdir)).toEqual({});
  });

  it("skipValidation: true on the App (cdktf's switch for every validation) skips the guardrails too", () => {
    const env = resolveOne(miniApp(), "prod", dockerEnv({ services: privileged, policy: { enforcement: "mandatory" } }));
    const app = newApp(tmp("envkit-skip-"), { skipValidation: true });
    addEnvironmentStacks(app, [env]);
    expect(() => app.synth()).not.toThrow();
  });
});

describe("the in-synthesis pass costs no second resolution and changes no byte", () => {
  function countResolutions<T>(run: () => T): { result: T; calls: Map<string, number> } {
    const calls = new Map<string, number>();
    const original = IndependentStack.prototype.toTerraform;
    const spy = jest.spyOn(IndependentStack.prototype, "toTerraform").mockImplementation(function (this: IndependentStack) {
      calls.set(this.node.id, (calls.get(this.node.id) ?? 0) + 1);
      return original.call(this);
    });
    try {
      return { result: run(), calls };
    } finally {
      spy.mockRestore();
    }
  }

  const envs = () => validateDir(path.join(__dirname, "..", "..", "examples", "reference-app")).environments;

  it("envkit synth resolves each stack once (judged, then written from the same document)", () => {
    const { result, calls } = countResolutions(() => cli("synth", "--config", path.join(__dirname, "..", "..", "examples", "reference-app"), "--out", path.join(tmp("envkit-once-"), "out")));
    expect(result.code).toBe(0);
    expect(Object.fromEntries(calls)).toEqual({ dev: 1, prod: 1, staging: 1, swarm: 1, test: 1 });
  });

  it("a consumer's app.synth() resolves each stack once", () => {
    const app = newApp(tmp("envkit-once-"));
    addEnvironmentStacks(app, envs(), { onWarning: () => undefined });
    const { calls } = countResolutions(() => app.synth());
    expect(Object.fromEntries(calls)).toEqual({ dev: 1, prod: 1, staging: 1, swarm: 1, test: 1 });
  });

  it("writes byte-identical stacks with and without the guardrail pass", () => {
    const withPass = tmp("envkit-bytes-");
    const without = tmp("envkit-bytes-");
    const a = newApp(withPass);
    addEnvironmentStacks(a, envs(), { onWarning: () => undefined });
    a.synth();
    const b = newApp(without, { skipValidation: true });
    addEnvironmentStacks(b, envs());
    b.synth();
    expect(snapshot(withPass)).toEqual(snapshot(without));
    expect(Object.keys(snapshot(withPass))).toContain(path.join("stacks", "prod", "cdk.tf.json"));
  });

  it("toTerraform is pure: two calls give the same document", () => {
    const [stack] = addEnvironmentStacks(memoryScope(), envs().filter((e) => e.model.name === "prod"));
    expect(JSON.stringify(stack.toTerraform())).toBe(JSON.stringify(stack.toTerraform()));
  });
});

describe("envkit validate reports everything synth would, once, without writing", () => {
  it("reports a JSON-pass finding (privileged in a mandatory environment) that used to pass validate", () => {
    const dir = writeApp();
    const r = cli("validate", "--config", dir, "--env", "staging");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/staging\.yaml:\d+: services\.api\.security\.privileged: \[ENVK-SEC-004\] runs privileged \(in docker_container\.\S+\)/);
  });

  it("locates a staging privileged root service's findings at its YAML lines, in validate and in synth (never the stale --out file)", () => {
    const dir = writeApp();
    const file = path.join(dir, "environments", "staging.yaml");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    const lineOf = (text: string): number => lines.findIndex((l) => l.trim() === text) + 1;
    expect(lineOf("privileged: true")).toBeGreaterThan(0);
    const out = path.join(tmp("envkit-stale-"), "out");
    fs.mkdirSync(path.join(out, "stacks", "staging"), { recursive: true });
    fs.writeFileSync(path.join(out, "manifest.json"), "{}");
    fs.writeFileSync(path.join(out, "stacks", "staging", "cdk.tf.json"), "{}"); // an old output: not what was judged
    for (const r of [cli("validate", "--config", dir, "--env", "staging"), cli("synth", "--config", dir, "--out", out)]) {
      expect(r.code).toBe(1);
      expect(r.err).toContain(`${file}:${lineOf("privileged: true")}: services.api.security.privileged: [ENVK-SEC-004] runs privileged (in docker_container.`);
      expect(r.err).toContain(`${file}:${lineOf('user: "0:0"') || lineOf("user: 0:0")}: services.api.security.user: [ENVK-SEC-002] may run as root (user "0:0") (in docker_container.`);
      expect(r.err).not.toMatch(/cdk\.tf\.json: docker_container\.\S+: \[ENVK-SEC-00[24]\]/);
      expect(r.err).not.toContain(`${out}/stacks`);
    }
  });

  it("names an escape hatch's finding at <synthesized>/stacks/<env>/cdk.tf.json, not the App's outdir (whose file is not written yet)", () => {
    const env = resolveOne(miniApp(), "prod", dockerEnv({ policy: { enforcement: "mandatory", suppressions: [{ rule: "ENVK-AVL-001", reason: "one Docker host runs one replica" }] }, release: { web: `1.0.0@${DIGEST}`, api: `1.0.0@${DIGEST}`, db: `16.4@${DIGEST}` }, backend: { type: "s3", bucket: "b", key: "k", region: "r" } }));
    const outdir = tmp("envkit-hatch-");
    const app = newApp(outdir);
    const [stack] = addEnvironmentStacks(app, [env], { onWarning: () => undefined });
    type Resource = { terraformResourceType?: string; addOverride(p: string, v: unknown): void };
    const web = stack.node.findAll().find((c) => (c as unknown as Resource).terraformResourceType === "docker_container" && /web/.test(c.node.path)) as unknown as Resource;
    web.addOverride("privileged", true); // the configuration says nothing of it
    let message = "";
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/<synthesized>\/stacks\/prod\/cdk\.tf\.json: docker_container\.\S*web\S*: \[ENVK-SEC-004\] runs privileged; fix: /);
    expect(message).not.toContain(outdir);
    expect(message).not.toMatch(/services\.web\.security\.privileged/);
  });

  it("lists config errors and JSON findings together, each once", () => {
    const dir = writeApp();
    // A configuration error in prod, and staging's JSON findings still reported.
    fs.appendFileSync(path.join(dir, "environments", "prod.yaml"), "bogus: 1\n");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:\d+: bogus: /);
    expect(r.err).toMatch(/\[ENVK-SEC-004\]/);
    const lines = r.err.split("\n").filter((l) => l.includes("[ENVK-"));
    expect(new Set(lines).size).toBe(lines.length);
  });

  it("checkDir and checkStacks over an App give the same issues (one implementation)", () => {
    const dir = writeApp();
    const inMemory = checkDir(dir);
    const app = newApp(tmp("envkit-same-"));
    const inApp = checkStacks(validateDir(dir), app, { displayDir: "<synthesized>" });
    expect(inApp.issues).toEqual(inMemory.issues);
  });
});
