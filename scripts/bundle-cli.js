#!/usr/bin/env node
/*
 * Bundles the CLI — dist/lib/cli/bin.js and everything it requires: envkit, cdktf, constructs, the
 * provider classes, zod, js-yaml and yaml — into one file, dist/lib/cli/envkit-bundle.js, which the
 * package's `envkit` command (dist/lib/cli/envkit.js, lib/cli/envkit.ts) runs through a V8 code
 * cache. Node then resolves, reads and wraps one module instead of ~600 (require("cdktf")
 * alone is 373 files and ~220 ms of module loading on the build machine), which took a 5-service
 * synth from ~940 ms to ~790 ms there (without the code cache; ~430 ms with it). Lazy requires stay lazy: esbuild runs a module's body when it
 * is first required. The bundle sits next to bin.js, so the paths it reads relative to itself
 * (package.json, for --version) are the same. The library (`require("envkit")`) and bin.js are not
 * bundled: a consumer's own cdktf and providers are used there. __tests__/package/cli-bundle.test.ts
 * checks that the command writes the same bytes as bin.js and loads nothing from node_modules.
 * Run by `npm run build` (scripts/build.js), after tsc, when the bundle is older than its inputs.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const dir = path.join(__dirname, "..", "dist", "lib", "cli");
const outfile = path.join(dir, "envkit-bundle.js");
// Checked in memory, written whole beside it and renamed into place: a failed bundling leaves the
// previous bundle, older than its inputs, so the next build bundles (and fails) again.
const tmpfile = `${outfile}.${process.pid}.tmp`;
/**
 * The last line of the bundle: an id of its content, which the launcher names its code cache by.
 * V8 checks a cached script against the source's length (and the flags), not its text, so a cache
 * named by size and time would run another build's code wherever tools keep or reset file times
 * (cp -p, rsync -a, tar, Nix) and two builds happen to have the same size (rebuilds often do).
 */
const ID_MARKER = "//# envkitBundleId=";
/**
 * The bundle is written as the module function itself, `(function (exports, require, module,
 * __filename, __dirname) {` … `});`, Node's module wrapper, so the launcher compiles the text it
 * read as it is, a string Node keeps outside the JavaScript heap. Wrapping it at each start (and
 * turning the shebang into a comment) built a 7 MB string of three pieces that V8 copied into the
 * heap to compile, and the id lookup copied it once more: 16 MB of a 5-service synth's peak, and
 * ~17 ms of reading and compiling the bundle on the build machine (2026-12-02). The launcher
 * (lib/cli/envkit.ts) checks for this first line and runs bin.js when it is not there.
 */
const WRAPPER_HEAD = "(function (exports, require, module, __filename, __dirname) {\n";
const WRAPPER_TAIL = "\n});\n";
const fail = (message) => {
  if (message) console.error(message);
  fs.rmSync(tmpfile, { force: true });
  process.exit(1);
};

/**
 * cdktf's lib/private/fs.js requires archiver at load, and with it ~200 modules (glob, lodash,
 * readable-stream, zip and tar streams…), only to zip the folder of a TerraformAsset, which envkit
 * never creates: every command paid for evaluating them. In the bundle it is required when first
 * called. Unbundled (bin.js, the library) cdktf is used as it is. Fails the build if cdktf's line
 * changed, rather than silently bundling it eagerly again.
 */
const EAGER_ARCHIVER = 'const archiver = require("archiver");';
const lazyArchiver = {
  name: "lazy-archiver",
  setup(build) {
    build.onLoad({ filter: /[\\/]cdktf[\\/]lib[\\/]private[\\/]fs\.js$/ }, (args) => {
      const text = fs.readFileSync(args.path, "utf8");
      if (!text.includes(EAGER_ARCHIVER)) return { errors: [{ text: `${args.path} no longer reads \`${EAGER_ARCHIVER}\`: cdktf changed; update the lazy-archiver plugin in scripts/bundle-cli.js` }] };
      return { contents: text.replace(EAGER_ARCHIVER, 'const archiver = (...args) => require("archiver")(...args);'), loader: "js", resolveDir: path.dirname(args.path) };
    });
  },
};

esbuild
  .build({
    entryPoints: [path.join(dir, "bin.js")],
    outfile,
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    logLevel: "warning",
    // Source maps of the bundled packages are not needed to run it; keep the package small.
    sourcemap: false,
    legalComments: "eof",
    // Whitespace and comments out, names kept (messages never show stack traces): a third of the
    // bytes to read, hash and deserialize at every start.
    minifyWhitespace: true,
    minifySyntax: true,
    plugins: [lazyArchiver],
  })
  .then((result) => {
    if (result.errors.length > 0) fail();
    // The launcher reads the bundle as Latin-1 (no UTF-8 validation at each start): it must be ASCII.
    // esbuild escapes non-ASCII in code by default; a legal comment could still carry some.
    const bytes = result.outputFiles[0].contents;
    const at = bytes.findIndex((b) => b > 0x7f);
    if (at >= 0) fail(`bundle-cli: the bundle has a non-ASCII byte at offset ${at}; the envkit launcher reads it as Latin-1. Escape it in the source or set legalComments: "none". ${path.relative(process.cwd(), outfile)} was not changed.`);
    // bin.js's shebang line, which esbuild keeps, cannot stand inside a function.
    const code = bytes[0] === 0x23 && bytes[1] === 0x21 ? bytes.subarray(bytes.indexOf(0x0a) + 1) : bytes;
    const wrapped = Buffer.concat([Buffer.from(WRAPPER_HEAD), code, Buffer.from(WRAPPER_TAIL)]);
    const id = crypto.createHash("sha256").update(wrapped).digest("hex").slice(0, 16);
    fs.writeFileSync(tmpfile, Buffer.concat([wrapped, Buffer.from(`${ID_MARKER}${id}\n`)]), { mode: 0o644 });
    fs.renameSync(tmpfile, outfile);
    fs.chmodSync(path.join(dir, "envkit.js"), 0o755);
  })
  .catch(() => fail()); // esbuild has printed the errors
