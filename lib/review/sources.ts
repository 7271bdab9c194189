import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fsIssue } from "../config/fs-issue";
import { ConfigIssue, EnvkitError } from "../errors";
import { jsonErrorOffset } from "./json-error-offset";
import { StackModel } from "./stack-diff";
import { parseStack, resourceAt, stackShapeProblem } from "./stack-text";

/** The sidecar envkit writes next to each stack: the service graph reviewers see. */
export const MODEL_FILE = "envkit-model.json";

type Json = Record<string, unknown>;

/** What a value is, for a message: "a string", "a list", "nothing"… */
function kindOf(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

type Field = "string" | "boolean" | "number" | "numbers";

/** The fields of a sidecar's list items (more fields are allowed: a later envkit may add some). */
const SIDECAR_LISTS: ReadonlyArray<readonly [string, ReadonlyArray<readonly [string, Field]>]> = [
  ["services", [["name", "string"], ["public", "boolean"], ["kind", "string"], ["ports", "numbers"]]],
  ["connections", [["from", "string"], ["to", "string"], ["port", "number"], ["protocol", "string"]]],
];

const fits = (v: unknown, field: Field): boolean => (field === "numbers" ? Array.isArray(v) && v.every((x) => typeof x === "number") : typeof v === field);

/**
 * The first way `raw` is not a model sidecar (`{ target?, services: [{ name, public, kind, ports }],
 * connections: [{ from, to, port, protocol }] }`), as a path and a message; undefined when it is one.
 * Checked by hand, not with zod: a review then never loads the schema library (~35 ms of a diff).
 */
function sidecarShapeProblem(raw: unknown): { path: PropertyKey[]; message: string } | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { path: [], message: `expected an object, found ${kindOf(raw)}` };
  const doc = raw as Record<string, unknown>;
  if (doc.target !== undefined && typeof doc.target !== "string") return { path: ["target"], message: `expected a string, found ${kindOf(doc.target)}` };
  for (const [key, fields] of SIDECAR_LISTS) {
    const list = Object.hasOwn(doc, key) ? doc[key] : undefined;
    if (!Array.isArray(list)) return { path: [key], message: `expected a list, found ${kindOf(list)}` };
    for (let i = 0; i < list.length; i++) {
      const item: unknown = list[i];
      if (typeof item !== "object" || item === null || Array.isArray(item)) return { path: [key, i], message: `expected an object, found ${kindOf(item)}` };
      for (const [name, field] of fields) {
        const v = Object.hasOwn(item, name) ? (item as Record<string, unknown>)[name] : undefined;
        if (!fits(v, field)) {
          const bad = field === "numbers" && Array.isArray(v) ? v.findIndex((x) => typeof x !== "number") : -1;
          return bad >= 0 ? { path: [key, i, name, bad], message: `expected a number, found ${kindOf((v as unknown[])[bad])}` } : { path: [key, i, name], message: `expected ${field === "numbers" ? "a list of numbers" : `a ${field}`}, found ${kindOf(v)}` };
        }
      }
    }
  }
  return undefined;
}

/**
 * Texts already parsed, shared between the two sides of a review: an environment whose stack is
 * byte-identical on both sides (most of them, in a typical change) is parsed and checked once, and
 * both sides hold the same object, which the diff then skips at once.
 */
export type ParsedTexts = Map<number, { readonly bytes: Buffer; readonly value: unknown }[]>;

/**
 * Reads every `stacks/<env>/cdk.tf.json` (and its sidecar) of a synthesized output folder. Files
 * that cannot be read, are not JSON, or do not have a stack's shape are issues naming the file
 * (and line), never their content: a stack may hold sensitive values. Pass the same `parsed` map
 * when reading both sides of a review. A stack's resources are parsed when first read (see
 * stack-text.ts): `resource[type]` is a Proxy, which JSON.stringify and spreading copy but
 * structuredClone cannot.
 */
export function readOutputDir(dir: string, parsed: ParsedTexts = new Map()): Map<string, { json: Json; model?: StackModel }> {
  const stacksDir = path.join(dir, "stacks");
  if (!fs.existsSync(stacksDir)) throw new EnvkitError([{ file: dir, path: "", message: "holds no stacks/ folder; pass a synthesized output folder (cdktf.out layout) or a git ref" }]);
  const out = new Map<string, { json: Json; model?: StackModel }>();
  const issues: ConfigIssue[] = [];
  let envs: string[];
  try {
    envs = fs.readdirSync(stacksDir).sort();
  } catch (e) {
    throw new EnvkitError([fsIssue(stacksDir, e, "read", "pass a synthesized output folder (cdktf.out layout) or a git ref")]);
  }
  for (const env of envs) {
    const file = path.join(stacksDir, env, "cdk.tf.json");
    if (!fs.existsSync(file)) continue;
    // Resource bodies are parsed when the review reads them (see stack-text.ts).
    const json = readJsonFile(file, issues, parsed, (bytes) => parseStack(bytes, file));
    if (json === undefined) continue;
    const shape = checkedShape(json);
    if (shape) {
      issues.push({ file, path: shape.path, message: `is not a synthesized stack: ${shape.message}; synthesize it again with envkit synth` });
      continue;
    }
    const sidecar = path.join(stacksDir, env, MODEL_FILE);
    let model: StackModel | undefined;
    if (fs.existsSync(sidecar)) {
      // Shared like the stacks: a sidecar unchanged between the sides is parsed and checked once.
      const raw = readJsonFile(sidecar, issues, parsed);
      if (raw === undefined) continue;
      const problem = sidecarProblem(raw);
      if (problem) {
        issues.push({ file: sidecar, path: problem.path.join("."), message: `is not an envkit model sidecar (${problem.message}); synthesize it again with envkit synth` });
        continue;
      }
      model = raw as StackModel; // validated; kept whole (app, env) for the JSON report
    }
    out.set(env, { json: json as Json, model });
  }
  if (issues.length > 0) throw new EnvkitError(issues);
  return out;
}

/** Sidecar verdicts, so a sidecar shared by both sides of a review is checked once. */
const SIDECARS = new WeakMap<object, { path: PropertyKey[]; message: string } | null>();

function sidecarProblem(raw: unknown): { path: PropertyKey[]; message: string } | undefined {
  const known = typeof raw === "object" && raw !== null ? SIDECARS.get(raw) : undefined;
  if (known !== undefined) return known ?? undefined;
  const verdict = sidecarShapeProblem(raw) ?? null;
  if (typeof raw === "object" && raw !== null) SIDECARS.set(raw, verdict);
  return verdict ?? undefined;
}

const decode = (bytes: Buffer): unknown => JSON.parse(bytes.toString("utf8"));

/**
 * Parses a JSON file (with `parse`, given its bytes: JSON.parse of its UTF-8 text by default); on
 * failure records an issue with the line, never the content.
 */
export function readJsonFile(file: string, issues: ConfigIssue[], parsed?: ParsedTexts, parse: (bytes: Buffer) => unknown = decode): unknown {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    issues.push(fsIssue(file, e, "read", "check the file and its permissions"));
    return undefined;
  }
  const sameSize = parsed?.get(bytes.length);
  const known = sameSize?.find((p) => p.bytes.equals(bytes));
  if (known) return known.value;
  try {
    const value = parse(bytes);
    if (parsed) parsed.set(bytes.length, [...(sameSize ?? []), { bytes, value }]);
    return value;
  } catch (e) {
    // V8's message may quote the text around the error: only its position is kept (found by
    // jsonErrorOffset when V8 gives none, as for an unexpected token), with the resource it falls
    // in (a truncated file: where it ends). Never the text itself.
    const text = bytes.toString("utf8");
    const pos = /at position (\d+)/.exec((e as Error).message);
    const at = pos ? Number(pos[1]) : jsonErrorOffset(text);
    const before = at === undefined ? undefined : text.slice(0, at);
    const line = before?.split("\n").length;
    // A minified stack is one line: the column says where.
    const column = before !== undefined && line === 1 && at! > 0 ? ` at column ${at! + 1}` : "";
    const ends = at !== undefined && at >= text.length ? " (it ends too early: a cut-off write?)" : "";
    issues.push({ file, line, path: at === undefined ? "" : resourceAt(text, at), message: `is not valid JSON${column}${ends}; it is not a synthesized output (synthesize it again with envkit synth)` });
    return undefined;
  }
}

/** Shape verdicts of parsed stacks, so a stack shared by both sides of a review is walked once. */
const SHAPES = new WeakMap<object, { path: string; message: string } | null>();

function checkedShape(json: unknown): { path: string; message: string } | undefined {
  if (typeof json !== "object" || json === null) return stackShapeProblem(json);
  let verdict = SHAPES.get(json);
  if (verdict === undefined) SHAPES.set(json, (verdict = stackShapeProblem(json) ?? null));
  return verdict ?? undefined;
}

/** How a git ref's application was synthesized. */
export type RefAppKind = "config" | "cdktf";

/** One synthesized git ref. */
export interface RefSynthesis {
  /** The ref as the user gave it. */
  readonly ref: string;
  readonly sha: string;
  /** `config`: the ref's application folder, with this envkit; `cdktf`: the ref's own cdktf app. */
  readonly kind: RefAppKind;
  /** The synthesized output folder (cdktf.out layout). */
  readonly dir: string;
  /** cdktf apps only: whether the ref's dependencies were installed (its package-lock differs). */
  readonly installed?: boolean;
}

/** Options of {@link RefSynthesizer}. */
export interface RefSynthesizerOptions {
  /** The application folder (as the user gave it, relative to `cwd`); looked up at each ref. */
  readonly configDir?: string;
  /** Where the user runs envkit: the git repository and the cdktf project folder. @default process.cwd() */
  readonly cwd?: string;
  /** Progress lines (stderr in the CLI). */
  readonly log: (line: string) => void;
  /**
   * Installs a ref's dependencies in its project folder (`npm ci`, or `npm install` without a
   * lock). Tests replace it: they never reach a registry.
   */
  readonly install?: (projectDir: string, hasLock: boolean) => void;
}

/** Longest a ref's cdktf app or its install may run. */
const APP_TIMEOUT_MS = 15 * 60 * 1000;

function git(cwd: string, args: string[], input?: Buffer): Buffer {
  return execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
}

function tryGit(cwd: string, args: string[]): string | undefined {
  try {
    return git(cwd, args).toString("utf8").trim();
  } catch {
    return undefined;
  }
}

/** The last lines a child process wrote (already located messages of the ref's own tools). */
function tail(text: string | Buffer | undefined, max = 20): string {
  const lines = (text?.toString().trim() ?? "").split("\n").filter((l) => l !== "");
  return lines.length > max ? [`... (${lines.length - max} earlier lines)`, ...lines.slice(-max)].join("\n") : lines.join("\n");
}

function npmInstall(projectDir: string, hasLock: boolean): void {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund", "--no-save"], { cwd: projectDir, stdio: ["ignore", "pipe", "pipe"], timeout: APP_TIMEOUT_MS, shell: process.platform === "win32" });
  if (r.status !== 0) throw new Error(`${hasLock ? "npm ci" : "npm install"} failed${r.error ? ` (${r.error.message})` : ""}:\n${tail(r.stderr)}`);
}

/**
 * Synthesizes git refs with each ref's own application, once per commit per run:
 *
 * - a ref whose tree has the application folder (`app.yaml` + `environments/`) is synthesized
 *   with this envkit — configuration is data, so no code of the ref runs and nothing is compiled;
 * - otherwise a ref with a `cdktf.json` (in the folder envkit runs from) has its `app` command
 *   run in a temporary worktree, with that ref's dependencies: `npm ci` only when its
 *   package-lock differs from the checkout's, else the checkout's node_modules is linked.
 *
 * A ref is synthesized for review: configuration errors stop it, guardrail findings do not
 * (`envkit policy` reports them). Every temporary folder and worktree is removed by
 * {@link RefSynthesizer.dispose}.
 */
export class RefSynthesizer {
  private readonly cwd: string;
  private readonly bySha = new Map<string, RefSynthesis>();
  private readonly failedSha = new Map<string, unknown>();
  private readonly trees: string[] = [];
  private work?: string;
  private repoTop?: string;

  constructor(private readonly opts: RefSynthesizerOptions) {
    this.cwd = path.resolve(opts.cwd ?? process.cwd());
  }

  /** Synthesizes `ref` (or returns this run's earlier synthesis of the same commit). */
  synthesize(ref: string): RefSynthesis {
    const top = this.top(ref);
    const sha = this.resolve(top, ref);
    const done = this.bySha.get(sha);
    if (done) return { ...done, ref };
    // The same commit twice (--base HEAD --head HEAD) fails the same way, once: a second attempt
    // would only find the first one's folder in its way.
    const failed = this.failedSha.get(sha);
    if (failed !== undefined) throw failed;
    try {
      return this.synthesizeCommit(top, ref, sha);
    } catch (e) {
      this.failedSha.set(sha, e);
      throw e;
    }
  }

  private synthesizeCommit(top: string, ref: string, sha: string): RefSynthesis {
    this.work ??= fs.mkdtempSync(path.join(os.tmpdir(), "envkit-refs-"));
    const base = path.join(this.work, sha.slice(0, 12));
    fs.mkdirSync(base);
    const out = path.join(base, "out");
    const projectRel = path.relative(top, this.cwd).split(path.sep).join("/");
    const configRel = this.opts.configDir === undefined ? undefined : this.relativeToTop(top, ref, this.opts.configDir);
    let result: RefSynthesis;
    if (configRel !== undefined && this.hasConfigFolder(top, sha, configRel)) {
      this.opts.log(`synthesizing ${ref} (${sha.slice(0, 12)}): application folder ${configRel || "."} with envkit's library…`);
      this.synthesizeConfig(top, ref, sha, configRel, path.join(base, "app"), out);
      result = { ref, sha, kind: "config", dir: out };
    } else if (this.blob(top, sha, join(projectRel, "cdktf.json")) !== undefined) {
      const installed = this.synthesizeCdktf(top, ref, sha, projectRel, path.join(base, "tree"), out);
      result = { ref, sha, kind: "cdktf", dir: out, installed };
    } else {
      const looked = [configRel !== undefined ? `${configRel || "."}/app.yaml with environments/` : undefined, `${join(projectRel, "cdktf.json")}`].filter(Boolean).join(" nor ");
      throw refError(ref, `has no envkit application at ${sha.slice(0, 12)}: neither ${looked} exists there; pass --config with the application folder the ref has, or run envkit from the folder holding cdktf.json`);
    }
    this.bySha.set(sha, result);
    return result;
  }

  /** Removes every worktree and temporary folder of this run. */
  dispose(): void {
    for (const tree of this.trees.splice(0)) {
      try {
        git(this.repoTop!, ["worktree", "remove", "--force", tree]);
      } catch {
        // Removed with the folder below; prune forgets it.
      }
    }
    if (this.work) fs.rmSync(this.work, { recursive: true, force: true });
    if (this.repoTop) tryGit(this.repoTop, ["worktree", "prune"]);
    this.work = undefined;
    this.bySha.clear();
    this.failedSha.clear();
  }

  private top(ref: string): string {
    if (this.repoTop) return this.repoTop;
    const top = tryGit(this.cwd, ["rev-parse", "--show-toplevel"]);
    if (!top) throw refError(ref, `is neither a folder nor a git ref: ${this.cwd} is not inside a git repository (pass a synthesized output folder, or run envkit inside the repository)`);
    this.repoTop = top;
    return top;
  }

  private resolve(top: string, ref: string): string {
    // A ref that starts with "-" would be read by git as an option.
    if (ref === "" || ref.startsWith("-") || /[\0-\x1f\x7f]/.test(ref)) throw refError(ref, "is not a valid git ref (it is empty, starts with \"-\" or holds control characters); name a branch, tag or commit");
    const sha = tryGit(top, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    if (sha && /^[0-9a-f]{40,64}$/.test(sha)) return sha;
    if (tryGit(top, ["rev-parse", "--is-shallow-repository"]) === "true") {
      throw refError(ref, `is not in this clone: ${top} is a shallow clone (CI's default checkout) and lacks it; fetch it with "git fetch --deepen=50" (or "git fetch --unshallow", or "git fetch origin <branch>" for a branch), or check out with fetch-depth: 0`);
    }
    throw refError(ref, `is neither a folder nor a commit of the git repository in ${top}; check the name (git branch -a, git tag) or fetch it (git fetch origin)`);
  }

  private relativeToTop(top: string, ref: string, configDir: string): string {
    const abs = path.resolve(this.cwd, configDir);
    // The checkout's folder may be a symlink (macOS /tmp): compare real paths where they exist.
    const real = fs.existsSync(abs) ? fs.realpathSync(abs) : abs;
    const rel = path.relative(fs.realpathSync(top), real);
    if (rel.startsWith("..") || path.isAbsolute(rel)) throw refError(ref, `--config ${configDir} is outside the git repository ${top}; a ref holds only the repository's files`);
    return rel.split(path.sep).join("/");
  }

  /** The bytes of a file at a commit, or undefined when the commit has no such file. */
  private blob(top: string, sha: string, file: string): Buffer | undefined {
    try {
      return git(top, ["cat-file", "blob", `${sha}:${file}`]);
    } catch {
      return undefined;
    }
  }

  private hasConfigFolder(top: string, sha: string, rel: string): boolean {
    const prefix = rel ? `${rel}/` : "";
    const type = (p: string) => tryGit(top, ["cat-file", "-t", `${sha}:${p}`]);
    return type(`${prefix}app.yaml`) === "blob" && type(`${prefix}environments`) === "tree";
  }

  private synthesizeConfig(top: string, ref: string, sha: string, rel: string, appDir: string, out: string): void {
    fs.mkdirSync(appDir);
    // Only the application folder leaves git: `git archive <commit>:<folder>` is its tree alone.
    const tar = git(top, ["archive", "--format=tar", `${sha}:${rel}`]);
    execFileSync("tar", ["-x", "-C", appDir], { input: tar, stdio: ["pipe", "ignore", "pipe"] });
    // Loaded lazily: the pipeline imports this module (MODEL_FILE), and only ref synthesis needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pipeline = require("../pipeline") as typeof import("../pipeline");
    const project = pipeline.validateDir(appDir);
    const where = `${ref}:${rel || "."}`;
    const errors = pipeline.configErrors(project).map((i) => ({ ...i, file: i.file?.startsWith(appDir) ? `${where}${i.file.slice(appDir.length)}` : i.file }));
    if (errors.length > 0) {
      throw new EnvkitError([...errors, { path: "", message: `git ref "${ref}": its application folder ${rel || "."} does not validate with this envkit (the issues above); fix them at that ref, or compare against a synthesized output folder` }]);
    }
    const app = pipeline.newApp(out, { skipValidation: true });
    pipeline.addEnvironmentStacks(app, project.environments, { onWarning: () => undefined });
    app.synth();
    pipeline.writeModelSidecars(out, project.environments);
  }

  /** Runs the ref's cdktf app in a worktree; returns whether its dependencies were installed. */
  private synthesizeCdktf(top: string, ref: string, sha: string, projectRel: string, tree: string, out: string): boolean {
    const cdktfFile = join(projectRel, "cdktf.json");
    let app: unknown;
    let context: unknown;
    try {
      const parsed = JSON.parse(this.blob(top, sha, cdktfFile)!.toString("utf8")) as { app?: unknown; context?: unknown };
      app = parsed.app;
      context = parsed.context;
    } catch {
      throw new EnvkitError([{ file: `${ref}:${cdktfFile}`, path: "", message: "is not valid JSON; fix cdktf.json at that ref, or pass --config with the application folder" }]);
    }
    if (typeof app !== "string" || app.trim() === "") throw new EnvkitError([{ file: `${ref}:${cdktfFile}`, path: "app", message: 'is missing or not a command; cdktf.json needs "app": "<command that synthesizes the stacks>"' }]);
    git(top, ["worktree", "add", "--detach", "--quiet", tree, sha]);
    this.trees.push(tree);
    const projectDir = path.join(tree, projectRel);
    let installed = false;
    if (fs.existsSync(path.join(projectDir, "package.json"))) {
      const refLock = this.blob(top, sha, join(projectRel, "package-lock.json"));
      const headLockFile = path.join(this.cwd, "package-lock.json");
      const headLock = fs.existsSync(headLockFile) ? fs.readFileSync(headLockFile) : undefined;
      const headModules = path.join(this.cwd, "node_modules");
      if (refLock !== undefined && headLock !== undefined && refLock.equals(headLock) && fs.existsSync(headModules)) {
        fs.symlinkSync(headModules, path.join(projectDir, "node_modules"), "dir");
        this.opts.log(`synthesizing ${ref} (${sha.slice(0, 12)}): its cdktf app, with this checkout's node_modules (same package-lock.json)…`);
      } else {
        this.opts.log(`synthesizing ${ref} (${sha.slice(0, 12)}): installing its dependencies (${refLock ? "npm ci: its package-lock.json differs" : "npm install: it has no package-lock.json"})…`);
        try {
          (this.opts.install ?? npmInstall)(projectDir, refLock !== undefined);
        } catch (e) {
          throw refError(ref, `could not install its dependencies in the worktree: ${(e as Error).message}`);
        }
        installed = true;
        this.opts.log(`synthesizing ${ref} (${sha.slice(0, 12)}): its cdktf app…`);
      }
    } else {
      this.opts.log(`synthesizing ${ref} (${sha.slice(0, 12)}): its cdktf app…`);
    }
    // The variables the cdktf CLI gives an app: where to write, and cdktf.json's context.
    const env = { ...process.env, CDKTF_OUTDIR: out, CDKTF_CONTEXT_JSON: JSON.stringify(context ?? {}), CHECKPOINT_DISABLE: "1" };
    const r = spawnSync(app, { cwd: projectDir, env, shell: true, stdio: ["ignore", "pipe", "pipe"], timeout: APP_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
      const why = r.error ? r.error.message : r.signal ? `it was stopped by ${r.signal}` : `it exited with ${r.status}`;
      throw refError(ref, `its cdktf app (${JSON.stringify(app)} from ${cdktfFile}) failed: ${why}${tail(r.stderr) ? `:\n${tail(r.stderr)}` : ""}`);
    }
    if (!fs.existsSync(path.join(out, "stacks"))) throw refError(ref, `its cdktf app (${JSON.stringify(app)} from ${cdktfFile}) wrote no stacks/ into CDKTF_OUTDIR; the app must synthesize with cdktf's App (which writes to $CDKTF_OUTDIR)`);
    return installed;
  }
}

function join(dir: string, file: string): string {
  return dir ? `${dir}/${file}` : file;
}

function refError(ref: string, message: string): EnvkitError {
  return new EnvkitError([{ path: "", message: `git ref ${JSON.stringify(ref)} ${message}` }]);
}
