#!/usr/bin/env node
/*
 * Side-by-side benchmark against cdk8s + cdk8s-plus, on the workload of the design guide:
 * N hardened Kubernetes services (Deployment, Service, ServiceAccount, NetworkPolicy, PDB each),
 * per environment a namespace, quota, limit range and default-deny policy, 2 environments.
 *
 * cdk8s is not a dependency of envkit: this script installs cdk8s and cdk8s-plus into a temporary
 * folder from the npm registry (or uses --cdk8s-dir DIR). Both sides are timed as whole processes
 * (median of --runs), with peak memory, and against their own floor: a Node process that only
 * parses, serializes and writes the same output. envkit does more work per run (validation,
 * guardrails over config and JSON, atomic write) and emits more resources per service (ConfigMap,
 * two connection policies, DNS policy); object counts are printed so the comparison stays honest.
 * The floor is printed for envkit only: cdk8s writes YAML, and a text copy of it is no fair floor.
 * Then, per size, the review side: `envkit validate` of the same app (against the same floor) and
 * `envkit diff` of two synthesized outputs that differ in one service's memory (both environments
 * change: no stack is byte-identical, so nothing is skipped whole).
 * The two tools run in turn within each round; "÷ cdk8s-plus" is the median of the per-round
 * ratios of wall time. Figures are printed, never asserted. Run after `npm run build`:
 *   node bench/compare-cdk8s.js [--sizes 5,100,1000] [--runs 3]
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { option: opt, writeGeneratedApp, ENVKIT_RUN, synthArgs, JSON_FLOOR, timedNode, median, countTerraformResources, printTable } = require("./common");

const sizes = opt("sizes", "5,100,1000").split(",").map(Number);
const runs = Number(opt("runs", "3"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-vs-cdk8s-"));
// The bench's own compile cache (never the user's), filled by its first untimed run: a cache made
// earlier by an app on other targets holds their code too (a synth cache written by the reference
// app is 5.1 MB, by a Kubernetes-only app 3.0 MB), and a 5-service synth reading the bigger one
// took ~60 ms and ~6 MB more.
process.env.ENVKIT_COMPILE_CACHE = path.join(work, "compile-cache");

let cdk8sDir = opt("cdk8s-dir");
if (!cdk8sDir) {
  cdk8sDir = path.join(work, "cdk8s");
  fs.mkdirSync(cdk8sDir);
  fs.writeFileSync(path.join(cdk8sDir, "package.json"), '{"name":"bench","private":true}');
  process.stderr.write("installing cdk8s and cdk8s-plus-31 from the npm registry…\n");
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", "cdk8s@2.70.106", "cdk8s-plus-31@2.6.43", "constructs@10.8.1"], { cwd: cdk8sDir, stdio: "ignore" });
}

const envkitApp = (n) => writeGeneratedApp(path.join(work, `envkit-${n}`), n, { replicas: 2, environments: { staging: { target: "kubernetes" }, prod: { target: "kubernetes" } } });

// The same workload with cdk8s-plus: its Deployment defaults plus the hardening envkit applies.
const CDK8S = `
const { App, Chart, ApiObject, Size } = require("cdk8s");
const kplus = require("cdk8s-plus-31");
const n = Number(process.argv[1]);
const app = new App({ outdir: process.argv[2] });
for (const env of ["staging", "prod"]) {
  const chart = new Chart(app, env, { namespace: "gen-" + env });
  new kplus.Namespace(chart, "ns", { metadata: { name: "gen-" + env, labels: { "pod-security.kubernetes.io/enforce": "restricted" } } });
  new ApiObject(chart, "quota", { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "quota" }, spec: { hard: { "requests.cpu": String(n), "requests.memory": n + "Gi", pods: String(n * 4) } } });
  new ApiObject(chart, "limits", { apiVersion: "v1", kind: "LimitRange", metadata: { name: "defaults" }, spec: { limits: [{ type: "Container", default: { cpu: "500m", memory: "256Mi" }, defaultRequest: { cpu: "100m", memory: "128Mi" } }] } });
  new kplus.NetworkPolicy(chart, "default-deny", { selector: kplus.Pods.all(chart, "all-pods"), ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY }, egress: { default: kplus.NetworkPolicyTrafficDefault.DENY } });
  const deployments = [];
  for (let i = 0; i < n; i++) {
    const sa = new kplus.ServiceAccount(chart, "sa" + i, { automountToken: false });
    const d = new kplus.Deployment(chart, "s" + i, {
      replicas: 2,
      serviceAccount: sa,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: 10001, group: 10001 },
      containers: [{
        image: "ghcr.io/acme/s" + i + ":1.0." + i,
        portNumber: 8080,
        resources: { cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(200) }, memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) } },
        securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, user: 10001, group: 10001 },
        readiness: kplus.Probe.fromHttpGet("/health", { port: 8080 }),
        liveness: kplus.Probe.fromHttpGet("/health", { port: 8080 }),
        startup: kplus.Probe.fromHttpGet("/health", { port: 8080 }),
      }],
    });
    d.exposeViaService({ ports: [{ port: 8080 }] });
    new ApiObject(chart, "pdb" + i, { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "s" + i }, spec: { maxUnavailable: 1, selector: { matchLabels: d.matchLabels } } });
    deployments.push(d);
  }
  for (let i = 0; i + 1 < n; i++) deployments[i].connections.allowTo(deployments[i + 1], { ports: [kplus.NetworkPolicyPort.tcp(8080)] });
}
app.synth();
console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }));
`;

function countCdk8s(out) {
  return fs.readdirSync(out).filter((f) => f.endsWith(".yaml")).reduce((a, f) => a + fs.readFileSync(path.join(out, f), "utf8").split(/^kind: /m).length - 1, 0);
}
const floorMs = (out) => median([0, 1, 2].map(() => timedNode(JSON_FLOOR, [out, `${out}-floor`]).wall));

console.log(`envkit vs cdk8s-plus-31 — node ${process.version}, ${os.cpus().length} CPUs, median of ${runs} run(s), 2 Kubernetes environments\n`);
const rows = [["services", "tool", "objects", "wall ms", "peak MB", "floor ms", "wall/floor", "÷ cdk8s-plus"]];
const review = [["services", "command", "wall ms", "peak MB", "floor ms", "wall/floor"]];
for (const n of sizes) {
  const app = envkitApp(n);
  const tools = [
    { tool: "envkit", run: (out) => timedNode(ENVKIT_RUN, synthArgs(app, out)), count: countTerraformResources, ms: [], rss: [], objects: 0, floor: 0 },
    { tool: "cdk8s-plus", run: (out) => timedNode(CDK8S, [String(n), out], cdk8sDir), count: countCdk8s, ms: [], rss: [], objects: 0, floor: 0 },
  ];
  // One untimed run of each first: it fills envkit's compile cache (as any earlier run on the
  // machine would have) and the file system cache for both tools.
  for (const t of tools) {
    const warm = path.join(work, `${t.tool}-${n}-warm`);
    t.run(warm);
    fs.rmSync(warm, { recursive: true, force: true });
  }
  // Paired rounds: both tools run in turn within a round, so the machine's drift between rounds
  // falls on both; the ratio is the median of the per-round ratios.
  const ratios = [];
  for (let r = 0; r < runs; r++) {
    for (const t of tools) {
      const out = path.join(work, `${t.tool}-${n}-${r}`);
      const res = t.run(out);
      t.ms.push(res.wall);
      t.rss.push(res.inner.maxRssMb);
      if (r === 0) {
        t.objects = t.count(out);
        if (t.tool === "envkit") t.floor = floorMs(out);
      }
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(`${out}-floor`, { recursive: true, force: true });
    }
    ratios.push(tools[0].ms[r] / tools[1].ms[r]);
  }
  for (const t of tools) {
    const envkit = t.tool === "envkit";
    rows.push([String(n), t.tool, String(t.objects), median(t.ms).toFixed(0), median(t.rss).toFixed(0), envkit ? t.floor.toFixed(0) : "—", envkit ? `${(median(t.ms) / t.floor).toFixed(1)}×` : "—", envkit ? `${median(ratios).toFixed(2)}×` : "—"]);
    process.stderr.write(`done: ${t.tool} ${n}\n`);
  }
  // The review side: validate the app; diff two outputs (head: s0 gets twice the memory).
  const base = path.join(work, `review-${n}-base`);
  const headApp = path.join(work, `envkit-${n}-head`);
  fs.cpSync(app, headApp, { recursive: true });
  const appYaml = path.join(headApp, "app.yaml");
  fs.writeFileSync(appYaml, fs.readFileSync(appYaml, "utf8").replace("memory: 128Mi", "memory: 256Mi"));
  const head = path.join(work, `review-${n}-head`);
  timedNode(ENVKIT_RUN, synthArgs(app, base));
  timedNode(ENVKIT_RUN, synthArgs(headApp, head));
  const floor = floorMs(base);
  for (const [command, args] of [
    ["validate", ["validate", "--config", app]],
    ["diff", ["diff", "--base", base, "--head", head]],
  ]) {
    timedNode(ENVKIT_RUN, args); // untimed: fills this command's compile cache
    const res = Array.from({ length: runs }, () => timedNode(ENVKIT_RUN, args));
    const wall = median(res.map((r) => r.wall));
    review.push([String(n), `envkit ${command}`, wall.toFixed(0), median(res.map((r) => r.inner.maxRssMb)).toFixed(0), command === "validate" ? floor.toFixed(0) : "—", command === "validate" ? `${(wall / floor).toFixed(1)}×` : "—"]);
  }
  for (const d of [base, head, `${base}-floor`, headApp]) fs.rmSync(d, { recursive: true, force: true });
  process.stderr.write(`done: review ${n}\n`);
}
printTable(rows, 2);
console.log("\nreview commands (same apps; diff: two outputs, one service changed in both environments)\n");
printTable(review, 2);
fs.rmSync(work, { recursive: true, force: true });
