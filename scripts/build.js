#!/usr/bin/env node
/*
 * `npm run build`: compiles lib/, stacks/ and main.ts into dist/ (tsc in build mode, incremental),
 * then bundles the CLI (scripts/bundle-cli.js). `cdktf synth`, `cdktf diff` and `cdktf deploy` run
 * it before every synthesis (cdktf.json's app), and so does `npm test`: a build with nothing changed
 * takes ~0.1 s instead of tsc's full ~16 s on the build machine (tsc is not even started).
 *
 * tsc's build mode trusts dist/.tsbuildinfo: it re-emits only what changed since, and never an
 * output that was deleted, nor after the dependencies changed. So the compiler's record is
 * dropped — and everything compiled again — when an output of a source is missing, when
 * node_modules was installed after it, or when a tsconfig changed after it. `rm -rf dist` starts
 * from scratch as before. The bundle is rebuilt when it is older than anything it is made of: the
 * compiled code, the bundler, and the dependencies as node_modules/.package-lock.json dates them
 * (npm rewrites it on every install; a file edited by hand inside node_modules is not noticed).
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

/** Every TypeScript source tsconfig.build.json compiles (lib/, stacks/, main.ts) under `root`. */
function sources(root) {
  const out = fs.existsSync(path.join(root, "main.ts")) ? [path.join(root, "main.ts")] : [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  for (const dir of ["lib", "stacks"]) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return out;
}

/** Why the compiler's record under `root` cannot be trusted, or undefined when it can (or there is none). */
function staleRecord(root) {
  const recorded = mtime(path.join(root, INFO));
  if (recorded === undefined) return undefined;
  for (const file of ["tsconfig.json", "tsconfig.build.json", "node_modules/.package-lock.json"]) {
    const t = mtime(path.join(root, file));
    if (t !== undefined && t > recorded) return `${file} changed`;
  }
  for (const src of sources(root)) {
    const base = path.join(root, "dist", path.relative(root, src)).replace(/\.ts$/, "");
    for (const ext of [".js", ".d.ts"]) if (mtime(base + ext) === undefined) return `${path.relative(root, base + ext)} is missing`;
  }
  return undefined;
}

/**
 * Whether tsc has nothing to do under `root`: its record is newer than every source and tsconfig
 * (tsc's own up-to-date test in build mode, made here without loading the compiler: ~0.5 s).
 */
function compiledIsCurrent(root) {
  const recorded = mtime(path.join(root, INFO));
  if (recorded === undefined || staleRecord(root) !== undefined) return false;
  for (const file of [...sources(root), path.join(root, "tsconfig.json"), path.join(root, "tsconfig.build.json")]) {
    const t = mtime(file);
    if (t === undefined || t >= recorded) return false;
  }
  return true;
}

/** The newest mtime among the bundle's inputs under `root`: the compiled CLI and library, the dependencies, the bundler. */
function newestInput(root) {
  let newest = Math.max(mtime(path.join(root, "node_modules/.package-lock.json")) ?? 0, mtime(path.join(root, "scripts", "bundle-cli.js")) ?? 0);
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".js") && e.name !== "envkit-bundle.js") newest = Math.max(newest, mtime(p) ?? 0);
    }
  };
  for (const dir of ["lib", "stacks"]) if (fs.existsSync(path.join(root, "dist", dir))) walk(path.join(root, "dist", dir));
  return newest;
}

/** Whether the bundle under `root` is newer than everything it is made of. */
function bundleIsCurrent(root) {
  const bundle = mtime(path.join(root, "dist", "lib", "cli", "envkit-bundle.js"));
  return bundle !== undefined && bundle > newestInput(root);
}

function main() {
  const why = staleRecord(ROOT);
  if (why) {
    // stdout: cdktf shows an app's stderr as [ERROR] lines.
    process.stdout.write(`build: compiling everything again (${why})\n`);
    fs.rmSync(path.join(ROOT, INFO), { force: true });
  }
  if (!compiledIsCurrent(ROOT)) {
    const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-b", path.join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
  if (!bundleIsCurrent(ROOT)) require("./bundle-cli.js");
}

if (require.main === module) main();
module.exports = { staleRecord, compiledIsCurrent, bundleIsCurrent };
