/*
 * The measured defects of issue 16 ("Review that tells the truth in the pull request"), one test
 * each, on the reference app's real synthesized stacks changed the way a pull request would.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { toMarkdown } from "../../lib/review/markdown";
import { reviewMeta } from "../../lib/review/meta";
import { planToReport } from "../../lib/review/plan";
import { readOutputDir } from "../../lib/review/sources";
import { DiffReport, StackModel, diffOutputs, diffStacks } from "../../lib/review/stack-diff";
import { REFERENCE_APP, cli, isContainer } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Stacks = Map<string, { json: Json; model?: StackModel }>;

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-truth-")), "out");
const synth = cli("synth", "--config", REFERENCE_APP, "--out", out);
if (synth.code !== 0) throw new Error(synth.err);
const base = readOutputDir(out) as Stacks;

/**
 * Head = base with one environment's stack changed by `edit` (a deep copy, through JSON: the
 * resources of a stack readOutputDir read are parsed on first read, behind a Proxy, which
 * structuredClone cannot copy).
 */
function headWith(env: string, edit: (j: Json) => void): Stacks {
  const head: Stacks = new Map([...base].map(([k, v]) => [k, { json: JSON.parse(JSON.stringify(v.json)) as Json, model: v.model }]));
  edit(head.get(env)!.json);
  return head;
}

const review = (head: Stacks): { report: DiffReport; md: string } => {
  const report = diffOutputs(base, head);
  return { report, md: toMarkdown(report) };
};
const env = (r: DiffReport, name: string) => r.environments.find((e) => e.env === name)!;
const firstOf = (j: Json, type: string): [string, Json] => Object.entries(j.resource[type] as Record<string, Json>)[0];

describe("blind spots: blocks other than resource are compared", () => {
  it("a changed state backend key is reported with a 'state moves to' banner (was: No changes)", () => {
    const { report, md } = review(headWith("staging", (j) => (j.terraform.backend.s3.key = "shop/staging-v2.tfstate")));
    expect(env(report, "staging").status).toBe("changed");
    expect(md).not.toContain("No changes");
    expect(md).toContain("state moves to `s3://acme-terraform-state/shop/staging-v2.tfstate` (was `s3://acme-terraform-state/shop/staging.tfstate`)");
    expect(md).toMatch(/> \[!CAUTION\][\s\S]*staging:\*\* `terraform\.backend` state moves to/);
  });

  it("a kubernetes provider pointed at the prod context says it points at another cluster (was: No changes)", () => {
    const { report, md } = review(headWith("staging", (j) => (j.provider.kubernetes[0].config_context = "prod")));
    const s = env(report, "staging").settings!;
    expect(s.map((x) => [x.address, x.severity])).toEqual([["provider.kubernetes", "caution"]]);
    expect(md).toContain("points at another cluster: config_context `staging` → `prod`");
  });

  it("a docker provider pointed at another host says it points at another engine", () => {
    const { md } = review(headWith("dev", (j) => (j.provider.docker[0].host = "ssh://ops@build-2")));
    expect(md).toContain("points at another engine: host `unix:///var/run/docker.sock` → `ssh://ops@build-2`");
  });

  it("required_version and provider version changes are reported with what to run", () => {
    const { md } = review(
      headWith("staging", (j) => {
        j.terraform.required_version = ">= 1.12.0";
        j.terraform.required_providers.kubernetes.version = "2.39.0";
      }),
    );
    expect(md).toContain("needs Terraform `>= 1.12.0` (was `>= 1.11.0`)");
    expect(md).toContain("provider `kubernetes` changes: `kubernetes 2.38.0` → `kubernetes 2.39.0`; `terraform init -upgrade` is needed");
  });

  it("a variable that stops being sensitive is a caution; a new one without default says which TF_VAR to supply", () => {
    const { md } = review(
      headWith("dev", (j) => {
        j.variable.db_password.sensitive = false;
        j.variable.smtp_password = { type: "string", sensitive: true };
      }),
    );
    expect(md).toContain("`variable.db_password` changed: **is no longer sensitive: plans and logs print its value**");
    expect(md).toContain("supply `TF_VAR_smtp_password` on every plan and apply");
  });

  it("outputs are compared, and a sensitive output made public is a caution", () => {
    const add = review(headWith("dev", (j) => (j.output = { url: { value: "http://localhost:8080" } })));
    expect(add.md).toContain("`output.url` added");
    const b2 = headWith("dev", (j) => (j.output = { token: { value: "${var.jwt_secret}", sensitive: true } }));
    const h2 = headWith("dev", (j) => (j.output = { token: { value: "${var.jwt_secret}", sensitive: false } }));
    const r = diffOutputs(b2, h2);
    expect(r.environments.find((e) => e.env === "dev")!.settings!.map((s) => s.severity)).toEqual(["caution"]);
  });

  it("a moved block is a move of state, not a destroy and a create", () => {
    const [id, body] = firstOf(base.get("dev")!.json, "docker_network");
    const head = headWith("dev", (j) => {
      delete j.resource.docker_network[id];
      j.resource.docker_network.renamed = body;
      j.moved = [{ from: `docker_network.${id}`, to: "docker_network.renamed" }];
    });
    const { report, md } = review(head);
    const dev = env(report, "dev");
    expect(dev.changes.filter((c) => c.type === "docker_network").map((c) => [c.address, c.action, c.movedFrom])).toEqual([["docker_network.renamed", "move", `docker_network.${id}`]]);
    expect(md).toContain(`state moves from \`docker_network.${id}\` to \`docker_network.renamed\``);
  });
});

describe("consequences from the providers' semantics", () => {
  const stsOf = (j: Json) => Object.values(j.resource.kubernetes_stateful_set_v1 as Record<string, Json>).find((s) => s.metadata.name === "db")!;

  it("a StatefulSet volume size change 20Gi → 50Gi is not data loss: the resize never happens and nothing restarts", () => {
    const { report, md } = review(headWith("staging", (j) => (stsOf(j).spec.volume_claim_template[0].spec.resources.requests.storage = "50Gi")));
    const db = env(report, "staging").changes.find((c) => c.name === "db")!;
    expect(db).toMatchObject({ action: "update", dataLoss: false });
    expect(db.consequences!.join("\n")).toMatch(/^resize never happens: the provider never sends volume_claim_template/m);
    expect(db.consequences!.join("\n")).not.toContain("restarts");
    expect(md).not.toContain("[!CAUTION]");
  });

  it("a StatefulSet change that also changes the pod template says the db restarts", () => {
    const { report } = review(
      headWith("staging", (j) => {
        const s = stsOf(j);
        s.spec.volume_claim_template[0].spec.resources.requests.storage = "50Gi";
        s.spec.template.spec.container[0].image = "docker.io/library/postgres:16.5-alpine";
      }),
    );
    const db = env(report, "staging").changes.find((c) => c.name === "db")!;
    expect(db.consequences).toEqual(expect.arrayContaining([expect.stringMatching(/^resize never happens/), "`db` restarts: the pod template changes, so its pods are replaced one by one (rolling update)"]));
  });

  it("a StatefulSet replacement keeps its claims (Retain): no data loss, the claims re-bind at the old size", () => {
    const { report } = review(headWith("staging", (j) => (stsOf(j).spec.volume_claim_template[0].spec.storage_class_name = "ssd")));
    const db = env(report, "staging").changes.find((c) => c.name === "db")!;
    expect(db).toMatchObject({ action: "replace", dataLoss: false });
    expect(db.consequences!.join("\n")).toContain("the claims are retained and the new pods re-bind them as they are (old size, old storage class)");
  });

  it("a StatefulSet whose claims are deleted with it (when_deleted = Delete) is data loss when replaced", () => {
    const { report } = review(
      headWith("staging", (j) => {
        const s = stsOf(j);
        s.spec.persistent_volume_claim_retention_policy[0].when_deleted = "Delete";
        s.spec.service_name = "db-other";
      }),
    );
    expect(env(report, "staging").changes.find((c) => c.name === "db")).toMatchObject({ action: "replace", dataLoss: true });
  });

  it("a volume that only holds uploaded secrets is not data loss when replaced", () => {
    const { report } = review(headWith("dev", (j) => (Object.values(j.resource.docker_volume as Record<string, Json>).find((v) => v.name === "shop-dev-api-secrets")!.driver_opts = { type: "tmpfs" })));
    const vol = env(report, "dev").changes.find((c) => c.name === "shop-dev-api-secrets")!;
    expect(vol).toMatchObject({ action: "replace", dataLoss: false });
    expect(vol.consequences!.join("\n")).toContain("holds only the secret files Terraform uploads: not data loss");
  });

  it("a data volume replaced is data loss", () => {
    const { report } = review(headWith("dev", (j) => (Object.values(j.resource.docker_volume as Record<string, Json>).find((v) => v.name === "shop-dev-db-data")!.driver_opts = { type: "none" })));
    expect(env(report, "dev").changes.find((c) => c.name === "shop-dev-db-data")).toMatchObject({ action: "replace", dataLoss: true });
  });

  it("a volume labelled with a purpose other than secrets is data loss whatever its name", () => {
    const v = (labels: Json[]) => ({ resource: { docker_volume: { v: { name: "x-secrets", labels } } } });
    const [c] = diffStacks(v([{ label: "envkit.dev/purpose", value: "data" }]), v([{ label: "envkit.dev/purpose", value: "data" }, { label: "a", value: "b" }]));
    expect(c).toMatchObject({ action: "replace", dataLoss: true });
  });

  it("a docker_network replacement whose containers are not replaced is flagged: apply will fail, active endpoints", () => {
    const stack = (subnet: string) => ({
      resource: {
        docker_network: { n: { name: "shop-dev-api-to-db", ipam_config: [{ subnet }] } },
        docker_container: { c: { name: "shop-dev-api-1", image: "i", networks_advanced: [{ name: "${docker_network.n.name}" }] } },
      },
    });
    const changes = diffStacks(stack("10.0.0.0/28"), stack("10.0.1.0/28"));
    const net = changes.find((c) => c.address === "docker_network.n")!;
    expect(net.action).toBe("replace");
    expect(net.failures!.join("\n")).toContain("apply will fail: network has active endpoints (`shop-dev-api-1` stays attached and is not replaced in this plan");
    const md = toMarkdown({ environments: [{ env: "dev", status: "changed", changes, connectionsChanged: false }] });
    expect(md).toContain("**⛔ apply will fail**");
  });

  it("a network replacement is fine when replace_triggered_by replaces its containers in the same plan (envkit's Docker output)", () => {
    const { report } = review(headWith("dev", (j) => (Object.values(j.resource.docker_network as Record<string, Json>).find((n) => n.name === "shop-dev-api-to-db")!.ipam_config[0].subnet = "10.200.99.0/28")));
    const dev = env(report, "dev");
    expect(dev.changes.find((c) => c.name === "shop-dev-api-to-db")!.failures).toBeUndefined();
    // Rolling (the default) hashes the names of api's and worker's containers: compare without the hash.
    const plain = (n: unknown) => String(n).replace(/-[0-9a-f]{8}(-\d+)$/, "$1");
    expect(dev.changes.filter((c) => c.type === "docker_container" && c.triggeredBy).map((c) => plain(c.name)).sort()).toEqual(["shop-dev-api-1", "shop-dev-db-1", "shop-dev-worker-1"].filter((n) => dev.changes.some((c) => plain(c.name) === n)));
    expect(dev.changes.find((c) => isContainer(c.name, "shop-dev-api-1"))).toMatchObject({ action: "replace" });
  });
});

describe("readable changes", () => {
  it("an added env var shows by element (+ APP_ENV=dev), not as a truncated prefix of the whole list", () => {
    const { md } = review(headWith("dev", (j) => Object.values(j.resource.docker_container as Record<string, Json>).forEach((c) => c.env?.unshift("FEATURE_FLAGS=checkout-v2"))));
    expect(md).toMatch(/ {4}```diff\n {4}\+ FEATURE_FLAGS=checkout-v2\n {4}```/);
    expect(md).not.toMatch(/\["APP_ENV=dev",[^\n]*\.\.\./);
  });

  it("a secret-like env assignment is masked element by element", () => {
    const c = (env: string[]) => ({ resource: { docker_container: { c: { name: "a", env } } } });
    const [r] = diffStacks(c(["A=1"]), c(["A=1", "DB_PASSWORD=hunter2"]));
    expect(r.attributes[0].added).toEqual(["DB_PASSWORD=(sensitive)"]);
    expect(JSON.stringify(r)).not.toContain("hunter2");
  });

  it("list elements keyed by a reference read as the referenced resource's name, not a token expression", () => {
    const { md, report } = review(
      headWith("dev", (j) => {
        const api = Object.values(j.resource.docker_container as Record<string, Json>).find((c) => isContainer(c.name, "shop-dev-api-1"))!;
        api.networks_advanced.find((n: Json) => n.aliases && String(n.name).includes("web-to-api"))!.aliases = ["api", "api-v2"];
      }),
    );
    const paths = env(report, "dev").changes.flatMap((c) => c.attributes.map((a) => a.path));
    expect(paths).toContain('networks_advanced[docker_network "shop-dev-web-to-api"].aliases');
    expect(md).not.toContain("${docker_network");
  });

  it("no markdown line starts a nested bullet with a list marker (- + create rendered as an empty bullet)", () => {
    const { md } = review(
      headWith("dev", (j) => {
        j.resource.docker_network.extra = { name: "shop-dev-extra" };
        const [id] = firstOf(j, "docker_image");
        delete j.resource.docker_image[id];
      }),
    );
    expect(md).toContain("create `docker_network.extra`");
    expect(md.split("\n").filter((l) => /^\s*[-*+] +[-+*](\s|$)/.test(l))).toEqual([]);
  });

  it("names with GFM syntax are escaped outside code", () => {
    const [r] = diffStacks(undefined, { resource: { docker_network: { n: { name: "a_*b*_<x>" } } } });
    const md = toMarkdown({ environments: [{ env: "dev", status: "changed", changes: [r], connectionsChanged: false }] });
    expect(md).toContain("(a\\_\\*b\\*\\_&lt;x&gt;)");
  });

  it("a value holding backticks cannot close its code span", () => {
    const c = (v: string) => ({ resource: { docker_container: { c: { name: "a", user: v } } } });
    const md = toMarkdown({ environments: [{ env: "dev", status: "changed", changes: diffStacks(c("a"), c("x`y``z")), connectionsChanged: false }] });
    expect(md).toContain('```"x`y``z"```');
  });

  it("the connection diagram appears once for all environments, with the new connection marked", () => {
    const model = (conns: StackModel["connections"]): StackModel => ({ target: "docker", services: [{ name: "web", public: true, kind: "stateless", ports: [8080] }, { name: "api", public: false, kind: "stateless", ports: [3000] }, { name: "db", public: false, kind: "stateful", ports: [5432] }], connections: conns });
    const before = model([{ from: "web", to: "api", port: 3000, protocol: "tcp" }]);
    const after = model([{ from: "web", to: "api", port: 3000, protocol: "tcp" }, { from: "api", to: "db", port: 5432, protocol: "tcp" }]);
    const json = { resource: {} };
    const b = new Map(["dev", "test", "prod"].map((e) => [e, { json, model: before }]));
    const h = new Map(["dev", "test", "prod"].map((e) => [e, { json, model: after }]));
    const md = toMarkdown(diffOutputs(b, h));
    expect(md.match(/```mermaid/g)).toHaveLength(1);
    expect(md).toContain("(dev, prod, test; new connections thick");
    expect(md).toContain('api ==>|"5432 (new)"| db');
    expect(md).toContain("linkStyle 2 stroke:#1a7f37");
  });

  it("a removed connection is drawn dashed and marked removed", () => {
    const model = (conns: StackModel["connections"]): StackModel => ({ services: [{ name: "web", public: false, kind: "stateless", ports: [] }, { name: "api", public: false, kind: "stateless", ports: [] }], connections: conns });
    const b = new Map([["dev", { json: { resource: {} }, model: model([{ from: "web", to: "api", port: 3000, protocol: "tcp" }]) }]]);
    const h = new Map([["dev", { json: { resource: {} }, model: model([]) }]]);
    expect(toMarkdown(diffOutputs(b, h))).toContain('web -.->|"3000 (removed)"| api');
  });

  it("the header carries commit, refs and the CI run link from GitHub Actions' environment", () => {
    const meta = reviewMeta({}, { GITHUB_SHA: "0123456789abcdef0123", GITHUB_BASE_REF: "main", GITHUB_HEAD_REF: "feature/x", GITHUB_SERVER_URL: "https://github.com", GITHUB_REPOSITORY: "acme/shop", GITHUB_RUN_ID: "42" });
    const md = toMarkdown(diffOutputs(base, headWith("dev", (j) => (j.provider.docker[0].host = "tcp://x:2376")), meta));
    expect(md.split("\n")[2]).toBe("commit `0123456789ab` · `main` → `feature/x` · [CI run](https://github.com/acme/shop/actions/runs/42)");
  });

  it("a run link that is not an https URL is dropped (no link injection through a flag or variable)", () => {
    expect(reviewMeta({ runUrl: "javascript:alert(1)" }, {}).runUrl).toBeUndefined();
    expect(reviewMeta({ runUrl: "https://x/y) [z](https://evil" }, {}).runUrl).toBeUndefined();
  });

  it("the JSON report has a top-level summary with hasDataLoss and counts", () => {
    const { report } = review(headWith("dev", (j) => (Object.values(j.resource.docker_volume as Record<string, Json>).find((v) => v.name === "shop-dev-db-data")!.driver = "local-persist")));
    expect(report.summary).toMatchObject({ hasDataLoss: true, counts: { create: 0, update: 0, delete: 0 }, environments: 5, changed: ["dev"] });
    expect(report.summary!.counts.replace).toBeGreaterThan(0);
    const json = JSON.parse(cli("diff", "--base", out, "--head", out, "--format", "json").out) as DiffReport;
    expect(json.summary).toMatchObject({ hasDataLoss: false, counts: { create: 0, update: 0, replace: 0, delete: 0 }, environments: 5, changed: [] });
  });
});

describe("--plan: resource_drift (changes made outside Terraform)", () => {
  const plan = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "plan", "drift-plan.json"), "utf8")) as Json;

  it("reports what refreshing found changed outside Terraform, apart from the planned changes", () => {
    const e = planToReport(plan, "staging").environments[0];
    expect(e.drift!.map((d) => [d.address, d.action, d.drift])).toEqual([
      ["kubernetes_deployment_v1.kubernetes_web_workload_ADD35701", "update", true],
      ["kubernetes_config_map_v1.kubernetes_api_config_EF66882A", "delete", true],
    ]);
    expect(e.drift![0].attributes.map((a) => [a.path, a.before, a.after])).toEqual([["spec.replicas", '"2"', '"5"']]);
    expect(e.changes.map((c) => c.action)).toEqual(["create", "update"]);
  });

  it("renders drift in the same layout, under its own heading, and masks what Terraform marks sensitive in it", () => {
    const md = toMarkdown(planToReport(plan, "staging"));
    expect(md).toContain("**Changed outside Terraform**");
    expect(md).toMatch(/- `~` update `kubernetes_deployment_v1\.kubernetes_web_workload_ADD35701` \(web\) _\(changed outside Terraform\)_\n {2}- `spec\.replicas`: `"2"` → `"5"`/);
    expect(md + JSON.stringify(planToReport(plan, "staging"))).not.toContain("drift-secret-canary");
  });

  it("names the file when resource_drift is not a list", () => {
    expect(() => planToReport({ resource_changes: [], resource_drift: {} }, "e", "p.json")).toThrow(/p\.json: resource_drift: is not a list/);
  });
});

describe("the Docker secrets seed", () => {
  it("a replaced seed container is not reported as a replica going down: it never runs, it uploads the files again", () => {
    const seed = (v: string) => ({ resource: { docker_container: { s: { name: "shop-dev-api-secrets-seed", image: "i", labels: [{ label: "envkit.dev/role", value: "secrets-seed" }], upload: [{ file: "/run/secrets/a", content: v }] } } } });
    const [c] = diffStacks(seed("${var.a}"), seed("${var.b}"));
    expect(c.action).toBe("replace");
    expect(c.consequences).toEqual(["the secrets seed (never started) is created again and uploads the secret files into its volume again; the service's containers are replaced with it (`replace_triggered_by`)"]);
  });
});
