import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REFERENCE_APP, cli, copyReferenceApp, edit } from "../helpers";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

/** Every file under a folder with its bytes, for byte-for-byte comparisons. */
function snapshotDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p).toString("base64"));
    }
  };
  walk(dir);
  return out;
}

describe("envkit synth", () => {
  it("writes one stack per environment in the cdktf.out layout", () => {
    const out = path.join(tmp("envkit-synth-"), "cdktf.out");
    const r = cli("synth", "--config", REFERENCE_APP, "--out", out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^synthesized 5 stack\(s\) to .*cdktf\.out\/stacks: dev, prod, staging, swarm, test \(\d+ ms\)$/);
    for (const env of ["dev", "test", "staging", "prod"]) {
      expect(fs.existsSync(path.join(out, "stacks", env, "cdk.tf.json"))).toBe(true);
      expect(fs.existsSync(path.join(out, "stacks", env, "envkit-model.json"))).toBe(true);
    }
    expect(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).stacks.prod.synthesizedStackPath).toBe("stacks/prod/cdk.tf.json");
  });

  it("is deterministic: synthesizing twice gives byte-identical output", () => {
    const a = path.join(tmp("envkit-det-"), "out");
    const b = path.join(tmp("envkit-det-"), "somewhere", "else", "out");
    expect(cli("synth", "--config", REFERENCE_APP, "--out", a).code).toBe(0);
    expect(cli("synth", "--config", REFERENCE_APP, "--out", b).code).toBe(0);
    expect(snapshotDir(b)).toEqual(snapshotDir(a));
  });

  it("writes no absolute path, home folder or timestamp into the output", () => {
    const out = path.join(tmp("envkit-abs-"), "out");
    cli("synth", "--config", REFERENCE_APP, "--out", out);
    for (const [file, b64] of snapshotDir(out)) {
      const text = Buffer.from(b64, "base64").toString("utf8");
      const where = { outDir: text.includes(path.dirname(out)), cwd: text.includes(process.cwd()), home: text.includes(os.homedir()), repo: text.includes(path.resolve(REFERENCE_APP)) };
      expect({ file, ...where }).toEqual({ file, outDir: false, cwd: false, home: false, repo: false });
      expect(text).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
    }
    const dev = JSON.parse(fs.readFileSync(path.join(out, "stacks", "dev", "cdk.tf.json"), "utf8"));
    expect(dev.terraform.backend.local.path).toBe("../../../terraform.dev.tfstate");
  });

  it("leaves the previous output byte-for-byte untouched when a synth fails", () => {
    const out = path.join(tmp("envkit-atomic-"), "out");
    expect(cli("synth", "--config", REFERENCE_APP, "--out", out).code).toBe(0);
    const before = snapshotDir(out);
    const broken = copyReferenceApp();
    edit(path.join(broken, "app.yaml"), "name: shop", "name: Shop!");
    const r = cli("synth", "--config", broken, "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`synth failed; ${out} was not changed`);
    expect(snapshotDir(out)).toEqual(before);
    expect(fs.readdirSync(path.dirname(out))).toEqual(["out"]); // no temporary folder left behind
  });

  it("fails on a mandatory finding in the synthesized JSON without touching the output", () => {
    const out = path.join(tmp("envkit-atomic2-"), "out");
    fs.mkdirSync(path.join(out, "stacks"), { recursive: true });
    fs.writeFileSync(path.join(out, "manifest.json"), "previous");
    // A mandatory environment whose configuration passes every model rule; the privileged
    // override is only visible in the synthesized JSON.
    const app = copyReferenceApp();
    for (const env of ["test", "staging", "prod"]) fs.rmSync(path.join(app, "environments", `${env}.yaml`));
    const digest = `@sha256:${"e".repeat(64)}`;
    fs.writeFileSync(
      path.join(app, "environments", "dev.yaml"),
      [
        "target: docker",
        "release: { web: \"1\", api: \"1\", worker: \"1\", db: \"1\", cache: \"1\" }".replace(/"1"/g, `"1${digest}"`),
        "network: { subnet: 10.200.0.0/16 }",
        "backend: { type: s3, bucket: b, key: k, region: r }",
        "policy:",
        "  enforcement: mandatory",
        "  suppressions:",
        "    - { rule: ENVK-AVL-001, reason: a single Docker host runs one replica per service }",
        "services:",
        "  api:",
        "    security: { privileged: true }",
      ].join("\n"),
    );
    const r = cli("synth", "--config", app, "--out", out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[ENVK-SEC-004\] runs privileged/);
    expect(fs.readdirSync(out).sort()).toEqual(["manifest.json", "stacks"]);
    expect(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).toBe("previous");
  });

  it("says in its help what survives a synth and where state may live", () => {
    const help = cli("synth", "--help").out;
    expect(help).toContain("OUT/stacks/<env>/.terraform/ (providers, modules, backend settings), .terraform.lock.hcl and\nterraform.tfstate.d/ (the state of a local backend's non-default workspaces) are moved into the\nnew output");
    expect(help).toContain("Saved plan files\nare not kept");
    expect(help).toContain("a state path inside OUT, or a state file found\nin the previous output (a workspace's too, in a stack this synth no longer writes), is refused");
  });

  it("validate refuses the privileged override that synth refuses, at the YAML line, naming the synthesized resource", () => {
    const app = copyReferenceApp();
    edit(path.join(app, "environments", "prod.yaml"), "  worker:\n    replicas: 2\n", "  worker:\n    replicas: 2\n    security: { privileged: true }\n");
    // A namespace that admits privileged pods, so the guardrail (not Pod Security admission) refuses it.
    edit(path.join(app, "environments", "prod.yaml"), "kubernetes:\n  context: prod\n", "kubernetes:\n  context: prod\n  podSecurity: privileged\n");
    const at = /^\S+prod\.yaml:\d+: services\.worker\.security\.privileged: \[ENVK-SEC-004\] runs privileged \(in kubernetes_deployment_v1\.\S+\)/m;
    const v = cli("validate", "--config", app, "--env", "prod");
    expect(v.code).toBe(1);
    expect(v.err).toMatch(at);
    const out = path.join(tmp("envkit-same-"), "out");
    const s = cli("synth", "--config", app, "--out", out);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(at);
    expect(s.err).not.toContain(`${out}/stacks/prod/cdk.tf.json`);
    expect(fs.existsSync(out)).toBe(false);
  });

  it.each<[string, (dir: string) => string, RegExp]>([
    ["a folder that is not a previous output", (d) => (fs.writeFileSync(path.join(d, "notes.txt"), "mine"), d), /is not empty and is not a synthesized output/],
    ["a folder that contains the application", () => path.dirname(REFERENCE_APP), /it contains the application folder/],
    ["the current folder", () => ".", /it contains the application folder|it contains the current folder/],
  ])("refuses to replace %s, and changes nothing", (_n, pick, message) => {
    const dir = pick(tmp("envkit-unsafe-"));
    const before = fs.readdirSync(dir).sort();
    const r = cli("synth", "--config", REFERENCE_APP, "--out", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });
});

describe("envkit explain", () => {
  it("prints the effective value and the file:line that set it", () => {
    const r = cli("explain", "--config", REFERENCE_APP, "--env", "prod", "services.api.replicas");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^services\.api\.replicas = 3 {4}# .*examples\/reference-app\/environments\/prod\.yaml:\d+$/);
  });

  it("falls back to app.yaml for values the environment does not override", () => {
    expect(cli("explain", "--config", REFERENCE_APP, "--env", "dev", "services.db.security.user").out).toMatch(/= "70:70" {4}# .*reference-app\/app\.yaml:\d+$/);
  });

  it("names defaults and where they are defined", () => {
    const r = cli("explain", "--config", REFERENCE_APP, "--env", "dev", "services.api.security.readOnlyRootFilesystem");
    expect(r.out).toBe("services.api.security.readOnlyRootFilesystem = true    # default (lib/config/defaults.ts: services.*.security.readOnlyRootFilesystem — CIS 5.12; writablePaths get tmpfs/emptyDir)");
  });

  it("explains derived defaults and named list items", () => {
    expect(cli("explain", "--config", REFERENCE_APP, "--env", "staging", "services.db.volumes.data.size").out).toMatch(/= "20Gi" {4}# .*staging\.yaml:\d+$/);
    expect(cli("explain", "--config", REFERENCE_APP, "--env", "dev", "services.api.resources.cpuLimit").out).toContain('= "500m"    # default (lib/config/defaults.ts: services.*.resources.cpuLimit — twice the CPU request)');
  });

  it("lists every leaf of an object", () => {
    const lines = cli("explain", "--config", REFERENCE_APP, "--env", "dev", "services.web.security").out.split("\n");
    expect(lines).toHaveLength(9);
  });

  it("names an unreadable environment as such where another one refers to it (promotion.from, extends), not as missing", () => {
    const app = copyReferenceApp();
    fs.appendFileSync(path.join(app, "environments", "staging.yaml"), "x: [\n");
    fs.writeFileSync(path.join(app, "environments", "perf.yaml"), "target: kubernetes\nextends: staging\n");
    for (const env of ["prod", "perf"]) {
      const r = cli("validate", "--config", app, "--env", env);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/environments\/staging\.yaml:\d+: YAML syntax error: /);
      expect(r.err).toMatch(new RegExp(`environments/${env}\\.yaml:\\d+: (promotion\\.from|extends): environment "staging" could not be read \\(its file's error is reported with it\\); fix that file`));
      expect(r.err).not.toContain('no environment "staging"');
    }
  });

  it("suggests the closest path for a typo", () => {
    const r = cli("explain", "--config", REFERENCE_APP, "--env", "prod", "services.api.replcas");
    expect(r.code).toBe(1);
    expect(r.err).toContain('services.api.replcas: no such setting in environment "prod" (did you mean "replicas"?)');
  });

  it.each(["constructor", "services.constructor", "services.api.toString", "__proto__", "services.api.hasOwnProperty"])("says %s is no setting (names every object has printed `= undefined` from a made-up line)", (at) => {
    const r = cli("explain", "--config", REFERENCE_APP, "--env", "prod", at);
    expect({ code: r.code, out: r.out }).toEqual({ code: 1, out: "" });
    expect(r.err).toContain(`${at}: no such setting in environment "prod"`);
  });
});

describe("envkit compare and graph", () => {
  it("compare staging prod lists their differences and what is identical", () => {
    const r = cli("compare", "--config", REFERENCE_APP, "staging", "prod");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| services\.api\.replicas \| `2` \| `3` \|/);
    expect(r.out).toMatch(/\| quota\.cpu \| `"6"` \| `"18"` \|/);
    expect(r.out).toMatch(/\| release\.api \| `"2\.5\.0@sha256:[a-f0-9]+"` \| `"2\.4\.1@sha256:[a-f0-9]+"` \|/);
    expect(r.out).toContain("Identical connection graphs.");
    expect(r.out).toMatch(/### \d+ identical setting\(s\)/);
    // prod's 2.4.1 ran in staging before (git history), so nothing is flagged.
    expect(r.out).not.toContain("never ran");
  });

  it("compare flags a release the predecessor never ran (no release record, no git history)", () => {
    const dir = copyReferenceApp();
    fs.rmSync(path.join(dir, "releases.yaml"));
    const r = cli("compare", "--config", dir, "staging", "prod", "--format", "json");
    const c = JSON.parse(r.out);
    expect(c.unpromoted.map((u: { service: string }) => u.service)).toEqual(["api", "worker"]);
  });

  it("graph renders the reference app as mermaid and dot", () => {
    const m = cli("graph", "--config", REFERENCE_APP, "--env", "prod");
    expect(m.out.split("\n")).toEqual(expect.arrayContaining(["flowchart LR", "  internet_ -->|8080| web", "  web -->|3000/tcp| api", "  api -->|5432/tcp| db", "  worker -->|6379/tcp| cache"]));
    const d = cli("graph", "--config", REFERENCE_APP, "--env", "prod", "--format", "dot");
    expect(d.out).toMatch(/^digraph "shop-prod" \{/);
    expect(d.out).toContain('"api" -> "db" [label="5432/tcp"];');
  });
});

describe("CLI usage and exit codes", () => {
  it("prints help for every verb with exit 0", () => {
    for (const verb of ["validate", "synth", "explain", "policy", "diff", "compare", "graph", "releases"]) {
      const r = cli(verb, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: envkit ${verb}`));
      expect(r.out).toContain("Exit codes:");
    }
  });

  it("exits 2 on usage errors, naming the problem", () => {
    expect(cli().code).toBe(2);
    expect(cli("synthesize").err).toContain('unknown verb "synthesize"');
    // Names every object has: an unknown verb too (they crashed with "verb.load is not a function").
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect({ name, ...cli(name) }).toEqual({ name, code: 2, out: "", err: expect.stringContaining(`unknown verb "${name}"`) });
    const r = cli("synth", "--config", REFERENCE_APP);
    expect(r.code).toBe(2);
    expect(r.err).toContain("missing --out");
    expect(cli("validate", "--confg", "x").code).toBe(2);
    expect(cli("policy", "--config", REFERENCE_APP, "--format", "xml").err).toContain('--format must be text, json or sarif (got "xml")');
  });

  it("runs as the compiled binary", () => {
    const bin = path.join(__dirname, "..", "..", "dist", "lib", "cli", "bin.js");
    if (!fs.existsSync(bin)) {
      // The binary is built by `npm run build` (the test script runs it first).
      throw new Error(`${bin} is missing: run "npm run build" before the tests`);
    }
    const out = execFileSync(process.execPath, [bin, "validate", "--config", REFERENCE_APP], { encoding: "utf8" });
    expect(out).toMatch(/^valid: dev \(docker\)/);
  });
});
