import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/*
 * `require("envkit")` loads only what is used: configuration, validation, guardrail and review
 * functions without cdktf or any provider package (most of the import cost), and the construct
 * classes on first access. Checked two ways: on the compiled package (a fresh Node process, as a
 * consumer runs it; needs `npm run build`), and in-process under jest with cdktf made unloadable.
 */
const ROOT = path.join(__dirname, "..", "..");
const INDEX = path.join(ROOT, "dist", "lib", "index.js");
const CONSTRUCTS = ["EnvironmentStack", "DockerEnvironment", "DockerService", "KubernetesEnvironment", "KubernetesService"];

/** Runs a script in a fresh Node process with the compiled index at hand; its stdout as JSON. */
function node(script: string, args: readonly string[] = []): unknown {
  const out = execFileSync(process.execPath, [...args, "-e", script], { cwd: ROOT, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** The script part that lists what a process loaded: cdktf, provider and constructs modules. */
const LOADED = `const loaded = Object.keys(require.cache); const heavy = loaded.filter((p) => p.includes("/cdktf/") || p.includes("/provider-"));`;

const compiled = fs.existsSync(INDEX);
if (!compiled) console.warn(`import-cost: SKIPPED the compiled-package checks: ${path.relative(ROOT, INDEX)} is missing (run \`npm run build\`, as \`npm test\` does)`);
const describeCompiled = compiled ? describe : describe.skip;

describeCompiled(`require("envkit") on the compiled package (${path.relative(ROOT, INDEX)})`, () => {
  it("loads neither cdktf nor any provider module until a construct is used", () => {
    const result = node(`const envkit = require(${JSON.stringify(INDEX)}); ${LOADED} console.log(JSON.stringify({ heavy, modules: loaded.length, exports: Object.keys(envkit).length }));`) as { heavy: string[]; modules: number; exports: number };
    expect(result.heavy).toEqual([]);
    expect(result.exports).toBeGreaterThan(60); // the whole surface is there, constructs included
  });

  it("config, validation and guardrail functions work without loading cdktf", () => {
    const script = `const envkit = require(${JSON.stringify(INDEX)});
const project = envkit.validateDir(${JSON.stringify(path.join(ROOT, "examples", "reference-app"))});
${LOADED} console.log(JSON.stringify({ heavy, environments: project.environments.map((e) => e.model.name).sort(), rules: envkit.RULES.length > 0 }));`;
    expect(node(script)).toEqual({ heavy: [], environments: ["dev", "prod", "staging", "swarm", "test"], rules: true });
  });

  it("each construct class loads on first access and is a real class: new, instanceof, extends", () => {
    const script = `const envkit = require(${JSON.stringify(INDEX)});
const { App } = require("cdktf");
const kinds = ${JSON.stringify(CONSTRUCTS)}.map((name) => typeof envkit[name]);
class Mine extends envkit.EnvironmentStack {}
const app = new App({ outdir: require("node:fs").mkdtempSync(require("node:path").join(require("node:os").tmpdir(), "envkit-import-")), stackTraces: false });
const [env] = envkit.resolveObjects({ name: "shop", services: { api: { image: "ghcr.io/acme/api", ports: [{ name: "http", port: 8080 }], health: { http: { path: "/health", port: "http" } } } } },
  { dev: { target: "docker", release: { api: "1.0.0" }, network: { subnet: "10.231.0.0/16" } } });
const stack = new Mine(app, "dev", { environment: env.model, onWarning: () => {} });
app.synth();
require("node:fs").rmSync(app.outdir, { recursive: true, force: true });
console.log(JSON.stringify({ kinds, instance: stack instanceof envkit.EnvironmentStack, sub: stack instanceof Mine, same: envkit.EnvironmentStack === envkit.EnvironmentStack }));`;
    expect(node(script)).toEqual({ kinds: CONSTRUCTS.map(() => "function"), instance: true, sub: true, same: true });
  });

  it("envkit synth of a Kubernetes-only app loads the Kubernetes provider classes, never the Docker ones (nor the yaml package)", () => {
    const script = `const fs = require("node:fs"); const os = require("node:os"); const p = require("node:path");
const dir = fs.mkdtempSync(p.join(os.tmpdir(), "envkit-k8s-only-"));
fs.writeFileSync(p.join(dir, "app.yaml"), "name: shop\\nservices:\\n  api:\\n    image: ghcr.io/acme/api\\n    ports: [{ name: http, port: 8080 }]\\n    health: { http: { path: /health, port: http } }\\n");
fs.mkdirSync(p.join(dir, "environments"));
fs.writeFileSync(p.join(dir, "environments", "dev.yaml"), "target: kubernetes\\nrelease: { api: 1.0.0 }\\n");
const { runCli } = require(${JSON.stringify(path.join(ROOT, "dist", "lib", "cli", "main.js"))});
const code = runCli(["synth", "--config", dir, "--out", p.join(dir, "out")], { out: () => {}, err: () => {} });
${LOADED} fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ code, kubernetes: heavy.some((m) => m.includes("provider-kubernetes")), docker: heavy.filter((m) => m.includes("provider-docker")).length, yaml: loaded.some((m) => m.includes("/node_modules/yaml/")) }));`;
    // Plain YAML is read by the fast path: the yaml package (the careful path, file edits) stays unloaded.
    expect(node(script)).toEqual({ code: 0, kubernetes: true, docker: 0, yaml: false });
  });

  it("envkit diff of two output folders loads neither cdktf nor the configuration schemas, targets or zod", () => {
    const script = `const fs = require("node:fs"); const os = require("node:os"); const p = require("node:path");
const dir = fs.mkdtempSync(p.join(os.tmpdir(), "envkit-diff-cost-"));
fs.mkdirSync(p.join(dir, "stacks", "dev"), { recursive: true });
fs.writeFileSync(p.join(dir, "stacks", "dev", "cdk.tf.json"), JSON.stringify({ resource: { docker_network: { n: { name: "a" } } } }, null, 2));
const { runCli } = require(${JSON.stringify(path.join(ROOT, "dist", "lib", "cli", "main.js"))});
let said = "";
const code = runCli(["diff", "--base", dir, "--head", dir], { out: (s) => (said += s), err: () => {} });
${LOADED} fs.rmSync(dir, { recursive: true, force: true });
const lib = (f) => loaded.some((m) => m.endsWith(p.join("dist", "lib", f)));
console.log(JSON.stringify({ code, unchanged: said.includes("No changes"), heavy: heavy.length, schema: lib(p.join("config", "schema.js")), targets: lib(p.join("targets", "registry.js")), zod: loaded.some((m) => m.includes("/node_modules/zod/")) }));`;
    // Nor zod: the review checks the model sidecars by hand (sources.ts).
    expect(node(script)).toEqual({ code: 0, unchanged: true, heavy: 0, schema: false, targets: false, zod: false });
  });

  it("named imports of the constructs work from an ES module too (Node's CommonJS export detection sees them)", () => {
    const script = `import { EnvironmentStack, DockerEnvironment, DockerService, KubernetesEnvironment, KubernetesService, validateDir } from ${JSON.stringify(INDEX)};
console.log(JSON.stringify([EnvironmentStack, DockerEnvironment, DockerService, KubernetesEnvironment, KubernetesService, validateDir].map((x) => typeof x)));`;
    expect(node(script, ["--input-type=module"])).toEqual([...CONSTRUCTS.map(() => "function"), "function"]);
  });
});

describe("require of lib/index.ts in-process (cdktf made unloadable)", () => {
  /** Requires the index in a fresh registry where requiring cdktf throws; runs `then` inside it. */
  function withoutCdktf(then: (envkit: Record<string, unknown>) => void): void {
    jest.isolateModules(() => {
      jest.doMock("cdktf", () => {
        throw new Error("cdktf was loaded");
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      then(require("../../lib/index") as Record<string, unknown>);
    });
    jest.dontMock("cdktf");
  }

  it("the index loads, and validates the reference app, without cdktf", () => {
    withoutCdktf((envkit) => {
      const validateDir = envkit.validateDir as (dir: string) => { environments: Array<{ model: { name: string } }> };
      expect(validateDir(path.join(ROOT, "examples", "reference-app")).environments.map((e) => e.model.name).sort()).toEqual(["dev", "prod", "staging", "swarm", "test"]);
      expect(typeof envkit.diffStacks).toBe("function");
      expect(Object.keys(envkit)).toEqual(expect.arrayContaining(CONSTRUCTS));
    });
  });

  it.each(CONSTRUCTS)("%s is loaded only when accessed (then cdktf is required)", (name) => {
    withoutCdktf((envkit) => expect(() => envkit[name]).toThrow("cdktf was loaded"));
  });
});
