#!/usr/bin/env node
/*
 * The `envkit` command: runs the bundled CLI (envkit-bundle.js, written by scripts/bundle-cli.js
 * next to this file, as a module function) through a V8 code cache, or bin.js when no bundle was
 * built.
 *
 * Compiling the bundle (7 MB; 10 MB when this was measured) is most of a small synth's start-up
 * (~180 ms of ~780 ms for a 5-service app on the build machine); with the code V8 produced on an
 * earlier run it is skipped (the same synth took ~520 ms instead of ~860 ms). The cache is one
 * file per bundle, Node version, architecture, Node options and command (a diff needs a fifth of
 * the code a synth compiles, and deserializing a synth's cache cost it ~60 ms) in `$ENVKIT_COMPILE_CACHE`, else `$XDG_CACHE_HOME/envkit` or
 * `~/.cache/envkit`, created private to the user; the newest {@link KEEP} files are kept, older
 * ones (other versions, other builds) removed; `ENVKIT_COMPILE_CACHE=off` turns it off. The
 * file is named by the bundle's content id (see {@link bundleId}); V8 rejects cached code made
 * under other flags or for a source of another length, and then it is rewritten; each file opens
 * with a digest of its code, and a file whose code does not match is rewritten too (see
 * {@link checkedCache}); a cache that cannot be read or written is skipped without a word (it only
 * buys time). `ENVKIT_COMPILE_CACHE_REPORT=1` prints whether it was used, for tests. The id is the
 * bundler's: a bundle edited in place (patch-package, say) keeps its old cache unless its last line
 * is removed or changed with it.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { createRequire } from "node:module";

const bundle = path.join(__dirname, "envkit-bundle.js");

/** Cache files kept in the folder: a few commands of a few installed versions. */
const KEEP = 16;
const SUFFIX = ".v8cache";

/** The command's name for its cache file: `synth`, `diff`…, or `other`. */
function commandOf(argv: readonly string[]): string {
  const name = argv[2];
  return name !== undefined && /^[a-z][a-z-]{0,19}$/.test(name) ? name : "other";
}

/** Removes all but the newest KEEP cache files, and temporaries a killed run left (best effort). */
function prune(dir: string): void {
  try {
    const now = Date.now();
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(SUFFIX) || f.endsWith(".tmp"))
      .map((f) => ({ f, mtime: fs.statSync(path.join(dir, f)).mtimeMs }));
    const caches = files.filter((x) => x.f.endsWith(SUFFIX)).sort((a, b) => b.mtime - a.mtime);
    const stale = [...caches.slice(KEEP), ...files.filter((x) => x.f.endsWith(".tmp") && now - x.mtime > 3600_000)];
    for (const { f } of stale) fs.rmSync(path.join(dir, f), { force: true });
  } catch {
    // Pruning only saves disk space.
  }
}

/**
 * `-f` and a hash of the Node options this process runs with (its command-line flags and
 * NODE_OPTIONS), or nothing without any: V8 rejects code cached under other flags, so runs that
 * alternate between flags (`node --max-old-space-size=… envkit`, then plain `envkit`) would
 * otherwise reject and rewrite one shared file every time.
 */
function flagsKey(): string {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join("\0");
  if (flags === "") return "";
  let h = 0x811c9dc5; // FNV-1a, 32 bits: a name, not a security boundary (V8 checks the flags itself)
  for (let i = 0; i < flags.length; i++) h = Math.imul(h ^ flags.charCodeAt(i), 0x01000193) >>> 0;
  return `-f${h.toString(16).padStart(8, "0")}`;
}

/** The last line scripts/bundle-cli.js writes into the bundle: an id of its content. */
const ID_MARKER = "//# envkitBundleId=";
/**
 * The first line scripts/bundle-cli.js writes: the bundle is Node's module function, written
 * whole, so the text read compiles as it is (wrapping it at each start cost a 7 MB copy).
 */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) {\n";

/**
 * The bundle's content id, which names its cache: V8 checks cached code against the source's
 * length and the flags, not its text, so a name by size and time would hand one build's code to
 * another of the same size wherever file times are kept or reset (cp -p, rsync -a, tar, Nix). A
 * bundle without the id (an older bundler) is named by size and time, as before.
 */
function bundleId(source: string, stat: fs.Stats): string {
  const at = source.lastIndexOf(ID_MARKER);
  const id = at >= 0 ? source.slice(at + ID_MARKER.length, at + ID_MARKER.length + 16) : "";
  return /^[0-9a-f]{16}$/.test(id) ? `b${id}` : `${stat.size}-${Math.trunc(stat.mtimeMs)}`;
}

/** The cache folder, or undefined when caching is off or no private folder can be had. */
function cacheDir(): string | undefined {
  const setting = process.env.ENVKIT_COMPILE_CACHE;
  if (setting === "off") return undefined;
  const dir = setting || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "envkit");
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    // Only a real folder of our own: never follow a link or use a folder another user controls.
    if (!st.isDirectory() || (typeof process.getuid === "function" && st.uid !== process.getuid())) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Bytes of the digest that opens each cache file. */
const DIGEST_BYTES = 20;

/** SHA-1 of the cached code: integrity against damage, not a security boundary (the folder is the user's own). */
const digestOf = (data: Uint8Array): Buffer => crypto.createHash("sha1").update(data).digest();

/**
 * The cached code in a cache file (its digest, then the code V8 wrote), or undefined when the
 * digest does not match. V8 checks a cache's header (version, flags, source length) but not its
 * body, and deserializing a body damaged on disk crashed the process on every run until the file
 * was deleted (a segmentation fault, or V8's fatal "unreachable code"; found from outside,
 * 2026-12-02). Checking costs 1.5–3 ms for a synth's 2.7 MB cache (with crypto, which the bundle
 * loads anyway).
 */
function checkedCache(file: Buffer): Buffer | undefined {
  if (file.length <= DIGEST_BYTES) return undefined;
  const data = file.subarray(DIGEST_BYTES);
  return digestOf(data).equals(file.subarray(0, DIGEST_BYTES)) ? data : undefined;
}

/** The bundle's module function, as Node's loader would wrap it. */
type ModuleFunction = (exports: unknown, require: NodeRequire, module: unknown, filename: string, dirname: string) => void;

/**
 * Compiles the bundle (with the cached code when there is some) and returns its module function,
 * or undefined when no bundle was built (or it is not one this launcher's bundler wrote, or it does
 * not compile: then it says so in one line). The cache bytes are this function's locals, so they
 * are garbage while the command runs; held by a caller for the whole command, they and copies of
 * the text were in a 5-service synth's peak.
 *
 * The text is compiled as read: Node decodes a file this large into a string outside the
 * JavaScript heap, and V8 keeps that one. Wrapped at each start (and its shebang turned into a
 * comment), the text became a string of three pieces that V8 copied into the heap to compile, and
 * the id lookup copied once more: a 5-service synth's peak RSS was 94 MB against 78 MB now (3 runs
 * each), its heap at `--version` 20 MB against 6 MB, and reading and compiling took ~60 against
 * ~43 ms (median of 30 alternated runs; 2026-12-02).
 */
function compile(): ModuleFunction | undefined {
  let source: string;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(bundle);
    // The build guarantees the bundle is ASCII (scripts/bundle-cli.js), so Latin-1 decodes it
    // exactly, without UTF-8 validation: ~3 ms instead of ~25 ms for 7 MB.
    source = fs.readFileSync(bundle, "latin1");
  } catch {
    return undefined;
  }
  // The bundler writes the module function itself (see WRAPPER_HEAD). Anything else is not a
  // bundle this launcher knows how to run.
  if (!source.startsWith(WRAPPER_HEAD)) return undefined;
  const dir = cacheDir();
  const cacheFile = dir && path.join(dir, `${process.version}-${process.arch}-${bundleId(source, stat)}${flagsKey()}-${commandOf(process.argv)}${SUFFIX}`);
  // A file read but not used (damaged, or rejected by V8) is reported as rejected and rewritten.
  let read = false;
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) {
      const file = fs.readFileSync(cacheFile);
      read = true;
      cachedData = checkedCache(file);
    }
  } catch {
    cachedData = undefined;
  }
  let script: vm.Script;
  try {
    script = new vm.Script(source, { filename: bundle, cachedData });
  } catch (e) {
    // A damaged bundle (cut short, edited): the unbundled CLI does the same work. One line, the
    // engine's reason only: its own report quotes a line of the bundle and a stack.
    const reason = e instanceof SyntaxError ? e.message : String(e);
    process.stderr.write(`envkit: ${bundle} does not compile (${reason}): it is damaged; reinstall envkit, or run \`npm run build\` in its repository. Running the unbundled CLI instead.\n`);
    return undefined;
  }
  const used = cachedData !== undefined && !script.cachedDataRejected;
  if (process.env.ENVKIT_COMPILE_CACHE_REPORT === "1") process.stderr.write(`envkit: compile cache ${!cacheFile ? "off" : used ? "used" : read ? "rejected" : "empty"}\n`);
  if (cacheFile && !used) {
    // Written once the command is done, so the cache holds every function this run compiled.
    process.once("exit", () => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        const data = script.createCachedData();
        fs.writeFileSync(tmp, Buffer.concat([digestOf(data), data]), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
        prune(dir!);
      } catch {
        // No cache this time.
      }
    });
  }
  return script.runInThisContext() as ModuleFunction;
}

function run(): void {
  const fn = compile();
  if (!fn) {
    // Built by tsc alone (no bundle): the same CLI, unbundled.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("./bin");
    return;
  }
  const module = { exports: {}, filename: bundle, id: bundle, loaded: false };
  fn.call(module.exports, module.exports, createRequire(bundle), module, bundle, __dirname);
}

run();
