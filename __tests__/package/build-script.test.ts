import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/*
 * scripts/build.js runs tsc in build mode, which trusts its record (dist/.tsbuildinfo): it never
 * re-emits a deleted output, nor compiles again after the dependencies changed. The script drops
 * the record in those cases, starts tsc only when a source is newer than the record, and skips the
 * bundler when the bundle is newer than its inputs. These tests drive those decisions on a small tree with chosen file times (the compile itself is
 * tsc's; a full build takes ~16 s, which the suite does once, in `npm test`'s own build).
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require("../../scripts/build.js") as {
  staleRecord(root: string): string | undefined;
  compiledIsCurrent(root: string): boolean;
  recordIsClean(record: unknown): boolean;
  touchUnchangedOutputs(root: string, sources: string[]): void;
  removeOrphanOutputs(root: string, sources: string[]): string[];
  bundleIsCurrent(root: string): boolean;
};

/** A built tree: sources, their outputs, the record, the bundle; every file dated `at` seconds. */
function builtTree(): { root: string; date: (file: string, at: number) => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-build-"));
  const files = [
    "tsconfig.json",
    "tsconfig.build.json",
    "node_modules/.package-lock.json",
    "scripts/bundle-cli.js",
    "main.ts",
    "lib/index.ts",
    "lib/cli/bin.ts",
    "stacks/app.ts",
    "dist/main.js",
    "dist/main.d.ts",
    "dist/lib/index.js",
    "dist/lib/index.d.ts",
    "dist/lib/cli/bin.js",
    "dist/lib/cli/bin.d.ts",
    "dist/stacks/app.js",
    "dist/stacks/app.d.ts",
  ];
  const date = (file: string, at: number) => fs.utimesSync(path.join(root, file), at, at);
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), "");
    date(f, 1000);
  }
  // A clean build's record, listing its sources (as tsc writes them: relative to dist/).
  const listed = files.filter((f) => f.endsWith(".ts") && !f.startsWith("dist/")).map((f) => `../${f}`);
  fs.writeFileSync(path.join(root, "dist/.tsbuildinfo"), JSON.stringify({ fileNames: listed, root: [], options: {}, version: "5.9.3" }));
  date("dist/.tsbuildinfo", 2000);
  fs.writeFileSync(path.join(root, "dist/lib/cli/envkit-bundle.js"), "");
  date("dist/lib/cli/envkit-bundle.js", 2000);
  return { root, date };
}

/** Every file under `root`, relative, sorted. */
function filesIn(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

describe("scripts/build.js: when tsc's record is dropped", () => {
  it("keeps a record every source's outputs exist beside, older than nothing it depends on", () => {
    expect(build.staleRecord(builtTree().root)).toBeUndefined();
  });

  it("drops it when an output of a source is missing (tsc -b would not emit it again)", () => {
    for (const output of ["dist/lib/cli/bin.js", "dist/stacks/app.d.ts", "dist/main.js"]) {
      const { root } = builtTree();
      fs.rmSync(path.join(root, output));
      expect(build.staleRecord(root)).toBe(`${output} is missing`);
    }
  });

  it("drops it when an output of a source it lists is missing, even if the source was touched since (tsc -b would only update its record)", () => {
    const { root, date } = builtTree();
    fs.rmSync(path.join(root, "dist/lib/index.js"));
    date("lib/index.ts", 3000);
    expect(build.staleRecord(root)).toBe("dist/lib/index.js is missing");
  });

  it("keeps it for a source it does not list that has no outputs (renamed, its old time kept as git mv does: tsc -b compiles it)", () => {
    const { root, date } = builtTree();
    fs.renameSync(path.join(root, "lib/index.ts"), path.join(root, "lib/renamed.ts"));
    date("lib/renamed.ts", 1000);
    expect(build.staleRecord(root)).toBeUndefined();
  });

  it("drops it when an output is missing and the record cannot be read (it cannot say which sources it knows)", () => {
    const { root, date } = builtTree();
    fs.writeFileSync(path.join(root, "dist/.tsbuildinfo"), "{not json");
    date("dist/.tsbuildinfo", 2000);
    fs.rmSync(path.join(root, "dist/lib/index.js"));
    expect(build.staleRecord(root)).toBe("dist/lib/index.js is missing");
  });

  it("keeps it for a source written after it that has no outputs yet (a new file: tsc -b compiles it, and only it)", () => {
    const { root, date } = builtTree();
    fs.writeFileSync(path.join(root, "lib/new.ts"), "");
    date("lib/new.ts", 3000);
    expect(build.staleRecord(root)).toBeUndefined();
    expect(build.compiledIsCurrent(root)).toBe(false);
  });

  it("drops it when node_modules was installed, or a tsconfig changed, after the record", () => {
    for (const file of ["node_modules/.package-lock.json", "tsconfig.json", "tsconfig.build.json"]) {
      const { root, date } = builtTree();
      date(file, 3000);
      expect(build.staleRecord(root)).toBe(`${file} changed`);
    }
  });

  it("has nothing to drop without a record (the first build, or after rm -rf dist)", () => {
    const { root } = builtTree();
    fs.rmSync(path.join(root, "dist/.tsbuildinfo"));
    fs.rmSync(path.join(root, "dist/lib/index.js"));
    expect(build.staleRecord(root)).toBeUndefined();
  });
});

describe("scripts/build.js: when tsc is not started at all", () => {
  it("when its record is newer than every source and tsconfig, and to be trusted", () => {
    expect(build.compiledIsCurrent(builtTree().root)).toBe(true);
  });

  it("not when a source or a tsconfig was written after the record, or there is no record, or it is dropped", () => {
    for (const file of ["lib/cli/bin.ts", "stacks/app.ts", "main.ts", "tsconfig.build.json"]) {
      const { root, date } = builtTree();
      date(file, 3000);
      expect(build.compiledIsCurrent(root)).toBe(false);
    }
    const fresh = builtTree().root;
    fs.rmSync(path.join(fresh, "dist/.tsbuildinfo"));
    expect(build.compiledIsCurrent(fresh)).toBe(false);
    const deleted = builtTree().root;
    fs.rmSync(path.join(deleted, "dist/lib/index.d.ts"));
    expect(build.compiledIsCurrent(deleted)).toBe(false);
  });

  it("not when the record is a failed build's (it holds the errors, which tsc must report again) or unreadable", () => {
    for (const record of ['{"fileNames":[],"semanticDiagnosticsPerFile":[[3,[{"code":2322}]]],"version":"5.9.3"}', '{"fileNames":[],"affectedFilesPendingEmit":[3],"version":"5.9.3"}', "{not json"]) {
      const { root, date } = builtTree();
      fs.writeFileSync(path.join(root, "dist/.tsbuildinfo"), record);
      date("dist/.tsbuildinfo", 2000);
      expect(build.compiledIsCurrent(root)).toBe(false);
    }
  });

  it("not when a file the record lists is gone, though every output left matches a source (a source deleted with its outputs)", () => {
    const { root } = builtTree();
    for (const f of ["lib/index.ts", "dist/lib/index.js", "dist/lib/index.d.ts"]) fs.rmSync(path.join(root, f));
    expect(build.compiledIsCurrent(root)).toBe(false);
  });

  it("knows a clean record by its fields alone", () => {
    expect(build.recordIsClean({ fileNames: [], fileIdsList: [], fileInfos: [], root: [], options: {}, referencedMap: [], version: "5.9.3", latestChangedDtsFile: "x" })).toBe(true);
    expect(build.recordIsClean({ fileNames: [], errors: true, version: "5.9.3" })).toBe(false);
    expect(build.recordIsClean({ fileNames: [], checkPending: true })).toBe(false);
    expect(build.recordIsClean(undefined)).toBe(false);
  });
});

describe("scripts/build.js end to end, on a small project with the real tsc", () => {
  // The script and a stand-in bundler copied into a tree whose node_modules is this repository's.
  const ROOT_DIR = path.join(__dirname, "..", "..");
  let root = "";
  const run = () => spawnSync(process.execPath, [path.join(root, "scripts", "build.js")], { cwd: root, encoding: "utf8" });
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-build-e2e-"));
    fs.mkdirSync(path.join(root, "scripts"));
    fs.copyFileSync(path.join(ROOT_DIR, "scripts", "build.js"), path.join(root, "scripts", "build.js"));
    write("scripts/bundle-cli.js", 'const fs = require("node:fs"), path = require("node:path");\nconst out = path.join(__dirname, "..", "dist", "lib", "cli", "envkit-bundle.js");\nfs.mkdirSync(path.dirname(out), { recursive: true });\nfs.writeFileSync(out, "bundled " + Date.now());\n');
    fs.symlinkSync(path.join(ROOT_DIR, "node_modules"), path.join(root, "node_modules"));
    write("tsconfig.json", JSON.stringify({ compilerOptions: { target: "es2022", module: "commonjs", strict: true, declaration: true, outDir: "dist", rootDir: ".", skipLibCheck: true, types: [] } }));
    // The repository's own build options (incremental, its record, noEmitOnError), on this tree.
    const own = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, "tsconfig.build.json"), "utf8")) as { compilerOptions: Record<string, unknown> };
    write("tsconfig.build.json", JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { ...own.compilerOptions, types: [] }, include: ["lib/**/*.ts"] }));
    write("lib/a.ts", "export const a: number = 1;\n");
    write("lib/cli/bin.ts", 'import { a } from "../a";\nexport const b = a + 1;\n');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("builds, then fails twice on a type error (a second build never passes where the first failed) leaving the last good output, then builds once mended", () => {
    expect(run().status).toBe(0);
    expect(fs.existsSync(path.join(root, "dist/lib/cli/bin.js"))).toBe(true);
    const good = fs.readFileSync(path.join(root, "dist/lib/a.js"), "utf8");
    write("lib/a.ts", 'export const a: number = "one";\n');
    const first = run();
    const second = run();
    expect(fs.readFileSync(path.join(root, "dist/lib/a.js"), "utf8")).toBe(good);
    expect(first.status).not.toBe(0);
    expect(second.status).not.toBe(0);
    expect(second.stdout + second.stderr).toMatch(/lib\/a\.ts\(1,14\): error TS2322/);
    write("lib/a.ts", "export const a: number = 2;\n");
    expect(run().status).toBe(0);
    expect(run().status).toBe(0);
  });

  it("fails when a source still imported is deleted, and removes its outputs", () => {
    fs.rmSync(path.join(root, "lib/a.ts"));
    const r = run();
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain("build: removed 2 compiled file(s) whose source is gone");
    expect(r.stdout + r.stderr).toMatch(/lib\/cli\/bin\.ts\(1,19\): error TS2307/);
    expect(fs.existsSync(path.join(root, "dist/lib/a.js"))).toBe(false);
    expect(run().status).not.toBe(0);
  });
});

describe("scripts/build.js: after tsc, no output is older than its source", () => {
  it("dates now the outputs tsc left alone because their source was only touched, and only those", () => {
    const { root, date } = builtTree();
    date("lib/cli/bin.ts", 3000);
    const mtime = (f: string) => fs.statSync(path.join(root, f)).mtimeMs / 1000;
    build.touchUnchangedOutputs(root, ["lib/cli/bin.ts", "lib/index.ts"].map((f) => path.join(root, f)));
    expect(mtime("dist/lib/cli/bin.js")).toBeGreaterThan(3000);
    expect(mtime("dist/lib/cli/bin.d.ts")).toBeGreaterThan(3000);
    expect(mtime("dist/lib/index.js")).toBe(1000);
  });
});

describe("scripts/build.js: the outputs of a deleted or renamed source", () => {
  it("are removed (the package would ship them), and nothing else: every source's outputs and the bundle stay", () => {
    const { root } = builtTree();
    for (const f of ["dist/lib/old.js", "dist/lib/old.d.ts", "dist/lib/gone/deep.js", "dist/stacks/renamed.d.ts"]) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), "");
    }
    const before = filesIn(root);
    const srcs = ["main.ts", "lib/index.ts", "lib/cli/bin.ts", "stacks/app.ts"].map((f) => path.join(root, f));
    const removed = build.removeOrphanOutputs(root, srcs).map((f) => path.relative(root, f)).sort();
    expect(removed).toEqual(["dist/lib/gone/deep.js", "dist/lib/old.d.ts", "dist/lib/old.js", "dist/stacks/renamed.d.ts"]);
    expect(filesIn(root)).toEqual(before.filter((f) => !removed.includes(f)));
    expect(filesIn(root)).toContain("dist/lib/cli/envkit-bundle.js");
    expect(build.removeOrphanOutputs(root, srcs)).toEqual([]);
  });
});

describe("scripts/build.js: when the CLI is bundled again", () => {
  it("not when the bundle is newer than the compiled code, the dependencies and the bundler", () => {
    expect(build.bundleIsCurrent(builtTree().root)).toBe(true);
  });

  it("when tsc wrote any compiled file after it, node_modules or the bundler changed, or there is no bundle", () => {
    for (const file of ["dist/lib/index.js", "dist/stacks/app.js", "node_modules/.package-lock.json", "scripts/bundle-cli.js"]) {
      const { root, date } = builtTree();
      date(file, 3000);
      expect(build.bundleIsCurrent(root)).toBe(false);
    }
    const { root } = builtTree();
    fs.rmSync(path.join(root, "dist/lib/cli/envkit-bundle.js"));
    expect(build.bundleIsCurrent(root)).toBe(false);
  });
});

describe("scripts/build.js: before `npm ci`", () => {
  it("says TypeScript is not installed and to run npm ci, with exit 1 and no stack trace", () => {
    // A copy of the script in a tree with sources but no node_modules (none up from the temp dir either).
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-build-nodeps-"));
    fs.mkdirSync(path.join(root, "scripts"));
    fs.mkdirSync(path.join(root, "lib"));
    fs.copyFileSync(path.join(__dirname, "..", "..", "scripts", "build.js"), path.join(root, "scripts", "build.js"));
    fs.writeFileSync(path.join(root, "lib", "index.ts"), "export const x = 1;\n");
    fs.writeFileSync(path.join(root, "tsconfig.build.json"), "{}\n");
    try {
      const r = spawnSync(process.execPath, [path.join(root, "scripts", "build.js")], { encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`TypeScript is not installed in ${root}`);
      expect(r.stderr).toContain("run `npm ci` there first");
      expect(r.stderr).not.toMatch(/^\s+at /m);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("scripts/bundle-cli.js", () => {
  it("writes the bundle whole or not at all: a refused bundle leaves the previous one and no temporary file; a good one ends with its content id", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-bundler-"));
    try {
      const cli = path.join(root, "dist", "lib", "cli");
      fs.mkdirSync(cli, { recursive: true });
      fs.mkdirSync(path.join(root, "scripts"));
      fs.copyFileSync(path.join(__dirname, "..", "..", "scripts", "bundle-cli.js"), path.join(root, "scripts", "bundle-cli.js"));
      fs.symlinkSync(path.join(__dirname, "..", "..", "node_modules"), path.join(root, "node_modules"));
      fs.writeFileSync(path.join(cli, "envkit.js"), "");
      fs.writeFileSync(path.join(cli, "envkit-bundle.js"), "previous");
      // A legal comment (kept by esbuild) with a non-ASCII character: the launcher reads Latin-1.
      fs.writeFileSync(path.join(cli, "bin.js"), '/*! (c) \u00a9 someone */\nconsole.log("hello");\n');
      const bundle = () => spawnSync(process.execPath, [path.join(root, "scripts", "bundle-cli.js")], { cwd: root, encoding: "utf8" });
      const refused = bundle();
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/non-ASCII byte at offset \d+;.*envkit-bundle\.js was not changed/);
      expect(fs.readFileSync(path.join(cli, "envkit-bundle.js"), "utf8")).toBe("previous");
      expect(fs.readdirSync(cli).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      fs.writeFileSync(path.join(cli, "bin.js"), '/*! (c) someone */\nconsole.log("hello");\n');
      expect(bundle().status).toBe(0);
      const text = fs.readFileSync(path.join(cli, "envkit-bundle.js"), "utf8");
      expect(text).toContain('console.log("hello")');
      expect(text).toMatch(/\n\/\/# envkitBundleId=[0-9a-f]{16}\n$/);
      expect(fs.readdirSync(cli).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
