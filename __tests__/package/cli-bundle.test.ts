import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { filesOf } from "../helpers";

/*
 * The `envkit` command is one bundled file (dist/lib/cli/envkit.js, written by `npm run build`:
 * scripts/bundle-cli.js) so that Node loads one module instead of ~600. It must behave exactly as
 * the unbundled dist/lib/cli/bin.js: the same bytes written for the reference app, the same
 * messages and exit codes for a bad configuration, the same version; and it must really be one
 * file: nothing loaded from node_modules.
 */
const ROOT = path.join(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "lib", "cli");
const BUNDLE = path.join(CLI, "envkit.js");
const BIN = path.join(CLI, "bin.js");
const REFERENCE = path.join(ROOT, "examples", "reference-app");

const built = fs.existsSync(BUNDLE);
if (!built) console.warn(`cli-bundle: SKIPPED: ${path.relative(ROOT, BUNDLE)} is missing (run \`npm run build\`, as \`npm test\` does)`);
const describeBuilt = built ? describe : describe.skip;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const tmp = (name: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `envkit-bundle-${name}-`));
  dirs.push(d);
  return d;
};
const run = (entry: string, args: readonly string[], extra: readonly string[] = []) =>
  spawnSync(process.execPath, [...extra, entry, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });

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
  });
});
