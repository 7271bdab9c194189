import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCli } from "../../lib/cli/main";
import { EnvkitError } from "../../lib/errors";
import { RefSynthesizer } from "../../lib/review/sources";
import { DiffReport } from "../../lib/review/stack-diff";

/*
 * `envkit diff --base <git ref>` in a repository that is not envkit's: throwaway consumer-like git
 * repositories made here, one holding only an application folder, one holding only a tiny cdktf
 * app (`node app.js` writing cdk.tf.json). No network and no npm: dependency installs go through
 * the injectable installer, which records its calls.
 */

const MINIMAL = path.join(__dirname, "..", "..", "examples", "minimal");
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

function newRepo(): string {
  const dir = path.join(tmp("envkit-gitref-"), "consumer");
  fs.mkdirSync(dir);
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "t@example.com");
  git(dir, "config", "user.name", "test");
  git(dir, "config", "commit.gpgsign", "false");
  return dir;
}

function commit(dir: string, message: string): string {
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** A repository whose only envkit content is an application folder `app/`, with two commits. */
function configRepo(): string {
  const dir = newRepo();
  fs.cpSync(MINIMAL, path.join(dir, "app"), { recursive: true });
  commit(dir, "app");
  const dev = path.join(dir, "app", "environments", "dev.yaml");
  fs.writeFileSync(dev, fs.readFileSync(dev, "utf8").replace('web: "1.27.2-alpine"', 'web: "1.27.3-alpine"'));
  commit(dir, "bump web");
  return dir;
}

/** A tiny cdktf app: `node app.js` writes one stack whose resource carries VALUE. */
function appJs(value: string): string {
  return `const fs = require("fs"), path = require("path");
const out = process.env.CDKTF_OUTDIR;
const dir = path.join(out, "stacks", "dev");
fs.mkdirSync(dir, { recursive: true });
const linked = fs.existsSync("node_modules") && fs.lstatSync("node_modules").isSymbolicLink();
const ctx = JSON.parse(process.env.CDKTF_CONTEXT_JSON || "{}");
fs.writeFileSync(path.join(dir, "cdk.tf.json"), JSON.stringify({ resource: { docker_container: { web: { name: "web", image: ${JSON.stringify(value)}, linked, ctx: ctx.flavour || "none" } } } }));
`;
}

function cdktfRepo(): string {
  const dir = newRepo();
  fs.writeFileSync(path.join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node app.js", context: { flavour: "vanilla" } }));
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  fs.writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify({ name: "consumer", lockfileVersion: 3, packages: {} }));
  fs.writeFileSync(path.join(dir, ".gitignore"), "node_modules/\n");
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.writeFileSync(path.join(dir, "app.js"), appJs("nginx:1.27.2"));
  commit(dir, "app");
  fs.writeFileSync(path.join(dir, "app.js"), appJs("nginx:1.27.3"));
  commit(dir, "bump");
  return dir;
}

/** Runs the CLI in-process from `cwd` (git refs are looked up in the folder envkit runs in). */
function cliIn(cwd: string, ...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.cwd();
  process.chdir(cwd);
  try {
    const code = runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.chdir(before);
  }
}

const worktrees = (dir: string) => git(dir, "worktree", "list").split("\n").length;

function refError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvkitError) return e.message;
    throw e;
  }
  throw new Error("no error");
}

describe("git-ref diff of a repository holding only an application folder", () => {
  const repo = configRepo();

  it("synthesizes both refs with this envkit's library (no worktree, no build of the ref) and shows the bump", () => {
    const r = cliIn(repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", "app", "--format", "json");
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as DiffReport;
    const dev = report.environments.find((e) => e.env === "dev")!;
    expect(dev.status).toBe("changed");
    expect(JSON.stringify(dev.changes)).toContain("1.27.3-alpine");
    expect(r.err).toMatch(/synthesizing HEAD~1 \([0-9a-f]{12}\): application folder app with envkit's library/);
    expect(worktrees(repo)).toBe(1);
  });

  it("synthesizes a commit once per run when base and head name the same commit", () => {
    const r = cliIn(repo, "diff", "--base", "main", "--head", "HEAD", "--config", "app");
    expect(r.code).toBe(0);
    expect(r.err.match(/synthesizing/g)).toHaveLength(1);
    expect(r.out).toContain("No changes");
  });

  it("leaves no temporary folder or worktree behind", () => {
    const seen = new Set(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("envkit-refs-")));
    expect(cliIn(repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", "app").code).toBe(0);
    expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith("envkit-refs-") && !seen.has(f))).toEqual([]);
    expect(worktrees(repo)).toBe(1);
  });

  it("names a ref that does not exist, without a stack trace", () => {
    const r = cliIn(repo, "diff", "--base", "no-such-branch", "--head", "HEAD", "--config", "app");
    expect(r.code).toBe(1);
    expect(r.err).toContain('git ref "no-such-branch" is neither a folder nor a commit of the git repository');
    expect(r.err).toContain("git branch -a");
    expect(r.err).not.toMatch(/\n\s+at |Error:/);
  });

  it("refuses a ref that git would read as an option (--output=...)", () => {
    const r = cliIn(repo, "diff", "--base=--output=/tmp/x", "--head", "HEAD", "--config", "app");
    expect(r.code).toBe(1);
    expect(r.err).toContain('git ref "--output=/tmp/x" is not a valid git ref');
  });

  it("says how to fetch the base when a shallow clone lacks it", () => {
    const shallow = path.join(tmp("envkit-gitref-shallow-"), "clone");
    git(os.tmpdir(), "clone", "-q", "--depth", "1", `file://${repo}`, shallow);
    const r = cliIn(shallow, "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", "app");
    expect(r.code).toBe(1);
    expect(r.err).toContain("is a shallow clone");
    expect(r.err).toContain("git fetch --deepen");
    expect(r.err).toContain("--unshallow");
  });

  it("says the ref has no envkit application when neither the folder nor cdktf.json is there", () => {
    const r = cliIn(repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", "elsewhere");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/git ref "HEAD~1" has no envkit application at [0-9a-f]{12}: neither elsewhere\/app\.yaml with environments\/ nor cdktf\.json exists there/);
  });

  it("names the ref and file when the ref's application folder does not validate", () => {
    const broken = configRepo();
    fs.writeFileSync(path.join(broken, "app", "environments", "dev.yaml"), "target: docker\nrelease:\n  web: 1.27.2-alpine\nreplcas: 2\n");
    commit(broken, "typo");
    const r = cliIn(broken, "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", "app");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^HEAD:app\/environments\/dev\.yaml:4: /m);
    expect(r.err).toContain('git ref "HEAD": its application folder app does not validate with this envkit');
    expect(r.err).not.toContain(os.tmpdir() + path.sep + "envkit-refs-");
  });

  it("refuses a --config folder outside the repository", () => {
    const r = cliIn(repo, "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", MINIMAL);
    expect(r.code).toBe(1);
    expect(r.err).toContain("is outside the git repository");
  });

  it("says it is not a git repository when run outside one", () => {
    const r = cliIn(tmp("envkit-gitref-nogit-"), "diff", "--base", "HEAD~1", "--head", "HEAD", "--config", "app");
    expect(r.code).toBe(1);
    expect(r.err).toContain("is not inside a git repository");
  });
});

describe("git-ref diff of a repository holding a cdktf app (cdktf.json app: node app.js)", () => {
  it("runs each ref's own app in a worktree, with CDKTF_OUTDIR and cdktf.json's context, and shows the change", () => {
    const repo = cdktfRepo();
    const installs: string[] = [];
    const out: string[] = [];
    const err: string[] = [];
    const before = process.cwd();
    process.chdir(repo);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { diffCommand } = require("../../lib/cli/commands/diff") as typeof import("../../lib/cli/commands/diff");
      const code = diffCommand({ base: "HEAD~1", head: "HEAD", format: "json", install: (d) => installs.push(d) }, { out: (t) => out.push(t), err: (t) => err.push(t) });
      expect(code).toBe(0);
    } finally {
      process.chdir(before);
    }
    const report = JSON.parse(out.join("\n")) as DiffReport;
    const change = report.environments[0].changes[0];
    expect(change.address).toBe("docker_container.web");
    expect(change.attributes.map((a) => [a.path, a.before, a.after])).toEqual([["image", '"nginx:1.27.2"', '"nginx:1.27.3"']]);
    expect(installs).toEqual([]);
    expect(err.join("\n")).toContain("with this checkout's node_modules (same package-lock.json)");
    expect(worktrees(repo)).toBe(1);
  });

  it("links the checkout's node_modules when the ref's package-lock is the same (no install)", () => {
    const repo = cdktfRepo();
    const installs: string[] = [];
    const s = new RefSynthesizer({ cwd: repo, log: () => undefined, install: (d) => installs.push(d) });
    try {
      const r = s.synthesize("HEAD~1");
      expect(r.kind).toBe("cdktf");
      expect(r.installed).toBe(false);
      const stack = JSON.parse(fs.readFileSync(path.join(r.dir, "stacks", "dev", "cdk.tf.json"), "utf8"));
      expect(stack.resource.docker_container.web).toEqual({ name: "web", image: "nginx:1.27.2", linked: true, ctx: "vanilla" });
      expect(installs).toEqual([]);
    } finally {
      s.dispose();
    }
  });

  it("installs the ref's own dependencies when its package-lock differs, once per commit per run", () => {
    const repo = cdktfRepo();
    fs.writeFileSync(path.join(repo, "package-lock.json"), JSON.stringify({ name: "consumer", lockfileVersion: 3, packages: { "node_modules/x": { version: "2.0.0" } } }));
    commit(repo, "new lock");
    const installs: { dir: string; hasLock: boolean }[] = [];
    const s = new RefSynthesizer({ cwd: repo, log: () => undefined, install: (dir, hasLock) => installs.push({ dir, hasLock }) });
    try {
      const a = s.synthesize("HEAD~1");
      const again = s.synthesize(git(repo, "rev-parse", "HEAD~1"));
      const head = s.synthesize("HEAD");
      expect(a.installed).toBe(true);
      expect(again.dir).toBe(a.dir);
      expect(installs).toHaveLength(1);
      expect(installs[0].hasLock).toBe(true);
      expect(path.basename(installs[0].dir)).toBe("tree");
      // The head's lock is the checkout's: its node_modules is linked.
      expect(head.installed).toBe(false);
    } finally {
      s.dispose();
    }
    expect(worktrees(repo)).toBe(1);
  });

  it("reports a failing app with its exit status and last lines, without a stack trace", () => {
    const repo = cdktfRepo();
    fs.writeFileSync(path.join(repo, "app.js"), 'console.error("boom: missing thing"); process.exit(7);\n');
    commit(repo, "break");
    const s = new RefSynthesizer({ cwd: repo, log: () => undefined, install: () => undefined });
    try {
      const msg = refError(() => s.synthesize("HEAD"));
      expect(msg).toContain('git ref "HEAD" its cdktf app ("node app.js" from cdktf.json) failed: it exited with 7');
      expect(msg).toContain("boom: missing thing");
    } finally {
      s.dispose();
    }
    expect(worktrees(repo)).toBe(1);
  });

  it("reports a failing app once when base and head are the same commit (not the first attempt's folder in the way)", () => {
    const repo = cdktfRepo();
    fs.writeFileSync(path.join(repo, "app.js"), 'console.error("boom: missing thing"); process.exit(7);\n');
    commit(repo, "break");
    const r = cliIn(repo, "diff", "--base", "HEAD", "--head", "HEAD");
    expect(r.code).toBe(1);
    expect(r.err.match(/its cdktf app \("node app\.js" from cdktf\.json\) failed: it exited with 7/g)).toHaveLength(1);
    expect(r.err).not.toMatch(/already exists/);
    expect(worktrees(repo)).toBe(1);
  });

  it("says so when the app writes no stacks/ into CDKTF_OUTDIR", () => {
    const repo = cdktfRepo();
    fs.writeFileSync(path.join(repo, "app.js"), 'require("fs").writeFileSync("cdk.tf.json", "{}");\n');
    commit(repo, "writes to the wrong place");
    const s = new RefSynthesizer({ cwd: repo, log: () => undefined, install: () => undefined });
    try {
      expect(refError(() => s.synthesize("HEAD"))).toContain("wrote no stacks/ into CDKTF_OUTDIR");
    } finally {
      s.dispose();
    }
  });

  it("names cdktf.json's field when the app command is missing", () => {
    const repo = cdktfRepo();
    fs.writeFileSync(path.join(repo, "cdktf.json"), JSON.stringify({ language: "typescript" }));
    commit(repo, "no app");
    const s = new RefSynthesizer({ cwd: repo, log: () => undefined, install: () => undefined });
    try {
      expect(refError(() => s.synthesize("HEAD"))).toBe('HEAD:cdktf.json: app: is missing or not a command; cdktf.json needs "app": "<command that synthesizes the stacks>"');
    } finally {
      s.dispose();
    }
  });

  it("prefers the application folder over cdktf.json when the ref has both (config is data: no code runs)", () => {
    const repo = cdktfRepo();
    fs.cpSync(MINIMAL, path.join(repo, "app"), { recursive: true });
    fs.writeFileSync(path.join(repo, "app.js"), 'throw new Error("must not run");\n');
    commit(repo, "both");
    const s = new RefSynthesizer({ cwd: repo, configDir: "app", log: () => undefined, install: () => undefined });
    try {
      const r = s.synthesize("HEAD");
      expect(r.kind).toBe("config");
      expect(fs.readdirSync(path.join(r.dir, "stacks"))).toEqual(["dev"]);
    } finally {
      s.dispose();
    }
  });
});
