import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { filesOf } from "../helpers";

/*
 * The `envkit` command (dist/lib/cli/envkit.js) runs the CLI bundled into one file
 * (envkit-bundle.js, written by `npm run build`: scripts/bundle-cli.js) through a V8 code cache,
 * so that Node loads one module instead of ~600 and compiles it once. It must behave exactly as
 * the unbundled dist/lib/cli/bin.js: the same bytes written for the reference app, the same
 * messages and exit codes for a bad configuration, the same version, with the cache empty, used,
 * corrupted or off; and it must really be one file: nothing loaded from node_modules.
 */
const ROOT = path.join(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "lib", "cli");
const BUNDLE = path.join(CLI, "envkit.js");
const BUNDLED = path.join(CLI, "envkit-bundle.js");
const BIN = path.join(CLI, "bin.js");
const REFERENCE = path.join(ROOT, "examples", "reference-app");

const built = fs.existsSync(BUNDLE) && fs.existsSync(BUNDLED);
if (!built) console.warn(`cli-bundle: SKIPPED: ${path.relative(ROOT, BUNDLED)} is missing (run \`npm run build\`, as \`npm test\` does)`);
const describeBuilt = built ? describe : describe.skip;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = (name: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `envkit-bundle-${name}-`));
  dirs.push(d);
  return d;
};
/** A copy of the built package (dist/ as `keep` lets through, package.json) using this repository's node_modules. */
const packageCopy = (name: string, keep: (file: string) => boolean = () => true): string => {
  const copy = tmp(name);
  fs.cpSync(path.join(ROOT, "dist"), path.join(copy, "dist"), { recursive: true, filter: keep });
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(copy, "package.json"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
  return copy;
};
/**
 * A preload that says at exit whether graceful-fs, one of cdktf's archiver's dependencies, was
 * evaluated (it marks the global object): the unbundled CLI loads it, the bundle never does.
 */
const gracefulFsProbe = (): string => {
  const probe = path.join(tmp("graceful-fs-probe"), "probe.js");
  fs.writeFileSync(probe, 'process.on("exit", () => process.stderr.write("graceful-fs: " + (globalThis[Symbol.for("graceful-fs.queue")] !== undefined) + "\\n"));\n');
  return probe;
};
/** The tests' own compile cache (never the user's). */
let cache = "";
beforeAll(() => {
  cache = tmp("cache");
});
const run = (entry: string, args: readonly string[], extra: readonly string[] = [], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [...extra, entry, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1", ENVKIT_COMPILE_CACHE: cache, ...env } });

describeBuilt("the bundled envkit command (dist/lib/cli/envkit.js)", () => {
  it("is the package's bin", () => {
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).bin.envkit).toBe("dist/lib/cli/envkit.js");
  });

  it("writes the same bytes as bin.js for the reference app (every file), and says the same", () => {
    const a = tmp("a");
    const b = tmp("b");
    const viaBundle = run(BUNDLE, ["synth", "--config", REFERENCE, "--out", path.join(a, "out")]);
    const viaBin = run(BIN, ["synth", "--config", REFERENCE, "--out", path.join(b, "out")]);
    expect(viaBundle.status).toBe(0);
    expect(viaBin.status).toBe(0);
    const bundleFiles = filesOf(path.join(a, "out"));
    const binFiles = filesOf(path.join(b, "out"));
    expect([...bundleFiles.keys()]).toEqual([...binFiles.keys()]);
    expect([...bundleFiles.keys()].length).toBeGreaterThan(5);
    for (const [file, bytes] of binFiles) expect({ file, same: bundleFiles.get(file)!.equals(bytes) }).toEqual({ file, same: true });
    // stderr carries the advisory findings; stdout names the output folder and the run's time.
    expect(viaBundle.stderr).toBe(viaBin.stderr);
    const shown = (text: string, dir: string) => text.split(dir).join("<out>").replace(/\(\d+ ms\)/, "(… ms)");
    expect(shown(viaBundle.stdout, a)).toBe(shown(viaBin.stdout, b));
  });

  it("refuses a bad configuration with the same messages and exit code", () => {
    const dir = tmp("bad");
    fs.cpSync(REFERENCE, dir, { recursive: true });
    const staging = path.join(dir, "environments", "staging.yaml");
    fs.writeFileSync(staging, fs.readFileSync(staging, "utf8") + "\nreplicas: [unclosed\n");
    const viaBundle = run(BUNDLE, ["validate", "--config", dir]);
    const viaBin = run(BIN, ["validate", "--config", dir]);
    expect(viaBundle.status).toBe(1);
    expect({ status: viaBundle.status, stderr: viaBundle.stderr, stdout: viaBundle.stdout }).toEqual({ status: viaBin.status, stderr: viaBin.stderr, stdout: viaBin.stdout });
    expect(viaBundle.stderr).toMatch(/staging\.yaml:\d+/);
  });

  it("runs bin.js when no bundle was built (tsc alone)", () => {
    const copy = packageCopy("unbundled", (f) => !f.endsWith("envkit-bundle.js"));
    expect(fs.existsSync(path.join(copy, "dist", "lib", "cli", "envkit-bundle.js"))).toBe(false);
    const r = run(path.join(copy, "dist", "lib", "cli", "envkit.js"), ["validate", "--config", REFERENCE]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: run(BIN, ["validate", "--config", REFERENCE]).stdout });
  });

  it("prints the package's version", () => {
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
    expect(execFileSync(process.execPath, [BUNDLE, "--version"], { encoding: "utf8" }).trim()).toContain(version);
  });

  it("loads nothing from node_modules while it synthesizes (one file)", () => {
    const out = tmp("loaded");
    const record = path.join(out, "record.js");
    // Preloaded with -r: lists every module file Node loaded once the command has finished.
    fs.writeFileSync(record, `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(path.join(out, "loaded.json"))}, JSON.stringify(Object.keys(require.cache))));`);
    const r = run(BUNDLE, ["synth", "--config", REFERENCE, "--out", path.join(out, "out")], ["-r", record]);
    expect(r.status).toBe(0);
    const loaded = JSON.parse(fs.readFileSync(path.join(out, "loaded.json"), "utf8")) as string[];
    expect(loaded.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`))).toEqual([]);
    expect(loaded).toContain(BUNDLE);
    // The command and the recorder are all: the bundle itself runs through vm, not require.
    expect(loaded.filter((f) => f.endsWith(".js")).sort()).toEqual([BUNDLE, record].sort());
  });

  it("runs the same with its compile cache empty, used, corrupted and off (and keeps the cache private)", () => {
    const own = tmp("own-cache");
    const synth = (env: Record<string, string>) => {
      const out = tmp("cached-out");
      const r = run(BUNDLE, ["synth", "--config", REFERENCE, "--out", path.join(out, "out")], [], { ENVKIT_COMPILE_CACHE_REPORT: "1", ...env });
      expect(r.status).toBe(0);
      return { said: /envkit: compile cache (\w+)/.exec(r.stderr)?.[1], files: filesOf(path.join(out, "out")) };
    };
    const first = synth({ ENVKIT_COMPILE_CACHE: own });
    const second = synth({ ENVKIT_COMPILE_CACHE: own });
    const cached = fs.readdirSync(own);
    expect(cached).toHaveLength(1);
    expect(fs.statSync(path.join(own, cached[0])).mode & 0o077).toBe(0);
    fs.writeFileSync(path.join(own, cached[0]), "not V8 code");
    const corrupted = synth({ ENVKIT_COMPILE_CACHE: own });
    const repaired = synth({ ENVKIT_COMPILE_CACHE: own });
    const off = synth({ ENVKIT_COMPILE_CACHE: "off" });
    expect([first.said, second.said, corrupted.said, repaired.said, off.said]).toEqual(["empty", "used", "rejected", "used", "off"]);
    for (const other of [second, corrupted, repaired, off]) {
      expect([...other.files.keys()]).toEqual([...first.files.keys()]);
      for (const [file, bytes] of first.files) expect({ file, same: other.files.get(file)!.equals(bytes) }).toEqual({ file, same: true });
    }
  });

  it("never hands V8 a cache damaged inside (its header intact): it is rejected and rewritten, where V8 crashed on it every run", () => {
    // V8 checks a cache's header, not its body: 8 bytes overwritten in the middle made every run
    // a segmentation fault (exit 139) until the file was deleted; 4 KB near the start, a fatal error.
    const own = tmp("damaged-cache-body");
    const validate = () => {
      const r = run(BUNDLE, ["validate", "--config", REFERENCE], [], { ENVKIT_COMPILE_CACHE: own, ENVKIT_COMPILE_CACHE_REPORT: "1" });
      return { status: r.status, said: /envkit: compile cache (\w+)/.exec(r.stderr)?.[1], valid: /^valid: /.test(r.stdout) };
    };
    expect(validate()).toEqual({ status: 0, said: "empty", valid: true });
    const [file] = fs.readdirSync(own).map((f) => path.join(own, f));
    const good = fs.readFileSync(file);
    const said: unknown[] = [];
    for (const [at, length] of [[Math.floor(good.length / 2), 8], [64, 4096], [good.length - 1, 1]]) {
      const bad = Buffer.from(good);
      bad.fill(0xa5, at, at + length);
      fs.writeFileSync(file, bad);
      said.push(validate(), validate());
    }
    expect(said).toEqual(Array.from({ length: 3 }, () => [{ status: 0, said: "rejected", valid: true }, { status: 0, said: "used", valid: true }]).flat());
  });

  it("lets go of the cache bytes it read while the command runs (the one copy of the bundle's text V8 compiled stays, outside the heap: see below)", () => {
    // A preload sees the bytes handed to vm.Script and, in the middle of the synth (its first
    // temporary output folder), collects garbage and reports how much ArrayBuffer memory is still held: the
    // launcher's reading scope must be gone by then. (A WeakRef cannot tell: its target lives to
    // the end of the synchronous job, which is the whole command.)
    const own = tmp("held-cache");
    const probe = path.join(tmp("probe"), "probe.js");
    fs.writeFileSync(
      probe,
      `const vm = require("node:vm"), fs = require("node:fs");
let bytes = 0, reported = false;
const Script = vm.Script;
vm.Script = class extends Script { constructor(code, options) { super(code, options); if (options && options.cachedData) bytes = options.cachedData.byteLength; } };
const mkdir = fs.mkdirSync;
fs.mkdirSync = function (...args) {
  if (!reported && String(args[0]).includes(".envkit-tmp-")) { reported = true; gc(); process.stderr.write("probe: " + JSON.stringify({ bytes, held: process.memoryUsage().arrayBuffers }) + "\\n"); }
  return mkdir.apply(this, args);
};
`,
    );
    const synth = () => run(BUNDLE, ["synth", "--config", REFERENCE, "--out", path.join(tmp("held-out"), "out")], ["--expose-gc", "-r", probe], { ENVKIT_COMPILE_CACHE: own });
    expect(synth().status).toBe(0); // fills the cache
    const r = synth();
    expect(r.status).toBe(0);
    const seen = JSON.parse(/probe: (.*)/.exec(r.stderr)![1]) as { bytes: number; held: number };
    expect(seen.bytes).toBeGreaterThan(1024 * 1024);
    expect(seen.held).toBeLessThan(seen.bytes / 2);
  });

  it("does not evaluate cdktf's archiver and its ~200 modules (zipping TerraformAsset folders) unless called", () => {
    const probe = gracefulFsProbe();
    const out = path.join(tmp("archiver-out"), "out");
    const viaBundle = run(BUNDLE, ["synth", "--config", REFERENCE, "--out", out], ["-r", probe]);
    expect(viaBundle.status).toBe(0);
    expect(viaBundle.stderr).toContain("graceful-fs: false");
    // The probe can tell: the unbundled CLI loads cdktf as it is, archiver included.
    expect(run(BIN, ["validate", "--config", REFERENCE], ["-r", probe]).stderr).toContain("graceful-fs: true");
  });

  it("names its code cache by the bundle's content: another build of the same size and file time does not get this one's code", () => {
    // V8 checks cached code against the source's length only. A second build, emulated: one
    // message changed to text of the same length, and the id the bundler writes for that content.
    const copy = packageCopy("same-size");
    const bundle = path.join(copy, "dist", "lib", "cli", "envkit-bundle.js");
    const own = tmp("same-size-cache");
    const validate = () => run(path.join(copy, "dist", "lib", "cli", "envkit.js"), ["validate", "--config", REFERENCE], [], { ENVKIT_COMPILE_CACHE: own, ENVKIT_COMPILE_CACHE_REPORT: "1" });
    expect(validate().stdout).toMatch(/^valid: /);
    const first = fs.statSync(bundle);
    const text = fs.readFileSync(bundle, "latin1");
    const id = /\/\/# envkitBundleId=([0-9a-f]{16})\n$/.exec(text);
    expect(id).not.toBeNull();
    const rebuilt = text.replace("valid: ${project.environments", "VALID: ${project.environments").replace(`envkitBundleId=${id![1]}`, `envkitBundleId=${id![1].split("").reverse().join("")}`);
    expect(rebuilt).not.toBe(text);
    expect(rebuilt.length).toBe(text.length);
    fs.writeFileSync(bundle, rebuilt, "latin1");
    fs.utimesSync(bundle, first.atime, first.mtime); // as cp -p, rsync -a or tar would leave it
    const second = validate();
    expect(second.stderr).toContain("envkit: compile cache empty");
    expect(second.stdout).toMatch(/^VALID: /);
  });

  it("keeps one cache per set of Node options, so runs that alternate between them use theirs (V8 rejects code cached under other flags)", () => {
    const own = tmp("per-flags");
    const said = (extra: string[], env: Record<string, string> = {}) => /envkit: compile cache (\w+)/.exec(run(BUNDLE, ["--version"], extra, { ENVKIT_COMPILE_CACHE: own, ENVKIT_COMPILE_CACHE_REPORT: "1", NODE_OPTIONS: "", ...env }).stderr)?.[1];
    const flagged = ["--max-old-space-size=1024"];
    expect([said([]), said(flagged), said([]), said(flagged), said([], { NODE_OPTIONS: "--max-old-space-size=1024" })]).toEqual(["empty", "empty", "used", "used", "empty"]);
    expect(fs.readdirSync(own)).toHaveLength(3);
  });

  it("keeps one cache per command, and only the newest 16 cache files (other versions and builds are removed)", () => {
    const own = tmp("per-command");
    // Leftovers of other builds: older than anything this run writes, plus a killed run's temporary.
    for (let i = 0; i < 20; i++) {
      const f = path.join(own, `v0.0.0-x64-${i}-1-synth.v8cache`);
      fs.writeFileSync(f, "old");
      fs.utimesSync(f, new Date(2020, 0, 1, 0, i), new Date(2020, 0, 1, 0, i));
    }
    const killed = path.join(own, "v0.0.0-x64-1-1-diff.v8cache.123.tmp");
    fs.writeFileSync(killed, "partial");
    fs.utimesSync(killed, new Date(2020, 0, 1), new Date(2020, 0, 1));
    const said = (args: string[]) => /envkit: compile cache (\w+)/.exec(run(BUNDLE, args, [], { ENVKIT_COMPILE_CACHE: own, ENVKIT_COMPILE_CACHE_REPORT: "1" }).stderr)?.[1];
    const out = tmp("per-command-out");
    expect(said(["synth", "--config", REFERENCE, "--out", path.join(out, "out")])).toBe("empty");
    expect(said(["diff", "--base", path.join(out, "out"), "--head", path.join(out, "out")])).toBe("empty");
    expect(said(["diff", "--base", path.join(out, "out"), "--head", path.join(out, "out")])).toBe("used");
    expect(said(["synth", "--config", REFERENCE, "--out", path.join(out, "out")])).toBe("used");
    const files = fs.readdirSync(own).sort();
    const mine = files.filter((f) => !f.startsWith("v0.0.0-"));
    expect(mine.map((f) => f.replace(/^.*-(\w+)\.v8cache$/, "$1")).sort()).toEqual(["diff", "synth"]);
    expect(files.filter((f) => f.endsWith(".v8cache"))).toHaveLength(16);
    expect(files).not.toContain(path.basename(killed));
    // The oldest leftovers went first.
    expect(files).not.toContain("v0.0.0-x64-0-1-synth.v8cache");
    expect(files).toContain("v0.0.0-x64-19-1-synth.v8cache");
  });

  it("is ASCII, as the launcher reads it as Latin-1", () => {
    const bytes = fs.readFileSync(BUNDLED);
    expect(bytes.findIndex((b) => b > 0x7f)).toBe(-1);
  });

  it("is written as Node's module function, then its content id, so the launcher compiles the text as read", () => {
    const text = fs.readFileSync(BUNDLED, "latin1");
    expect(text.startsWith('(function (exports, require, module, __filename, __dirname) {\n"use strict";')).toBe(true);
    expect(text).toMatch(/\n\}\);\n\/\/# envkitBundleId=[0-9a-f]{16}\n$/);
    expect(text).not.toMatch(/^#!/m);
  });

  it("keeps the bundle's text out of the JavaScript heap (no copy of it is made to compile it), with its cache used or off", () => {
    // Node decodes a file this large into a string outside the heap; the old launcher's wrapped
    // copy put 7 MB on the heap, twice with the cache used (20 MB at exit against 6 MB).
    const probe = path.join(tmp("heap-probe"), "probe.js");
    fs.writeFileSync(probe, 'process.on("exit", () => process.stderr.write("heap-used: " + require("node:v8").getHeapStatistics().used_heap_size + "\\n"));\n');
    const size = fs.statSync(BUNDLED).size;
    const own = tmp("heap-cache");
    const heapAt = (env: Record<string, string>) => {
      const r = run(BUNDLE, ["--version"], ["-r", probe], { ENVKIT_COMPILE_CACHE_REPORT: "1", ...env });
      expect(r.status).toBe(0);
      return { cache: /envkit: compile cache (\w+)/.exec(r.stderr)?.[1], heapBelowBundle: Number(/heap-used: (\d+)/.exec(r.stderr)?.[1]) < size };
    };
    expect([heapAt({ ENVKIT_COMPILE_CACHE: own }), heapAt({ ENVKIT_COMPILE_CACHE: own }), heapAt({ ENVKIT_COMPILE_CACHE: "off" })]).toEqual([
      { cache: "empty", heapBelowBundle: true },
      { cache: "used", heapBelowBundle: true },
      { cache: "off", heapBelowBundle: true },
    ]);
  });

  it("says in one line that a damaged bundle does not compile, and runs bin.js (no stack trace, no line of the bundle)", () => {
    const copy = packageCopy("damaged");
    const bundle = path.join(copy, "dist", "lib", "cli", "envkit-bundle.js");
    const text = fs.readFileSync(bundle, "latin1");
    fs.writeFileSync(bundle, text.slice(0, Math.floor(text.length / 2)), "latin1"); // cut short, its first line intact
    const own = tmp("damaged-cache");
    const validate = () => run(path.join(copy, "dist", "lib", "cli", "envkit.js"), ["validate", "--config", REFERENCE], [], { ENVKIT_COMPILE_CACHE: own });
    for (const r of [validate(), validate()]) {
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^valid: dev \(docker\), /);
      const said = r.stderr.split("\n").filter((l) => l.startsWith("envkit: "));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain(`envkit: ${bundle} does not compile (`);
      expect(said[0]).toContain("reinstall envkit");
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr).not.toContain("function");
    }
    expect(fs.readdirSync(own)).toEqual([]); // no cache for a bundle that does not compile
  });

  it("runs bin.js when the bundle is not one its bundler wrote (not a module function)", () => {
    const copy = packageCopy("unwrapped");
    const bundle = path.join(copy, "dist", "lib", "cli", "envkit-bundle.js");
    const text = fs.readFileSync(bundle, "latin1");
    // The old format: a script with a shebang, which the launcher would have had to wrap.
    fs.writeFileSync(bundle, `#!/usr/bin/env node\n${text.slice(text.indexOf("\n") + 1, text.lastIndexOf("\n});\n"))}\n`, "latin1");
    const probe = gracefulFsProbe();
    const r = run(path.join(copy, "dist", "lib", "cli", "envkit.js"), ["validate", "--config", REFERENCE], ["-r", probe], { ENVKIT_COMPILE_CACHE_REPORT: "1" });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^valid: dev \(docker\), /);
    // bin.js loads cdktf as it is, archiver included; the bundle never would.
    expect(r.stderr).toContain("graceful-fs: true");
    expect(r.stderr).not.toContain("envkit: compile cache");
  });
});
