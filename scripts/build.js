#!/usr/bin/env node
/*
 * `npm run build`: compiles lib/, stacks/ and main.ts into dist/ (tsc in build mode, incremental),
 * then bundles the CLI (scripts/bundle-cli.js). `cdktf synth`, `cdktf diff` and `cdktf deploy` run
 * it before every synthesis (cdktf.json's app), and so does `npm test`: a build with nothing changed
 * takes ~0.2 s instead of tsc's full ~16 s on the build machine (tsc is not even started).
 *
 * tsc's build mode trusts dist/.tsbuildinfo: it re-emits only what changed since, and never an
 * output that was deleted, nor after the dependencies changed. So the compiler's record is
 * dropped — and everything compiled again — when an output of a source it lists is missing, when
 * node_modules was installed after it, or when a tsconfig changed after it. `rm -rf dist` starts
 * from scratch as before. tsc is not started when no source is newer than the record, every file
 * the record lists still exists, and the record is a clean build's: a failed build's record holds
 * its errors, and tsc runs again to report them (a second `npm run build` never passes where the
 * first failed). The bundle is rebuilt when it is older than anything it is made of: the
 * compiled code, the bundler, and the dependencies as node_modules/.package-lock.json dates them
 * (npm rewrites it on every install; a file edited by hand inside node_modules is not noticed).
 * The outputs of a deleted or renamed source are removed (tsc leaves them, and the package would
 * ship them), and tsc runs: an importer of it may no longer compile.
 * Like tsc's build mode, all of this goes by file times: a source put back with an older time
 * (`cp -p` from a backup) is not noticed; `rm -rf dist` then builds from scratch.
 */
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
/** tsc's record of the last build (tsconfig.build.json's tsBuildInfoFile). */
const INFO = path.join("dist", ".tsbuildinfo");

const mtime = (file) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
};

/** Every file under `dirs` of `root` (those that exist) whose name passes `keep`. */
function filesUnder(root, dirs, keep) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (keep(e.name)) out.push(p);
    }
  };
  for (const dir of dirs) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return out;
}

/** Every TypeScript source tsconfig.build.json compiles (lib/, stacks/, main.ts) under `root`. */
function sources(root) {
  const main = fs.existsSync(path.join(root, "main.ts")) ? [path.join(root, "main.ts")] : [];
  return [...main, ...filesUnder(root, ["lib", "stacks"], (name) => name.endsWith(".ts") && !name.endsWith(".d.ts"))];
}

/** tsc's record under `root`, parsed; undefined when there is none or it cannot be read. */
function readRecord(root) {
  try {
    return JSON.parse(fs.readFileSync(path.join(root, INFO), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * The fields of the record of a build that compiled without an error and emitted everything
 * (TypeScript 5.9). A failed build's record holds its diagnostics (`semanticDiagnosticsPerFile`…)
 * and files still to check or emit; tsc -b then reports the errors again, so it must be started.
 */
const CLEAN_RECORD_FIELDS = new Set(["fileNames", "fileIdsList", "fileInfos", "root", "options", "referencedMap", "version", "latestChangedDtsFile"]);

/** Whether `record` is that of a build that compiled cleanly (see {@link CLEAN_RECORD_FIELDS}). */
function recordIsClean(record) {
  return typeof record === "object" && record !== null && Object.keys(record).every((k) => CLEAN_RECORD_FIELDS.has(k));
}

/** The files a parsed record of tsc under `root` lists (absolute paths), or undefined when it lists none. */
function recordedSources(root, record = readRecord(root)) {
  if (!record || !Array.isArray(record.fileNames)) return undefined;
  return new Set(record.fileNames.filter((f) => typeof f === "string").map((f) => path.resolve(root, path.dirname(INFO), f)));
}

/** Why the compiler's record under `root` cannot be trusted, or undefined when it can (or there is none). */
function staleRecord(root, srcs = sources(root)) {
  const recorded = mtime(path.join(root, INFO));
  if (recorded === undefined) return undefined;
  for (const file of ["tsconfig.json", "tsconfig.build.json", "node_modules/.package-lock.json"]) {
    const t = mtime(path.join(root, file));
    if (t !== undefined && t > recorded) return `${file} changed`;
  }
  let listed;
  for (const src of srcs) {
    const base = path.join(root, "dist", path.relative(root, src)).replace(/\.ts$/, "");
    for (const ext of [".js", ".d.ts"]) {
      if (mtime(base + ext) !== undefined) continue;
      // A source the record does not list is new to tsc (added, or renamed with its old time kept,
      // as git mv does): tsc -b compiles it. One it lists, tsc -b would not emit again, even when
      // the source was touched since (its text unchanged, tsc only updates its record).
      listed ??= recordedSources(root) ?? new Set();
      if (listed.has(src) || listed.size === 0) return `${path.relative(root, base + ext)} is missing`;
    }
  }
  return undefined;
}

/**
 * Whether tsc has nothing to do under `root`: its record is newer than every source and tsconfig
 * (tsc's own up-to-date test in build mode, made here without loading the compiler: ~0.5 s).
 */
function compiledIsCurrent(root, srcs = sources(root)) {
  const recorded = mtime(path.join(root, INFO));
  if (recorded === undefined || staleRecord(root, srcs) !== undefined) return false;
  const record = readRecord(root);
  if (!recordIsClean(record)) return false;
  // A file the last compile read is gone (a deleted source, even with its outputs deleted too): an
  // importer of it may no longer compile.
  for (const file of recordedSources(root, record) ?? []) if (mtime(file) === undefined) return false;
  for (const file of [...srcs, path.join(root, "tsconfig.json"), path.join(root, "tsconfig.build.json")]) {
    const t = mtime(file);
    if (t === undefined || t >= recorded) return false;
  }
  return true;
}

/** The newest mtime among the bundle's inputs under `root`: the compiled CLI and library, the dependencies, the bundler. */
function newestInput(root) {
  const compiled = filesUnder(root, ["dist/lib", "dist/stacks"], (name) => name.endsWith(".js") && name !== "envkit-bundle.js");
  return Math.max(...[path.join(root, "node_modules/.package-lock.json"), path.join(root, "scripts", "bundle-cli.js"), ...compiled].map((f) => mtime(f) ?? 0));
}

/**
 * Dates now every output older than its source. tsc's build mode leaves the outputs of a source
 * whose text is unchanged (only touched: a branch switched and back, a save without edits) as they
 * were, so they look stale by their times; a full compile rewrote them. Keeps "no output is older
 * than its source", which the published-declarations test (and anyone reading times) relies on.
 */
function touchUnchangedOutputs(root, srcs) {
  const now = new Date();
  for (const src of srcs) {
    const t = mtime(src);
    const base = path.join(root, "dist", path.relative(root, src)).replace(/\.ts$/, "");
    for (const ext of [".js", ".d.ts"]) {
      const out = base + ext;
      const o = mtime(out);
      if (t !== undefined && o !== undefined && o < t) fs.utimesSync(out, now, now);
    }
  }
}

/**
 * Removes the compiled outputs under `root`'s dist/ whose source is gone (a deleted or renamed
 * file): tsc never deletes an output, and `npm pack` (whose prepack runs this build) would ship
 * them. The bundle is not a compiled output and stays. Returns the removed files.
 */
function removeOrphanOutputs(root, srcs) {
  const dist = path.join(root, "dist");
  const have = new Set(srcs.map((src) => path.relative(root, src).replace(/\.ts$/, "")));
  const outputs = [
    ...filesUnder(root, ["dist/lib", "dist/stacks"], (name) => name.endsWith(".js") || name.endsWith(".d.ts")),
    ...["main.js", "main.d.ts"].map((f) => path.join(dist, f)).filter((f) => fs.existsSync(f)),
  ].filter((out) => out !== path.join(dist, "lib", "cli", "envkit-bundle.js"));
  const removed = [];
  for (const out of outputs) {
    if (have.has(path.relative(dist, out).replace(/\.d\.ts$|\.js$/, ""))) continue;
    fs.rmSync(out, { force: true });
    removed.push(out);
  }
  return removed;
}

/** Whether the bundle under `root` is newer than everything it is made of. */
function bundleIsCurrent(root) {
  const bundle = mtime(path.join(root, "dist", "lib", "cli", "envkit-bundle.js"));
  return bundle !== undefined && bundle > newestInput(root);
}

/** The TypeScript compiler's path, or exit 1 with the fix when the dependencies are not installed. */
function tscPath() {
  try {
    return require.resolve("typescript/bin/tsc", { paths: [ROOT] });
  } catch {
    process.stderr.write(`build: TypeScript is not installed in ${ROOT} (no node_modules/typescript); run \`npm ci\` there first\n`);
    process.exit(1);
  }
}

function main() {
  const srcs = sources(ROOT);
  // The outputs of a deleted or renamed source go, and tsc runs: an importer of it may no longer
  // compile, and only tsc says so (the record still looks current).
  const orphans = removeOrphanOutputs(ROOT, srcs);
  if (orphans.length > 0) process.stdout.write(`build: removed ${orphans.length} compiled file(s) whose source is gone (${orphans.slice(0, 3).map((f) => path.relative(ROOT, f)).join(", ")}${orphans.length > 3 ? ", …" : ""})\n`);
  const why = staleRecord(ROOT, srcs);
  if (why) {
    // stdout: cdktf shows an app's stderr as [ERROR] lines.
    process.stdout.write(`build: compiling everything again (${why})\n`);
    fs.rmSync(path.join(ROOT, INFO), { force: true });
  }
  if (orphans.length > 0 || !compiledIsCurrent(ROOT, srcs)) {
    const tsc = spawnSync(process.execPath, [tscPath(), "-b", path.join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
    touchUnchangedOutputs(ROOT, srcs);
  }
  if (orphans.length > 0 || !bundleIsCurrent(ROOT)) require("./bundle-cli.js");
}

if (require.main === module) main();
module.exports = { staleRecord, compiledIsCurrent, recordIsClean, touchUnchangedOutputs, removeOrphanOutputs, bundleIsCurrent };
