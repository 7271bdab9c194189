/* Shared by the benchmark scripts: the generated application, process timing and the table. */
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");

/**
 * Writes a generated application of `n` services (a chain: each talks to the next) into `dir`.
 * options.environments: { name: { target: "docker", subnet } | { target: "kubernetes" } }
 * options.statefulEvery: every k-th service is stateful with a volume (0: none)
 * options.publicFirst: the first service is public (an Ingress / published port)
 * options.replicas: replicas per service (default 1; with 1, production-like environments
 *   suppress ENVK-AVL-001 with a reason, as a real team would have to)
 * With stateful services, production-like environments suppress ENVK-DAT-001 (no backups) with a
 * reason: the workload stays the one earlier figures measured.
 */
const suppressions = (lines) => (lines.some(Boolean) ? `policy:\n  suppressions:\n${lines.filter(Boolean).join("\n")}\n` : "");

function writeGeneratedApp(dir, n, options) {
  const { environments, statefulEvery = 0, replicas = 1 } = options;
  fs.mkdirSync(path.join(dir, "environments"), { recursive: true });
  const lines = ["name: gen", "services:"];
  const release = [];
  for (let i = 0; i < n; i++) {
    const stateful = statefulEvery > 0 && i % statefulEvery === statefulEvery - 1;
    lines.push(
      `  s${i}:`,
      `    image: ghcr.io/acme/s${i}`,
      ...(stateful ? ["    kind: stateful", "    volumes: [{ name: data, path: /data, size: 1Gi }]"] : []),
      ...(i === 0 && options.publicFirst ? ["    public: true"] : []),
      "    ports: [{ name: http, port: 8080 }]",
      "    health: { http: { path: /health, port: http } }",
      ...(i + 1 < n ? [`    connections: [{ to: s${i + 1}, port: http }]`] : []),
      "    resources: { cpu: 100m, memory: 128Mi }",
      ...(replicas !== 1 && !stateful ? [`    replicas: ${replicas}`] : []),
    );
    release.push(`  s${i}: "1.0.${i}@sha256:${String(i).padStart(64, "0")}"`);
  }
  fs.writeFileSync(path.join(dir, "app.yaml"), `${lines.join("\n")}\n`);
  const releases = `release:\n${release.join("\n")}\n`;
  for (const [name, env] of Object.entries(environments)) {
    const text =
      env.target === "docker"
        ? `target: docker\nnetwork: { subnet: ${env.subnet} }\npolicy: { enforcement: advisory }\n${releases}`
        : `target: kubernetes\ndomain: ${name}.gen.example.com\nbackend: { type: s3, bucket: b, key: ${name}, region: eu-west-1 }\n` +
          `quota: { cpu: "${n * 4}", memory: ${n * 4}Gi, pods: ${n * 4} }\n` +
          suppressions([
            replicas === 1 && "    - { rule: ENVK-AVL-001, reason: generated benchmark workload runs one replica }",
            statefulEvery > 0 && "    - { rule: ENVK-DAT-001, reason: generated benchmark workload keeps no data worth a backup }",
          ]) +
          releases;
    fs.writeFileSync(path.join(dir, "environments", `${name}.yaml`), text);
  }
  return dir;
}

/**
 * A child script that runs the envkit command as users run it — the bundled CLI
 * (dist/lib/cli/envkit.js, `npm run build`) — with the arguments it is given; its stdout and its
 * advisory warnings are silenced (errors still show), and one JSON line is printed when it exits 0.
 */
const ENVKIT_RUN = `
const t0 = process.hrtime.bigint();
process.argv = [process.argv[0], ${JSON.stringify(path.join(ROOT, "dist", "lib", "cli", "envkit.js"))}, ...process.argv.slice(1)];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
const errWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = (t, ...rest) => (String(t).includes("warning:") ? true : errWrite(t, ...rest));
process.on("exit", (code) => {
  if (code === 0) write(JSON.stringify({ ms: Number(process.hrtime.bigint() - t0) / 1e6, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\\n");
});
require(process.argv[1]);
`;

/** `envkit synth --config CONFIG --out OUT` through {@link ENVKIT_RUN}: the arguments for timedNode. */
const synthArgs = (config, out) => ["synth", "--config", config, "--out", out];

/** The floor: a process that only parses, serializes and writes the same JSON stacks. */
const JSON_FLOOR = `
const fs = require("node:fs"); const path = require("node:path");
const [src, dst] = process.argv.slice(1);
for (const env of fs.readdirSync(path.join(src, "stacks"))) {
  const json = JSON.parse(fs.readFileSync(path.join(src, "stacks", env, "cdk.tf.json"), "utf8"));
  fs.mkdirSync(path.join(dst, "stacks", env), { recursive: true });
  fs.writeFileSync(path.join(dst, "stacks", env, "cdk.tf.json"), JSON.stringify(json, null, 2));
}
console.log("{}");
`;

/** Runs a Node script in a fresh process: whole-process wall time and its last stdout line as JSON. */
function timedNode(script, argv, cwd) {
  const t0 = process.hrtime.bigint();
  const out = execFileSync(process.execPath, ["-e", script, ...argv], { cwd, encoding: "utf8", maxBuffer: 1 << 26, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  return { wall: Number(process.hrtime.bigint() - t0) / 1e6, inner: JSON.parse(out.trim().split("\n").pop()) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Resources in every stack of a synthesized output folder. */
function countTerraformResources(out) {
  let n = 0;
  for (const env of fs.readdirSync(path.join(out, "stacks"))) {
    const json = JSON.parse(fs.readFileSync(path.join(out, "stacks", env, "cdk.tf.json"), "utf8"));
    for (const byId of Object.values(json.resource ?? {})) n += Object.keys(byId).length;
  }
  return n;
}

/** Reads `--name value` from the command line, or `def`. */
function option(name, def) {
  const args = process.argv.slice(2);
  return args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def;
}

/** Prints rows of strings as an aligned table; the first `left` columns are left-aligned. */
function printTable(rows, left = 1) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(r.map((c, i) => (i < left ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
}

module.exports = { ROOT, option, writeGeneratedApp, ENVKIT_RUN, synthArgs, JSON_FLOOR, timedNode, median, countTerraformResources, printTable };
