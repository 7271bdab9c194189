import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/*
 * The committed benchmark runs (it once failed for weeks unnoticed): `bench/synth-bench.js` at its
 * smallest size, one run, through the bundled command. Nothing is timed or compared here; the
 * figures are for people (README, Performance).
 */
const ROOT = path.join(__dirname, "..", "..");
const built = fs.existsSync(path.join(ROOT, "dist", "lib", "cli", "envkit.js"));
if (!built) console.warn("bench-smoke: SKIPPED: dist/lib/cli/envkit.js is missing (run `npm run build`, as `npm test` does)");

(built ? it : it.skip)("npm run bench's script runs and prints a row per case", () => {
  const out = execFileSync(process.execPath, [path.join(ROOT, "bench", "synth-bench.js"), "--sizes", "10", "--runs", "1"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  const rows = out.split("\n").filter((l) => /^(reference app|generated, 10 services)/.test(l));
  expect(rows).toHaveLength(2);
  // Each row: resources, wall, library, peak, floor, wall/floor, ms/resource — all numbers.
  for (const row of rows) expect(row).toMatch(/\s\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+×\s+[\d.]+$/);
}, 120_000);
