import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gitHistory } from "../lib/policy/history";
import { RELEASE_RECORD_FILE } from "../lib/policy/release-record";
import { cli } from "./helpers";

/*
 * The README's main job, `envkit synth --config examples/reference-app`, on the two checkouts
 * that carry no git history: a shallow clone (the default checkout of CI systems) and a
 * `git archive` tarball. Promotion order (ENVK-REL-001) once read only git history there and
 * failed the synth. The copies are real (`git clone --depth 1`, `git archive HEAD | tar -x`); the
 * CLI runs in-process from this checkout's sources against the copy's app folder, so no npm ci
 * or build is needed in the copy. A clone holds only committed files, so the working tree's app
 * folder is copied over it: the test checks the current record and environment files.
 */

const ROOT = path.join(__dirname, "..");
const APP = path.join("examples", "reference-app");
const run = (cmd: string, args: string[], cwd: string, input?: Buffer) => execFileSync(cmd, args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
const inGit = (() => {
  try {
    return run("git", ["rev-parse", "--verify", "-q", "HEAD"], ROOT).length > 0;
  } catch {
    return false;
  }
})();
if (!inGit) console.warn("SKIPPED shallow-clone tests: this checkout is not a git repository with a commit (nothing to clone or archive)");
const maybe = inGit ? describe : describe.skip;

/** Replaces the copy's app folder with this working tree's. */
function withWorkingTreeApp(copy: string): string {
  const app = path.join(copy, APP);
  fs.rmSync(app, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, APP), app, { recursive: true });
  return app;
}

function shallowClone(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-shallow-")), "repo");
  run("git", ["clone", "-q", "--depth", "1", `file://${path.resolve(ROOT)}`, dir], ROOT);
  return withWorkingTreeApp(dir);
}

function archiveCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-archive-"));
  run("tar", ["-x", "-C", dir], dir, run("git", ["archive", "--format=tar", "HEAD"], ROOT));
  return withWorkingTreeApp(dir);
}

function synth(app: string): { code: number; out: string; err: string; stacks: string[] } {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-shallow-out-")), "cdktf.out");
  const r = cli("synth", "--config", app, "--out", out);
  const stacks = fs.existsSync(path.join(out, "stacks")) ? fs.readdirSync(path.join(out, "stacks")).sort() : [];
  return { ...r, stacks };
}

maybe("the README's synth on checkouts without git history (ENVK-REL-001 must not need git)", () => {
  it("does not fail on a git clone --depth 1 (CI's default checkout)", () => {
    const app = shallowClone();
    // The precondition that makes this test mean something: git history really is cut off.
    expect(run("git", ["rev-parse", "--is-shallow-repository"], app).toString().trim()).toBe("true");
    expect(gitHistory(app).complete).toBe(false);
    const r = synth(app);
    expect(r.err).not.toContain("ENVK-REL-001");
    expect(r.code).toBe(0);
    expect(r.stacks).toEqual(["dev", "prod", "staging", "swarm", "test"]);
  });

  it("does not fail on a git archive HEAD | tar -x copy (a downloaded tarball)", () => {
    const app = archiveCopy();
    expect(gitHistory(app).reason).toBe("not a git checkout");
    const r = synth(app);
    expect(r.err).not.toContain("ENVK-REL-001");
    expect(r.code).toBe(0);
    expect(r.stacks).toEqual(["dev", "prod", "staging", "swarm", "test"]);
  });

  it("without the release record, a shallow clone fails closed and the finding says what is missing and how to record it", () => {
    const app = shallowClone();
    fs.rmSync(path.join(app, RELEASE_RECORD_FILE));
    const r = synth(app);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/release\.api: \[ENVK-REL-001\] "api" release "2\.4\.1@sha256:[a-f0-9]{64}" never ran in "staging" as far as envkit can tell/);
    expect(r.err).toContain(`unavailable: the release record ${path.join(app, RELEASE_RECORD_FILE)} (no such file), full git history (a shallow clone; git fetch --unshallow reads it)`);
    expect(r.err).toContain(`"envkit releases record --config ${app} --env staging" records what "staging" runs after each deploy`);
    expect(r.stacks).toEqual([]);
  });
});
