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
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { ROOT, option: opt, writeGeneratedApp, ENVKIT_RUN, synthArgs, JSON_FLOOR, timedNode, median, countTerraformResources, printTable } = require("./common");

const sizes = opt("sizes", "10,100,1000").split(",").map(Number);
const runs = Number(opt("runs", "3"));
const work = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-bench-"));

const generate = (n, dir) =>
  writeGeneratedApp(dir, n, {
    publicFirst: true,
    statefulEvery: 10,
    environments: { dev: { target: "docker", subnet: "10.0.0.0/12" }, test: { target: "docker", subnet: "10.16.0.0/12" }, staging: { target: "kubernetes" }, prod: { target: "kubernetes" } },
  });

if (opt("generate")) {
  generate(Number(opt("generate")), opt("to", "generated-app"));
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`wrote ${opt("to", "generated-app")}`);
  process.exit(0);
}

const cases = [["reference app (5 services)", path.join(ROOT, "examples", "reference-app")], ...sizes.map((n) => [`generated, ${n} services`, generate(n, path.join(work, `app-${n}`))])];
console.log(`envkit synth benchmark — node ${process.version}, ${os.cpus().length} CPUs, median of ${runs} run(s), 4 environments each\n`);
const rows = [["case", "resources", "wall ms", "library ms", "peak MB", "floor ms", "wall/floor", "ms/resource"]];
for (const [name, dir] of cases) {
  const walls = [], libs = [], mems = [], floors = [];
  let resources = 0;
  for (let r = 0; r < runs; r++) {
    const out = path.join(work, `out-${rows.length}-${r}`);
    const res = timedNode(ENVKIT_RUN, synthArgs(dir, out));
    walls.push(res.wall);
    libs.push(res.inner.ms);
    mems.push(res.inner.maxRssMb);
    resources = countTerraformResources(out);
    floors.push(timedNode(JSON_FLOOR, [out, `${out}-floor`]).wall);
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(`${out}-floor`, { recursive: true, force: true });
  }
  const [w, l, m, f] = [walls, libs, mems, floors].map(median);
  rows.push([name, String(resources), w.toFixed(0), l.toFixed(0), m.toFixed(0), f.toFixed(0), `${(w / f).toFixed(1)}×`, (l / resources).toFixed(2)]);
  process.stderr.write(`done: ${name}\n`);
}
printTable(rows);
fs.rmSync(work, { recursive: true, force: true });
