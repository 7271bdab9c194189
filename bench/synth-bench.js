#!/usr/bin/env node
/*
 * Synth benchmark: prints, for the reference app and for generated apps of 10, 100 and 1,000
 * services × 4 environments (dev/test on Docker, staging/prod on Kubernetes):
 *   - whole-process wall time of `envkit synth` (node start, module loading, validation,
 *     guardrails, synth, JSON pass, atomic write), median of several runs;
 *   - library time (measured inside the process, from loading envkit to the written output);
 *   - peak resident memory of the process;
 *   - the floor: a Node process that only parses, serializes and writes the same JSON;
 *   - resources synthesized, and ms per resource.
 * Figures are printed, never asserted. Run with `npm run bench` (builds first).
 * Options: --sizes 10,100,1000  --runs 3
 *          --generate N --to DIR   only write the generated application of N services (for profiling)
 */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = opt("sizes", "10,100,1000").split(",").map(Number);
const runs = Number(opt("runs", "3"));
const ROOT = path.join(__dirname, "..");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-bench-"));

/** A generated application: a chain of services, every 10th stateful, each talking to the next. */
function generateApp(n) {
  const dir = path.join(work, `app-${n}`);
  fs.mkdirSync(path.join(dir, "environments"), { recursive: true });
  const lines = ["name: gen", "services:"];
  const release = [];
  for (let i = 0; i < n; i++) {
    const stateful = i % 10 === 9;
    lines.push(
      `  s${i}:`,
      `    image: ghcr.io/acme/s${i}`,
      ...(stateful ? ["    kind: stateful", "    volumes: [{ name: data, path: /data, size: 1Gi }]"] : []),
      ...(i === 0 ? ["    public: true"] : []),
      "    ports: [{ name: http, port: 8080 }]",
      "    health: { http: { path: /health, port: http } }",
      ...(i + 1 < n ? [`    connections: [{ to: s${i + 1}, port: http }]`] : []),
      "    env: { LOG_LEVEL: info }",
      "    resources: { cpu: 100m, memory: 128Mi }",
    );
    release.push(`  s${i}: "1.0.${i}@sha256:${String(i).padStart(64, "0")}"`);
  }
  fs.writeFileSync(path.join(dir, "app.yaml"), `${lines.join("\n")}\n`);
  const big = Math.max(1, Math.ceil(n / 4000) * 4);
  const docker = (name, subnet) => `target: docker\nnetwork: { subnet: ${subnet} }\npolicy: { enforcement: advisory }\nrelease:\n${release.join("\n")}\n`;
  const k8s = (name) =>
    `target: kubernetes\ndomain: ${name}.gen.example.com\nbackend: { type: s3, bucket: b, key: ${name}, region: eu-west-1 }\nquota: { cpu: "${n * big}", memory: ${n * big}Gi, pods: ${n * 4} }\npolicy:\n  enforcement: mandatory\n  suppressions:\n    - { rule: ENVK-AVL-001, reason: generated benchmark workload runs one replica }\nrelease:\n${release.join("\n")}\n`;
  fs.writeFileSync(path.join(dir, "environments", "dev.yaml"), docker("dev", "10.0.0.0/12"));
  fs.writeFileSync(path.join(dir, "environments", "test.yaml"), docker("test", "10.16.0.0/12"));
  fs.writeFileSync(path.join(dir, "environments", "staging.yaml"), k8s("staging"));
  fs.writeFileSync(path.join(dir, "environments", "prod.yaml"), k8s("prod"));
  return dir;
}

// The child reports its own library time and peak memory on its last stdout line.
const CHILD = `
const t0 = process.hrtime.bigint();
const { runCli } = require(${JSON.stringify(path.join(ROOT, "dist", "lib", "cli", "main.js"))});
const code = runCli(["synth", "--config", process.argv[1], "--out", process.argv[2]], { out: () => {}, err: (t) => { if (!t.startsWith("warning") && !t.includes("warning:")) process.stderr.write(t + "\\n"); } });
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ code, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
`;
const FLOOR = `
const fs = require("node:fs"); const path = require("node:path");
const [src, dst] = process.argv.slice(1);
for (const env of fs.readdirSync(path.join(src, "stacks"))) {
  const json = JSON.parse(fs.readFileSync(path.join(src, "stacks", env, "cdk.tf.json"), "utf8"));
  fs.mkdirSync(path.join(dst, "stacks", env), { recursive: true });
  fs.writeFileSync(path.join(dst, "stacks", env, "cdk.tf.json"), JSON.stringify(json, null, 2));
}
`;

function timed(script, argv) {
  const t0 = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ["-e", script, ...argv], { encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const last = out.trim().split("\n").pop();
  return { wall, inner: last ? JSON.parse(last) : undefined };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function countResources(out) {
  let n = 0;
  for (const env of fs.readdirSync(path.join(out, "stacks"))) {
    const json = JSON.parse(fs.readFileSync(path.join(out, "stacks", env, "cdk.tf.json"), "utf8"));
    for (const byId of Object.values(json.resource ?? {})) n += Object.keys(byId).length;
  }
  return n;
}

if (opt("generate")) {
  const dir = generateApp(Number(opt("generate")));
  fs.cpSync(dir, opt("to", "generated-app"), { recursive: true });
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`wrote ${opt("to", "generated-app")}`);
  process.exit(0);
}

const cases = [["reference app (5 services)", path.join(ROOT, "examples", "reference-app")], ...sizes.map((n) => [`generated, ${n} services`, generateApp(n)])];
console.log(`envkit synth benchmark — node ${process.version}, ${os.cpus().length} CPUs, median of ${runs} run(s), 4 environments each\n`);
const header = ["case", "resources", "wall ms", "library ms", "peak MB", "floor ms", "wall/floor", "ms/resource"];
const rows = [];
for (const [name, dir] of cases) {
  const walls = [], libs = [], mems = [], floors = [];
  let resources = 0;
  for (let r = 0; r < runs; r++) {
    const out = path.join(work, `out-${rows.length}-${r}`);
    const res = timed(CHILD, [dir, out]);
    if (res.inner.code !== 0) throw new Error(`synth of ${name} failed with exit code ${res.inner.code}`);
    walls.push(res.wall);
    libs.push(res.inner.ms);
    mems.push(res.inner.maxRssMb);
    resources = countResources(out);
    floors.push(timed(FLOOR, [out, `${out}-floor`]).wall);
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(`${out}-floor`, { recursive: true, force: true });
  }
  const row = [name, resources, median(walls), median(libs), median(mems), median(floors)];
  rows.push([...row, median(walls) / median(floors), median(libs) / resources]);
  process.stderr.write(`done: ${name}\n`);
}
const fmt = (v, i) => (typeof v === "string" ? v : i === 1 ? String(v) : i === 6 ? `${v.toFixed(1)}×` : i === 7 ? v.toFixed(2) : v.toFixed(0));
const table = [header, ...rows.map((r) => r.map(fmt))];
const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
for (const r of table) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
fs.rmSync(work, { recursive: true, force: true });
