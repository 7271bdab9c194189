import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { GITHUB_COMMENT_LIMIT, toMarkdown } from "../../lib/review/markdown";
import { planToReport } from "../../lib/review/plan";
import { forcesReplacement, isSensitivePath } from "../../lib/review/replacement";
import { readOutputDir } from "../../lib/review/sources";
import { DiffReport, diffOutputs, diffStacks } from "../../lib/review/stack-diff";
import { REFERENCE_APP, cli, copyReferenceApp, edit } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const stack = (resource: Json): Json => ({ resource });

let synthesized: string | undefined;
/** A fresh copy of the reference app's output, synthesized once per file. */
function copyOfSynthesized(): string {
  synthesized ??= synthDir(REFERENCE_APP);
  const out = path.join(tmp("envkit-diff-copy-"), "out");
  fs.cpSync(synthesized, out, { recursive: true });
  return out;
}

function synthDir(config: string): string {
  const out = path.join(tmp("envkit-diff-"), "out");
  const r = cli("synth", "--config", config, "--out", out);
  if (r.code !== 0) throw new Error(r.err);
  return out;
}

describe("envkit diff on the reference app: bump a staging release and delete test", () => {
  const base = synthDir(REFERENCE_APP);
  const headApp = copyReferenceApp();
  edit(path.join(headApp, "environments", "staging.yaml"), /web: "1\.27\.2-alpine@sha256:[a-f0-9]+"/, `web: "1.27.3-alpine@sha256:${"d".repeat(64)}"`);
  fs.rmSync(path.join(headApp, "environments", "test.yaml"));
  // The copy is outside git; its release record (releases.yaml) still proves prod's releases ran
  // in staging, so the CLI's synth passes there too.
  const head = synthDir(headApp);

  const md = cli("diff", "--base", base, "--head", head);
  const json = cli("diff", "--base", base, "--head", head, "--format", "json");
  const report = JSON.parse(json.out) as DiffReport;

  it("shows the staging change as in-place updates of the web workload", () => {
    const staging = report.environments.find((e) => e.env === "staging")!;
    expect(staging.status).toBe("changed");
    const web = staging.changes.find((c) => c.address.startsWith("kubernetes_deployment_v1.") && c.name === "web")!;
    expect(web.action).toBe("update");
    expect(web.attributes.map((a) => a.path)).toContain("spec.template.spec.container[web].image");
    const image = web.attributes.find((a) => a.path === "spec.template.spec.container[web].image")!;
    expect(image.before).toMatch(/^"docker\.io\/nginxinc\/nginx-unprivileged:1\.27\.2-alpine@sha256:[a-f0-9]{64}"$/);
    expect(image.after).toBe(`"docker.io/nginxinc/nginx-unprivileged:1.27.3-alpine@sha256:${"d".repeat(64)}"`);
    expect(md.out).toMatch(/- `~` update `kubernetes_deployment_v1\.\S+` \(web\)\n(  - .*\n)*  - `spec\.template\.spec\.container\[web\]\.image`: `"docker\.io\/nginxinc\/nginx-unprivileged:1\.27\.2-alpine@sha256:/);
    // Only the workload changes: supporting resources carry no version label.
    expect(staging.changes.map((c) => c.type)).toEqual(["kubernetes_deployment_v1"]);
  });

  it("warns loudly that the whole test environment and its data volumes are destroyed (not the volumes that only hold uploaded secrets)", () => {
    const test = report.environments.find((e) => e.env === "test")!;
    expect(test.status).toBe("removed");
    expect(test.changes.every((c) => c.action === "delete")).toBe(true);
    expect(md.out).toContain("> [!CAUTION]");
    expect(md.out).toMatch(/> - \*\*test: the whole environment is destroyed\*\* \(\d+ resources\), including 11 that hold data: `shop-test-alertmanager-config`, `shop-test-alertmanager-data`, `shop-test-cache-backups`, `shop-test-cache-data`, `shop-test-db-backups`, `shop-test-db-data`, `shop-test-grafana-config`, `shop-test-grafana-data`, `shop-test-prometheus-config`, `shop-test-prometheus-data`, `shop-test-proxy-config`\./);
  });

  it("collapses unchanged environments into one line and stays under GitHub's limit", () => {
    expect(md.out).toContain("Unchanged: dev, prod, swarm.");
    expect(md.out.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md.out.indexOf("| environment |")).toBeLessThan(md.out.indexOf("[!CAUTION]"));
    expect(md.out.indexOf("[!CAUTION]")).toBeLessThan(md.out.indexOf("<details>"));
  });

  it("has a JSON twin that parses and agrees with the markdown counts", () => {
    expect(json.code).toBe(0);
    expect(report.environments.map((e) => [e.env, e.status])).toEqual([["dev", "unchanged"], ["prod", "unchanged"], ["staging", "changed"], ["swarm", "unchanged"], ["test", "removed"]]);
  });
});

describe("replacement classification", () => {
  const container = (over: Json = {}) => stack({ docker_container: { c: { name: "shop-dev-api-1", image: "img-a", memory: 256, ...over } } });

  it.each<[string, Json, Json, string, boolean]>([
    ["docker_container image change replaces", container(), container({ image: "img-b" }), "replace", false],
    ["docker_container memory change updates in place", container(), container({ memory: 512 }), "update", false],
    ["Deployment template change updates in place", stack({ kubernetes_deployment_v1: { d: { metadata: { name: "api" }, spec: { template: { spec: { container: [{ name: "api", image: "a" }] } } } } } }), stack({ kubernetes_deployment_v1: { d: { metadata: { name: "api" }, spec: { template: { spec: { container: [{ name: "api", image: "b" }] } } } } } }), "update", false],
    ["StatefulSet volume claim template size change is an in-place update (never applied), not data loss", stack({ kubernetes_stateful_set_v1: { s: { metadata: { name: "db" }, spec: { volume_claim_template: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "5Gi" } } } }] } } } }), stack({ kubernetes_stateful_set_v1: { s: { metadata: { name: "db" }, spec: { volume_claim_template: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "10Gi" } } } }] } } } }), "update", false],
    ["StatefulSet volume claim template storage class change replaces it, and the retained claims are not data loss", stack({ kubernetes_stateful_set_v1: { s: { metadata: { name: "db" }, spec: { volume_claim_template: [{ metadata: { name: "data" }, spec: { storage_class_name: "standard" } }] } } } }), stack({ kubernetes_stateful_set_v1: { s: { metadata: { name: "db" }, spec: { volume_claim_template: [{ metadata: { name: "data" }, spec: { storage_class_name: "ssd" } }] } } } }), "replace", false],
    ["PVC storage class change replaces and loses data", stack({ kubernetes_persistent_volume_claim_v1: { p: { metadata: { name: "data" }, spec: { storage_class_name: "standard" } } } }), stack({ kubernetes_persistent_volume_claim_v1: { p: { metadata: { name: "data" }, spec: { storage_class_name: "ssd" } } } }), "replace", true],
    ["docker_volume name change replaces and loses data", stack({ docker_volume: { v: { name: "a" } } }), stack({ docker_volume: { v: { name: "b" } } }), "replace", true],
    ["namespace label change updates in place", stack({ kubernetes_namespace_v1: { n: { metadata: { name: "ns", labels: { a: "1" } } } } }), stack({ kubernetes_namespace_v1: { n: { metadata: { name: "ns", labels: { a: "2" } } } } }), "update", false],
  ])("%s", (_name, before, after, action, dataLoss) => {
    const [c] = diffStacks(before, after);
    expect(c.action).toBe(action);
    expect(c.dataLoss).toBe(dataLoss);
  });

  it("a docker_container tmpfs change is an in-place update the provider never applies, and the markdown says how to apply it", () => {
    const [c] = diffStacks(container({ tmpfs: { "/tmp": "rw,size=64m" } }), container({ tmpfs: { "/tmp": "rw,size=128m" } }));
    expect(c.action).toBe("update");
    expect(c.attributes.map((a) => [a.path, a.notApplied])).toEqual([["tmpfs./tmp", true]]);
    const md = toMarkdown({ environments: [{ env: "dev", status: "changed", changes: [c], connectionsChanged: false }] });
    expect(md).toContain("planned in place, but the provider never applies `tmpfs./tmp` to the existing resource: it keeps the old value and every later plan shows this update again, until it is replaced (`terraform apply -replace=docker_container.c`)");
  });

  it("a docker_container memory change is applied in place, with no such note", () => {
    const [c] = diffStacks(container(), container({ memory: 512 }));
    expect(c.attributes.every((a) => !a.notApplied)).toBe(true);
  });

  it("reports creations and deletions, and deleting a volume is data loss", () => {
    const changes = diffStacks(stack({ docker_volume: { v: { name: "data" } } }), stack({ docker_network: { n: { name: "net" } } }));
    expect(changes.map((c) => [c.address, c.action, c.dataLoss])).toEqual([["docker_network.n", "create", false], ["docker_volume.v", "delete", true]]);
  });

  it("ignores cdktf's metadata comments", () => {
    expect(diffStacks(stack({ docker_volume: { v: { "//": { metadata: { path: "a" } }, name: "x" } } }), stack({ docker_volume: { v: { "//": { metadata: { path: "b" } }, name: "x" } } }))).toEqual([]);
  });

  it("knows which paths force replacement", () => {
    expect(forcesReplacement("kubernetes_deployment_v1", "spec[0].selector[0].match_labels")).toBe(true);
    expect(forcesReplacement("kubernetes_deployment_v1", "spec.replicas")).toBe(false);
    expect(forcesReplacement("docker_container", "lifecycle.ignore_changes")).toBe(false);
    expect(forcesReplacement("unknown_type", "anything")).toBe(false);
  });
});

describe("masking", () => {
  it("masks sensitive values in attribute changes", () => {
    const before = stack({ docker_container: { c: { upload: [{ file: "/run/secrets/a", content: "${var.a}" }], env: ["A=1"] } } });
    const after = stack({ docker_container: { c: { upload: [{ file: "/run/secrets/a", content: "${var.b}" }], env: ["A=2"] } } });
    const [c] = diffStacks(before, after);
    const content = c.attributes.find((a) => a.path.endsWith("content"))!;
    expect([content.before, content.after]).toEqual(["(sensitive)", "(sensitive)"]);
    expect(c.attributes.find((a) => a.path.startsWith("env"))!.after).toBe('["A=2"]');
    expect(JSON.stringify(c)).not.toContain("var.b");
  });

  it("shows the changed lines of an uploaded file's literal text (a Docker rules file), which a synthesized stack never holds a secret in", () => {
    const rules = (threshold: number) => ["groups:", "  - name: shop-dev", "    rules:", `      - expr: 'up == 0 and x > ${threshold}'`, "        for: 1m", ""].join("\n");
    const body = (t: number) => ({ upload: [{ file: "/etc/envkit/rules.yml", content: rules(t) }] });
    const [c] = diffStacks(stack({ docker_container: { prom: body(90) } }), stack({ docker_container: { prom: body(95) } }));
    const content = c.attributes.find((a) => a.path.endsWith("content"))!;
    expect(content.path).toBe("upload[/etc/envkit/rules.yml].content");
    expect(content.lines?.hunks).toEqual([{ line: 4, removed: ["      - expr: 'up == 0 and x > 90'"], added: ["      - expr: 'up == 0 and x > 95'"] }]);
    expect(toMarkdown({ environments: [{ env: "dev", status: "changed", changes: [c], connectionsChanged: false }] })).toContain("x > 95");
    // The JSON report has both values whole, in the same key order as every other change.
    const json = JSON.parse(JSON.stringify(content)) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 4)).toEqual(["path", "schemaPath", "before", "after"]);
    expect([json.before, json.after]).toEqual([JSON.stringify(rules(90)), JSON.stringify(rules(95))]);
    expect({ ...content }.after).toBe(JSON.stringify(rules(95)));
  });

  it("keeps an upload masked when either side is a reference, the file is a secret's, or a line assigns a secret", () => {
    const diff = (b: Record<string, unknown>, a: Record<string, unknown>) => diffStacks(stack({ docker_container: { c: { upload: [b] } } }), stack({ docker_container: { c: { upload: [a] } } }))[0];
    // Literal text replaced by a reference: the reference side is masked, and no line diff shows either.
    const toRef = diff({ file: "/etc/app/app.conf", content: "a\nb" }, { file: "/etc/app/app.conf", content: "${var.a}" }).attributes[0];
    expect([toRef.before, toRef.after, toRef.lines]).toEqual([JSON.stringify("a\nb"), "(sensitive)", undefined]);
    // A secret's file keeps its literal text masked too.
    const secretFile = diff({ file: "/run/secrets/db_password", content: "old\n" }, { file: "/run/secrets/db_password", content: "new\n" }).attributes[0];
    expect([secretFile.before, secretFile.after, secretFile.lines]).toEqual(["(sensitive)", "(sensitive)", undefined]);
    // A KEY=value line with a secret-like key is masked inside the shown lines.
    const env = diff({ file: "/etc/app/app.env", content: "MODE=a\nDB_PASSWORD=x1\n" }, { file: "/etc/app/app.env", content: "MODE=b\nDB_PASSWORD=x2\n" }).attributes[0];
    expect(JSON.stringify(env.lines)).toContain("DB_PASSWORD=(sensitive)");
    expect(JSON.stringify(env.lines)).not.toMatch(/x1|x2/);
  });

  it("masks every upload's content in a plan, where references have become their values", () => {
    const plan = { resource_changes: [{ address: "docker_container.c", type: "docker_container", name: "c", change: { actions: ["update"], before: { upload: [{ file: "/etc/app/app.conf", content: "a\nb" }] }, after: { upload: [{ file: "/etc/app/app.conf", content: "a\nc" }] }, before_sensitive: {}, after_sensitive: {} } }] };
    const [change] = planToReport(plan, "dev").environments[0].changes;
    const content = change.attributes.find((a) => a.path.endsWith("content"))!;
    expect([content.before, content.after, content.lines]).toEqual(["(sensitive)", "(sensitive)", undefined]);
  });

  it("treats secret-like keys as sensitive but not *_FILE pointers", () => {
    expect(isSensitivePath("data_wo.value")).toBe(true);
    expect(isSensitivePath("data.DB_PASSWORD")).toBe(true);
    expect(isSensitivePath("data.DB_PASSWORD_FILE")).toBe(false);
  });
});

describe("markdown size cap", () => {
  const big: DiffReport = {
    environments: Array.from({ length: 6 }, (_, e) => ({
      env: `env${e}`,
      status: "changed" as const,
      connectionsChanged: false,
      changes: Array.from({ length: 300 }, (_, i) => ({
        address: `docker_container.c${i}`,
        type: "docker_container",
        name: `c${i}`,
        action: "update" as const,
        dataLoss: false,
        attributes: [{ path: "memory", before: String(i), after: String(i + 1), forcesReplacement: false }],
      })),
    })),
  };

  it.each([GITHUB_COMMENT_LIMIT, 20000, 5000, 1000])("never exceeds --max-chars %p and says what was cut", (max) => {
    const md = toMarkdown(big, max);
    expect(md.length).toBeLessThanOrEqual(max);
    expect(md).toMatch(/✂ Cut to stay within|\(cut; see the JSON output\)/);
  });

  it("keeps the whole report when it fits", () => {
    const small: DiffReport = { environments: [big.environments[0]].map((e) => ({ ...e, changes: e.changes.slice(0, 3) })) };
    expect(toMarkdown(small)).not.toContain("✂");
  });

  it("rejects a --max-chars below 200 as a usage error", () => {
    const r = cli("diff", "--plan", "x.json", "--max-chars", "10");
    expect(r.code).toBe(2);
    expect(r.err).toContain("--max-chars must be an integer of at least 200");
  });
});

describe("golden markdown (change detector)", () => {
  it("renders a fixed report exactly as the committed golden file", () => {
    const base = new Map([["staging", { json: stack({ kubernetes_deployment_v1: { d: { metadata: { name: "api" }, spec: { replicas: "2" } } }, docker_volume: { v: { name: "shop-staging-db-data" } } }), model: { target: "kubernetes", services: [{ name: "api", public: false, kind: "stateless", ports: [3000] }], connections: [] } }]]);
    const head = new Map([["staging", { json: stack({ kubernetes_deployment_v1: { d: { metadata: { name: "api" }, spec: { replicas: "3" } } } }), model: { target: "kubernetes", services: [{ name: "api", public: false, kind: "stateless", ports: [3000] }, { name: "web", public: true, kind: "stateless", ports: [8080] }], connections: [{ from: "web", to: "api", port: 3000, protocol: "tcp" }] } }]]);
    const md = toMarkdown(diffOutputs(base, head));
    const golden = path.join(__dirname, "..", "fixtures", "golden", "diff.md");
    if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, md);
    expect(md).toBe(fs.readFileSync(golden, "utf8"));
  });
});

describe("real plans: envkit diff --plan", () => {
  const fixture = path.join(__dirname, "..", "fixtures", "plan", "staging-plan.json");

  it("renders terraform show -json output with Terraform's own actions", () => {
    const report = planToReport(JSON.parse(fs.readFileSync(fixture, "utf8")), "staging");
    const byAddr = Object.fromEntries(report.environments[0].changes.map((c) => [c.address, c]));
    expect(byAddr["kubernetes_deployment_v1.kubernetes_web_workload_ADD35701"].action).toBe("update");
    expect(byAddr["kubernetes_stateful_set_v1.kubernetes_db_workload_3A4B6643"]).toMatchObject({ action: "replace", dataLoss: false });
    expect(byAddr["kubernetes_stateful_set_v1.kubernetes_db_workload_3A4B6643"].consequences!.join("\n")).toContain("the claims are retained and the new pods re-bind them as they are (old size, old storage class)");
    expect(byAddr["kubernetes_config_map_v1.kubernetes_api_config_EF66882A"].action).toBe("replace");
    expect(byAddr["kubernetes_secret_v1.kubernetes_secret-db_password_8F334A1A"]).toBeUndefined(); // no-op
    expect(Object.keys(byAddr)).toHaveLength(3);
  });

  it("masks what the plan marks sensitive", () => {
    const r = cli("diff", "--plan", fixture, "--env", "staging", "--format", "json");
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("plan-secret-canary");
    expect(r.out).toContain("(sensitive)");
  });

  it("prints the same markdown layout as a synthesized diff", () => {
    const r = cli("diff", "--plan", fixture, "--env", "staging");
    expect(r.out).toMatch(/^## envkit plan review/);
    expect(r.out).toContain("| staging | changed | 0 | 1 | 2 | 0 |");
    expect(r.out).toContain("the claims are retained");
  });

  it("names the file and the fix for input that is not a plan", () => {
    const bad = path.join(tmp("envkit-plan-"), "plan.json");
    fs.writeFileSync(bad, "{}");
    const r = cli("diff", "--plan", bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('plan.json: resource_changes: is missing; pass the output of "terraform show -json <planfile>"');
  });
});

describe("envkit diff with git refs", () => {
  it("synthesizes a ref in a temporary worktree and diffs it against an output folder", () => {
    const head = synthDir(REFERENCE_APP);
    const r = cli("diff", "--base", "HEAD", "--head", head, "--format", "json", "--config", REFERENCE_APP);
    expect(r.err).toMatch(/synthesizing HEAD \([0-9a-f]{12}\)/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as DiffReport;
    expect(report.environments.map((e) => e.env)).toEqual(["dev", "prod", "staging", "swarm", "test"]);
  });

  it("reports an unknown ref clearly", () => {
    const r = cli("diff", "--base", "no-such-ref-xyz", "--head", synthDir(REFERENCE_APP));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/git ref "no-such-ref-xyz"/);
  });

  it("reads stacks and sidecars from an output folder", () => {
    const out = readOutputDir(synthDir(REFERENCE_APP));
    expect([...out.keys()]).toEqual(["dev", "prod", "staging", "swarm", "test"]);
    expect(out.get("prod")!.model!.connections).toHaveLength(5);
  });

  it.each([
    ["a list", [], "", "expected an object, found a list"],
    ["a target that is not a string", { target: 3, services: [], connections: [] }, "target", "expected a string, found a number"],
    ["no services", { connections: [] }, "services", "expected a list, found nothing"],
    ["a service that is not an object", { services: ["web"], connections: [] }, "services.0", "expected an object, found a string"],
    ["a service name that is a number", { services: [{ name: 1, public: true, kind: "service", ports: [] }], connections: [] }, "services.0.name", "expected a string, found a number"],
    ["public as a string", { services: [{ name: "web", public: "yes", kind: "service", ports: [] }], connections: [] }, "services.0.public", "expected a boolean, found a string"],
    ["ports that are not a list", { services: [{ name: "web", public: true, kind: "service", ports: 80 }], connections: [] }, "services.0.ports", "expected a list of numbers, found a number"],
    ["a port that is a string", { services: [{ name: "web", public: true, kind: "service", ports: [80, "443"] }], connections: [] }, "services.0.ports.1", "expected a number, found a string"],
    ["connections as an object", { services: [], connections: {} }, "connections", "expected a list, found an object"],
    ["a connection port that is null", { services: [], connections: [{ from: "a", to: "b", port: null, protocol: "tcp" }] }, "connections.0.port", "expected a number, found null"],
  ])("refuses a model sidecar with %s, naming the file and the path, never the content", (_what, sidecar, at, message) => {
    const out = copyOfSynthesized();
    const file = path.join(out, "stacks", "dev", "envkit-model.json");
    fs.writeFileSync(file, JSON.stringify(sidecar));
    const r = cli("diff", "--base", out, "--head", out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}: ${at ? `${at}: ` : ""}is not an envkit model sidecar (${message}); synthesize it again with envkit synth`);
    expect(r.err).not.toContain("443");
  });

  it("accepts a sidecar with fields a later envkit may add", () => {
    const out = copyOfSynthesized();
    const file = path.join(out, "stacks", "dev", "envkit-model.json");
    const sidecar = JSON.parse(fs.readFileSync(file, "utf8")) as { services: Record<string, unknown>[] };
    sidecar.services[0].replicas = 3;
    fs.writeFileSync(file, JSON.stringify({ ...sidecar, schema: 2 }));
    expect(readOutputDir(out).get("dev")!.model!.services[0].name).toBe(sidecar.services[0].name);
  });
});

describe("envkit diff --json-out: the report whole or not at all", () => {
  it("writes the complete report; a full disk is an error naming the file (exit 1, no internal error) and keeps the previous report", () => {
    const out = copyOfSynthesized();
    const report = path.join(tmp("envkit-diff-json-out-"), "report.json");
    expect(cli("diff", "--base", out, "--head", out, "--json-out", report).code).toBe(0);
    const previous = fs.readFileSync(report, "utf8");
    expect(JSON.parse(previous)).toHaveProperty("environments");
    // The module itself (this file's `fs` is a namespace copy of it), as envkit's code reads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const full = jest.spyOn(require("node:fs") as typeof fs, "fsyncSync").mockImplementation(() => {
      throw Object.assign(new Error("ENOSPC: no space left on device, fsync"), { code: "ENOSPC" });
    });
    let r: ReturnType<typeof cli>;
    try {
      r = cli("diff", "--base", out, "--head", out, "--json-out", report);
    } finally {
      full.mockRestore();
    }
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${report}: no space is left on the device; a previous report there is unchanged; free space or choose another --json-out, then run envkit diff again`);
    expect(fs.readFileSync(report, "utf8")).toBe(previous);
    expect(fs.readdirSync(path.dirname(report))).toEqual(["report.json"]);
  });
});
