import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { ConfigIssue, EnvkitError } from "./errors";
import { loadConfigDir } from "./config/load";
import { ConfigSource, EnvironmentIssues, ResolvedEnvironment, ResolveResult, mergeEnvironmentIssues, resolveAll } from "./config/resolve";
import type { App } from "./facade/cdktf";
import type * as Facade from "./facade/cdktf";
import type * as Stacks from "../stacks/environment-stack";
import { adapterFor, supportedTargets } from "./targets/registry";
import type { EnvironmentStack } from "../stacks/environment-stack";
import { pathKey } from "./config/yaml-source";
import { MODEL_FILE } from "./review/sources";
import { PolicyReport, evaluateEnvironment, evaluateProject, mergeReports } from "./policy/engine";
import type { ReleaseHistory } from "./policy/rule";
import { canonicalJson } from "./facade/canonical-json";
import { releasingTokens } from "./facade/token-release";
import { collectGarbageAfter } from "./facade/collect-garbage";

/** The file every cdktf App writes into its output folder, naming its stacks. */
const MANIFEST_FILE = "manifest.json";

/** Everything known about an application folder after validation. */
export interface ValidatedProject {
  readonly environments: readonly ResolvedEnvironment[];
  /** Errors and warnings — config, target checks and guardrails alike — each located in a file. */
  readonly issues: readonly ConfigIssue[];
  /**
   * Guardrail findings: the model and project passes after validation; every pass, the JSON pass
   * over each stack included, once the stacks were built ({@link checkStacks}).
   */
  readonly policy: PolicyReport;
  /** The issues that are not guardrail findings: configuration and target checks. */
  readonly configIssues: readonly ConfigIssue[];
  /** The project pass alone (rules across environments), which stack checks do not repeat. */
  readonly projectPolicy: PolicyReport;
}

/** Errors that stop informational commands: configuration and target errors, not guardrail findings. */
export function configErrors(project: ValidatedProject): ConfigIssue[] {
  return project.configIssues.filter((i) => i.severity !== "warning");
}

/** Options of validation. */
export interface ValidateOptions {
  /** Only this environment (cross-environment checks are skipped). */
  readonly only?: string;
  /** The application folder, for release history from git. */
  readonly configDir?: string;
  /** Release history for promotion order (e.g. at a pull request's base). @default the record and git history under configDir */
  readonly history?: ReleaseHistory;
}

/**
 * Where a local backend's state lands when it is inside the output folder whatever that folder
 * is: the path is relative to `<out>/stacks/<env>/`, so it must climb out of `stacks/<env>/` and
 * out of `<out>` itself — three leading `..` after normalisation. (With exactly three, the next
 * segment could still name the output folder; {@link stateInsideOutput} checks that at synth time.)
 */
function stateAlwaysInsideOutput(p: string): boolean {
  if (path.isAbsolute(p)) return false;
  const parts = path.posix.normalize(p.replace(/\\/g, "/")).split("/");
  let up = 0;
  while (parts[up] === "..") up++;
  return up < 3;
}

/** The issue for local state inside the output folder, which `envkit synth` replaces whole. */
function stateIssue(env: ResolvedEnvironment, value: string, where: string): ConfigIssue {
  const at = ["backend", "path"];
  return {
    ...env.provenance.locate(at),
    path: pathKey(at),
    message:
      `${JSON.stringify(value)} puts the Terraform state inside the output folder (${where}); the next envkit synth replaces the output folder, deleting the state. ` +
      `Use a path that leaves it, such as "../../../terraform.${env.model.name}.tfstate" (the default: next to the output folder), or a remote backend`,
  };
}

/** Validate-time part of the rule: relative local state paths that land inside any output folder. */
function stateIssues(env: ResolvedEnvironment): ConfigIssue[] {
  const b = env.model.backend;
  if (b.type !== "local" || b.path === undefined || !stateAlwaysInsideOutput(b.path)) return [];
  return [stateIssue(env, b.path, `the path is relative to <out>/stacks/${env.model.name}/`)];
}

/** Synth-time part: the state path resolved against the real output folder. */
export function stateInsideOutput(env: ResolvedEnvironment, outDir: string): ConfigIssue | undefined {
  const b = env.model.backend;
  if (b.type !== "local" || b.path === undefined) return undefined;
  const out = physicalPath(outDir);
  // Joined as text, not resolved: a `..` after a link climbs out of where the link leads (as Terraform's does).
  const state = physicalPath(path.isAbsolute(b.path) ? b.path : `${outDir}/stacks/${env.model.name}/${b.path}`);
  return within(out, state) ? stateIssue(env, b.path, `it resolves to ${path.join(outDir, path.relative(out, state))}`) : undefined;
}

/**
 * The state-path issues synthesis adds for one environment: the validate-time one when it applies
 * (unless validation already reported it), otherwise the check against the real output folder —
 * one issue per bad `backend.path`, never both texts for one value.
 */
export function stateIssuesAtSynth(env: ResolvedEnvironment, outDir: string, reported: readonly ConfigIssue[]): ConfigIssue[] {
  const atValidate = stateIssues(env);
  if (atValidate.length > 0) {
    return atValidate.filter((v) => !reported.some((r) => r.path === v.path && r.file === v.file && r.line === v.line && r.message.endsWith(v.message)));
  }
  const atSynth = stateInsideOutput(env, outDir);
  return atSynth ? [atSynth] : [];
}

/**
 * Whether `p` is `dir` or inside it, on the file system: symbolic links followed as far as the
 * paths exist, so a state path or an application folder reached through a link to the output
 * folder (or an output folder that is a link) is still seen inside it.
 */
export function isInside(dir: string, p: string): boolean {
  return within(physicalPath(dir), physicalPath(p));
}

/** Whether absolute `p` is `dir` or lies under it, by the names alone. */
function within(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Where `p` leads on the file system, as the kernel walks it (and so `rename` and Terraform):
 * component by component, each symbolic link followed before a later `..` climbs out of where it
 * led — `L/../x` is beside L's target, not beside L, which `path.resolve` would say. A component
 * that is not there yet is taken as the folder it will be; a link that leads nowhere, as written.
 */
export function physicalPath(p: string): string {
  let cur = path.isAbsolute(p) ? path.parse(path.resolve(p)).root : realOrSelf(process.cwd());
  // Only the platform's separator: on Linux a backslash is a character of a file name
  // (Terraform writes `..\\x` as one file in the stack's folder).
  for (const part of p.split(path.sep === "\\" ? /[\\/]+/ : /\/+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, part);
    cur = lstatOrNone(next)?.isSymbolicLink() ? realOrSelf(next) : next;
  }
  return cur;
}

/** lstat, or undefined where there is nothing to stat (missing, or a file on the way: ENOTDIR). */
function lstatOrNone(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** The kernel's own resolution of an existing path (libc realpath: links before `..`), else `p`. */
function realOrSelf(p: string): string {
  try {
    return fs.realpathSync.native(p);
  } catch {
    return p;
  }
}

/**
 * Runs the target checks of each resolved environment, then the guardrails over the model, and
 * locates every issue in the files.
 */
export function withTargetChecks(result: ResolveResult, opts: ValidateOptions = {}): ValidatedProject {
  const issues = [...result.issues];
  const environments: ResolvedEnvironment[] = [];
  // A target check that fires on an app.yaml value fires once per environment: report it once.
  const perEnvironment: EnvironmentIssues[] = [];
  for (const env of result.environments) {
    const adapter = adapterFor(env.model.target);
    if (!adapter) {
      issues.push({ ...env.provenance.locate(["target"]), path: "target", message: `target "${env.model.target}" is not implemented in this version; use one of ${supportedTargets().map((t) => `"${t}"`).join(", ")}` });
      continue;
    }
    const found = adapter.validate(env.model);
    const located = found.map((t) => ({ ...env.provenance.locate(t.path), path: pathKey(t.path), message: t.message, severity: t.severity }));
    perEnvironment.push({ env: env.model.name, file: env.source.file, checked: true, issues: [...located, ...stateIssues(env)] });
    // Only environments their target accepts go on to guardrails and lowering.
    if (!found.some((t) => t.severity !== "warning")) environments.push(env);
  }
  issues.push(...mergeEnvironmentIssues(perEnvironment));
  const projectPolicy = evaluateProject(environments, { configDir: opts.configDir, crossEnvironment: opts.only === undefined, history: opts.history });
  const policy = mergeReports(...environments.map((e) => evaluateEnvironment(e)), projectPolicy);
  return { environments, issues: [...issues, ...policy.issues], policy, configIssues: issues, projectPolicy };
}

/**
 * Validates an application folder: config, layering, semantics, target checks and the guardrails
 * over the configuration. {@link checkDir} adds the JSON pass over the stacks, as synthesis does.
 */
export function validateDir(dir: string, only?: string, opts: Pick<ValidateOptions, "history"> = {}): ValidatedProject {
  return withTargetChecks(loadConfigDir(dir, only), { only, configDir: dir, history: opts.history });
}

/** Validates an in-memory source (objects from TypeScript, or parsed files). */
export function validateSource(source: ConfigSource, only?: string): ValidatedProject {
  return withTargetChecks(resolveAll(source, only), { only });
}

/** A validated project whose stacks were built and judged by every guardrail. */
export interface CheckedProject extends ValidatedProject {
  /** One stack per environment of `environments`, in that order. */
  readonly stacks: readonly EnvironmentStack[];
}

/** What findings in a stack's Terraform document name as its folder: the in-memory document, never an output folder. */
const SYNTHESIZED = "<synthesized>";

/** Options of {@link checkStacks}. */
export interface CheckOptions {
  /**
   * Folder that findings in a synthesized stack name. @default "<synthesized>": the document is
   * judged in memory, before anything is written, so a file in the output folder may be stale
   */
  readonly displayDir?: string;
}

/**
 * A construct root for stacks that are judged but never written: an App creates its output
 * folder as soon as it is constructed, this does not.
 */
export function memoryScope(): Construct {
  return new Construct(undefined as unknown as Construct, "");
}

/**
 * Builds one stack per environment under `scope` and runs each stack's guardrails (model and
 * JSON passes over its own Terraform document) — the evaluation `app.synth()` runs as a construct
 * validation, done once here: when `scope` is an App, its `synth()` reuses the verdict and the
 * document instead of resolving the stacks again. The result lists every issue once:
 * configuration, target checks, the project pass and each environment's passes.
 */
export function checkStacks(project: ValidatedProject, scope: Construct, opts: CheckOptions = {}): CheckedProject {
  return combineVerdicts(
    project,
    project.environments.map((env) => checkEnvironment(env, scope, opts)),
  );
}

/**
 * {@link checkStacks} for callers that want the verdicts but not the stacks (`envkit validate`,
 * `envkit policy`): each environment is built in a scope of its own, judged and let go (its
 * tokens released, and a full collection before the next when it was large), as synthesis does,
 * so memory holds one environment's constructs and document rather than all of them. The result
 * is checkStacks' with `stacks` empty. A 1,000-service × 2-environment validate: peak RSS 238 →
 * 188 MB, for 65–95 ms more (the full collection between the environments, ~40 ms, and growing
 * the heap again; median paired difference, 12–16 rounds, 2026-12-02). Below 400 services no
 * collection runs (see collect-garbage.ts).
 */
export function checkEachStack(project: ValidatedProject, opts: CheckOptions = {}): CheckedProject {
  const verdicts: EnvironmentVerdict[] = [];
  for (const [i, env] of project.environments.entries()) {
    if (i > 0) collectGarbageAfter(project.environments[i - 1].model.services.length);
    verdicts.push(
      releasingTokens((): EnvironmentVerdict => {
        const verdict = checkEnvironment(env, memoryScope(), opts);
        return { env: verdict.env, report: verdict.report, refused: verdict.refused };
      }),
    );
  }
  return combineVerdicts(project, verdicts);
}

/** One environment judged by {@link checkEnvironment}: its guardrail report and stack, unless lowering refused it. */
interface EnvironmentVerdict {
  readonly env: string;
  readonly report?: PolicyReport;
  /** What lowering refused, located in the files. */
  readonly refused: readonly ConfigIssue[];
  readonly stack?: EnvironmentStack;
}

/**
 * Builds one environment's stack under `scope` and runs its guardrails (see {@link checkStacks});
 * what lowering refuses is returned as located issues instead of a stack.
 */
function checkEnvironment(env: ResolvedEnvironment, scope: Construct, opts: CheckOptions = {}): EnvironmentVerdict {
  try {
    // The pipeline prints warnings itself, in reading order with everything else.
    const [stack] = addEnvironmentStacks(scope, [env], { displayDir: opts.displayDir ?? SYNTHESIZED, onWarning: () => undefined });
    return { env: env.model.name, report: stack.checkForSynthesis(), refused: [], stack };
  } catch (e) {
    // Lowering refuses what validation cannot see (e.g. a backend value); locate it like any issue.
    if (!(e instanceof EnvkitError)) throw e;
    return { env: env.model.name, refused: e.issues.map((i) => (i.file ? i : { ...env.provenance.locate(i.path.split(".")), ...i })) };
  }
}

/** Whether an environment's verdict has an error (a refusal, or a mandatory finding). */
const verdictFails = (v: EnvironmentVerdict): boolean => v.report === undefined || hasErrors({ issues: [...v.refused, ...v.report.issues] });

/** The project with every environment's verdict, in the environments' order, as {@link checkStacks} returns it. */
function combineVerdicts(project: ValidatedProject, verdicts: readonly EnvironmentVerdict[]): CheckedProject {
  const policy = mergeReports(...verdicts.flatMap((v) => (v.report ? [v.report] : [])), project.projectPolicy);
  const configIssues = [...project.configIssues, ...verdicts.flatMap((v) => v.refused)];
  const judged = verdicts.filter((v) => v.report !== undefined);
  return {
    ...project,
    environments: judged.map((v) => project.environments.find((e) => e.model.name === v.env)!),
    stacks: judged.flatMap((v) => (v.stack ? [v.stack] : [])),
    policy,
    configIssues,
    issues: [...configIssues, ...policy.issues],
  };
}

/**
 * Validates a folder exactly as synthesis judges it — configuration, target checks, every
 * guardrail including the JSON pass over each stack — building the stacks in memory: nothing is
 * written.
 */
export function checkDir(dir: string, only?: string, opts: Pick<ValidateOptions, "history"> = {}): CheckedProject {
  const project = validateDir(dir, only, opts);
  preloadSynthesis(project);
  return checkStacks(project, memoryScope());
}

/** Whether a project has an error (a mandatory finding included). */
export function hasErrors(project: { readonly issues: readonly ConfigIssue[] }): boolean {
  return project.issues.some((i) => i.severity !== "warning");
}

/**
 * Loads cdktf, the stacks and the lowering code of the targets `project`'s environments use (of
 * every target without a project) now, once the project is validated: commands that synthesize call it,
 * so a Kubernetes-only app never loads the Docker provider classes (~190 ms of a 5-service synth).
 * Informational commands (explain, compare, graph) never need them; validate does, since it
 * judges the stacks it builds in memory. A target left out still loads when first lowered.
 */
export function preloadSynthesis(project?: { readonly environments: readonly ResolvedEnvironment[] }): void {
  const targets = project ? project.environments.map((e) => e.model.target) : supportedTargets();
  for (const target of new Set(targets)) adapterFor(target)?.preload?.();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("../stacks/environment-stack");
}

/** Options of {@link addEnvironmentStacks}. */
export interface AddStacksOptions {
  /** Folder that findings in a synthesized stack name. @default "<synthesized>" (see {@link CheckOptions}) */
  readonly displayDir?: string;
  /** Receives each advisory guardrail finding once. @default printed to stderr */
  readonly onWarning?: (line: string) => void;
}

/**
 * Adds one {@link EnvironmentStack} per environment to `scope`. Each stack judges itself when
 * synthesized: a mandatory guardrail finding fails `app.synth()`.
 */
export function addEnvironmentStacks(scope: Construct, environments: readonly ResolvedEnvironment[], opts: AddStacksOptions = {}): EnvironmentStack[] {
  // cdktf and the provider classes load only when stacks are built, not for explain/compare/graph.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EnvironmentStack } = require("../stacks/environment-stack") as typeof Stacks;
  return environments.map((e) => new EnvironmentStack(scope, e.model.name, { environment: e.model, provenance: e.provenance, displayDir: opts.displayDir ?? SYNTHESIZED, onWarning: opts.onWarning }));
}

/** Options of {@link newApp}. */
export interface NewAppOptions {
  /**
   * Skip every construct validation, the guardrails of each EnvironmentStack included (cdktf's
   * own switch). Only for tests of lowering, which synthesize environments guardrails refuse.
   * @default false
   */
  readonly skipValidation?: boolean;
}

/** A cdktf App configured for reproducible output (no stack traces in metadata). */
export function newApp(outdir?: string, opts: NewAppOptions = {}): App {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { App } = require("./facade/cdktf") as typeof Facade;
  return new App({ outdir, stackTraces: false, skipValidation: opts.skipValidation ?? false });
}

/**
 * Synthesizes every environment into a fresh folder `dir` (stacks and their model sidecars). The
 * stacks judge themselves: a mandatory guardrail finding throws from `app.synth()`, and stacks
 * cdktf synthesized before the failing one stay in `dir`. {@link synthesizeProject} judges first.
 */
export function synthesizeInto(dir: string, environments: readonly ResolvedEnvironment[]): void {
  const app = newApp(dir);
  addEnvironmentStacks(app, environments);
  app.synth();
  writeModelSidecars(dir, environments);
}

/** Writes `stacks/<env>/envkit-model.json`: the service graph that review tools render. */
export function writeModelSidecars(outDir: string, environments: readonly ResolvedEnvironment[]): void {
  for (const { model: m } of environments) {
    const sidecar = {
      app: m.app,
      env: m.name,
      target: m.target,
      services: m.services.map((s) => ({ name: s.name, public: s.public, kind: s.kind, ports: s.ports.map((p) => p.port) })),
      connections: m.connections.map((c) => ({ from: c.from, to: c.to, port: c.port, protocol: c.protocol })),
    };
    fs.writeFileSync(path.join(outDir, "stacks", m.name, MODEL_FILE), `${JSON.stringify(sidecar, null, 2)}\n`);
  }
}

/**
 * Why `outDir` must not be replaced, or undefined when it may: it must be new, empty, or a
 * previous synthesized output (it has `manifest.json` and `stacks/`), and must not contain the
 * application folder or the working directory — the swap replaces the whole folder.
 */
export function unsafeOutDir(outDir: string, configDir: string): string | undefined {
  const target = outputTarget(outDir);
  if ("problem" in target) return target.problem;
  const out = target.dir;
  const inside = (child: string): boolean => isInside(out, child);
  if (inside(configDir)) return `it contains the application folder ${configDir}; choose a separate output folder such as cdktf.out`;
  if (inside(process.cwd())) return "it contains the current folder; choose a separate output folder such as cdktf.out";
  if (!fs.existsSync(out)) return undefined;
  if (!fs.statSync(out).isDirectory()) return "it is a file; choose a folder";
  const entries = fs.readdirSync(out);
  if (isOutputListing(entries)) return undefined;
  return "it is not empty and is not a synthesized output (no manifest.json and stacks/); envkit replaces the whole folder, so choose a new or empty one";
}

/** Whether a folder holding `entries` may be replaced by a synth: empty, or a synthesized output (manifest.json and stacks/). */
const isOutputListing = (entries: readonly string[]): boolean => entries.length === 0 || (entries.includes("manifest.json") && entries.includes("stacks"));

/**
 * The folder a synth into `outDir` replaces: `outDir` itself, or, when it is a symbolic link, the
 * folder it leads to — the link stays a link, and the output is swapped in where it points (next
 * to that folder, so the swap is a rename within one file system). A link to a path that does not
 * exist yet leads to a new folder there, as a new `--out` would be (and lets the previous output
 * of a synth killed mid-swap be put back there); a loop, or a path whose folder does not exist,
 * is a problem, said in words.
 */
export function outputTarget(outDir: string): { readonly dir: string } | { readonly problem: string } {
  // The folder the kernel would rename: `L/../x` is beside L's target (a lexical resolve would
  // check one folder and replace another). A last component that is a link is looked at below.
  const last = path.basename(outDir);
  const resolved = last === "." || last === ".." || last === "" ? physicalPath(outDir) : path.join(physicalPath(path.dirname(outDir)), last);
  // Not a link (or an unreadable parent, which writing reports with its path): the folder itself.
  if (!lstatOrNone(resolved)?.isSymbolicLink()) return { dir: resolved };
  try {
    return { dir: fs.realpathSync(resolved) };
  } catch {
    // Followed by hand below: a loop, or a chain ending at a path that is not there.
  }
  let at = resolved;
  for (let hop = 0; hop < 40; hop++) {
    let next: string;
    try {
      next = path.resolve(path.dirname(at), fs.readlinkSync(at));
    } catch {
      return { problem: `it is a symbolic link that cannot be followed at ${at}; point it at a folder, or choose another --out` };
    }
    const stat = lstatOrNone(next);
    if (!stat) {
      const parent = path.dirname(next);
      let real: string | undefined;
      try {
        real = fs.statSync(parent).isDirectory() ? fs.realpathSync(parent) : undefined;
      } catch {
        // missing, or a file on the way
      }
      if (real) return { dir: path.join(real, path.basename(next)) };
      return { problem: `it is a symbolic link leading to ${next}, whose folder ${parent} is not a folder that exists; point the link at a folder, or choose another --out` };
    }
    // An existing end the system would not resolve (a folder on the way it may not search).
    if (!stat.isSymbolicLink()) return { problem: `it is a symbolic link to ${next}, which cannot be reached; point it at a folder you can write to, or choose another --out` };
    at = next;
  }
  return { problem: "it is a symbolic link that leads round in a loop; point it at a folder, or choose another --out" };
}

/** Where Terraform's local backend keeps non-default workspaces, in the working folder. */
const WORKSPACES_DIR = "terraform.tfstate.d";

/**
 * What Terraform and the cdktf CLI keep in a stack's folder that a synth must not discard:
 * providers and backend settings, the lock file, and the state of non-default workspaces of a
 * local backend (`terraform workspace new …` keeps it in `terraform.tfstate.d/<workspace>/` of the
 * working folder, wherever backend.path puts the default workspace's).
 */
export const PRESERVED_STACK_FILES = [".terraform", ".terraform.lock.hcl", WORKSPACES_DIR] as const;

const TMP_PREFIX = ".envkit-tmp-";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/**
 * Removes what killed synths left next to `outDir`: temporary folders
 * (`.envkit-tmp-<base>-<pid>-XXXXXX`) and previous outputs set aside during a swap (`…-previous`)
 * whose process is gone. A folder of a live process — a concurrent synth — is left alone. A
 * previous output is put back when the synth died before the new output took its place.
 */
export function removeStaleTemporaries(outDir: string): string[] {
  const parent = path.dirname(path.resolve(outDir));
  const pattern = new RegExp(`^${escapeRegExp(TMP_PREFIX + path.basename(outDir))}-(\\d+)-[A-Za-z0-9]{6}(-previous)?$`);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  // Set-aside outputs first: one may have to become the output again.
  for (const name of names.sort((a, b) => Number(b.endsWith("-previous")) - Number(a.endsWith("-previous")))) {
    const m = pattern.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const p = path.join(parent, name);
    if (m[2] && !fs.existsSync(outDir)) fs.renameSync(p, outDir);
    else {
      // A synth killed mid-swap had already moved the output's Terraform files into its new
      // output: they go back where they came from before that folder goes.
      // What could not go back (the same workspace on both sides) keeps the folder where it is.
      if (!m[2] && fs.existsSync(outDir) && !rescuePreserved(p, outDir)) continue;
      fs.rmSync(p, { recursive: true, force: true });
    }
    removed.push(p);
  }
  return removed;
}

/**
 * Moves `from` to `to`; when `to` exists (a workspace made since), folders are merged entry by
 * entry. False when something could not go back (the same name on both sides): it stays in `from`.
 */
function moveBack(from: string, to: string): boolean {
  const there = lstatOrNone(from);
  if (!there) return true;
  const here = lstatOrNone(to);
  if (!here) {
    fs.renameSync(from, to);
    return true;
  }
  if (!there.isDirectory() || !here.isDirectory()) return false;
  let all = true;
  for (const entry of fs.readdirSync(from)) if (!moveBack(path.join(from, entry), path.join(to, entry))) all = false;
  return all;
}

/**
 * Moves back into `outDir` what {@link swapIn} had moved out of it into the new output `from`
 * ({@link PRESERVED_STACK_FILES} of each stack) before its synth was killed, for each stack
 * `outDir` has; folders merged with what appeared there since (a new workspace). False when
 * something could not go back, and the killed synth's folder is then kept.
 */
function rescuePreserved(from: string, outDir: string): boolean {
  let envs: string[];
  try {
    envs = fs.readdirSync(path.join(from, "stacks"));
  } catch {
    return true;
  }
  let kept = true;
  for (const env of envs) {
    const home = path.join(outDir, "stacks", env);
    if (!fs.existsSync(home)) continue;
    for (const name of PRESERVED_STACK_FILES) {
      const there = path.join(from, "stacks", env, name);
      if (!moveBack(there, path.join(home, name))) kept = false;
    }
  }
  return kept;
}

/**
 * Terraform state files in a previous output, which a synth would delete with the folder: in the
 * folder itself and in each stack's, and the workspaces' of a stack the synth does not write again
 * (those of the stacks it writes are carried over, see {@link PRESERVED_STACK_FILES}).
 */
function stateFilesIn(outDir: string, written: ReadonlySet<string>, workspacesOfOthers = true): string[] {
  const found: string[] = [];
  const look = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isFile() && /\.tfstate(\.backup)?$/.test(e.name)) found.push(path.join(dir, e.name));
  };
  look(outDir);
  look(path.join(outDir, "stacks"));
  let stacks: string[] = [];
  try {
    stacks = fs.readdirSync(path.join(outDir, "stacks"));
  } catch {
    // no previous output
  }
  for (const env of stacks.sort()) {
    look(path.join(outDir, "stacks", env));
    if (written.has(env) || !workspacesOfOthers) continue;
    let workspaces: string[] = [];
    try {
      workspaces = fs.readdirSync(path.join(outDir, "stacks", env, WORKSPACES_DIR));
    } catch {
      // no workspaces
    }
    for (const w of workspaces.sort()) look(path.join(outDir, "stacks", env, WORKSPACES_DIR, w));
  }
  return found;
}

/**
 * A new folder `<prefix>XXXXXX` (six letters or digits, as mkdtemp makes) with the mode any new
 * folder gets (0777 less the umask): it becomes the output folder, which mkdtemp's 0700 would make
 * unreadable to the group and others — a CI job or Terraform run as another user.
 */
function makeTemporaryFolder(prefix: string): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (let attempt = 0; ; attempt++) {
    const name = prefix + Array.from(crypto.randomBytes(6), (b) => letters[b % letters.length]).join("");
    try {
      fs.mkdirSync(name);
      return name;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 99) throw e;
    }
  }
}

/** An output-folder failure as an issue: which path, what failed, the fix. */
function writeIssue(e: unknown, outDir: string, doing: string): ConfigIssue {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== "string") throw e;
  const where = err.path ?? outDir;
  const fix =
    err.code === "EACCES" || err.code === "EPERM" || err.code === "EROFS"
      ? `make ${path.dirname(path.resolve(outDir))} writable, or choose another --out`
      : err.code === "ENOSPC" || err.code === "EDQUOT"
        ? "free disk space, or choose another --out"
        : err.code === "ENOTDIR" || err.code === "EEXIST"
          ? `a file is in the way of a folder on ${path.dirname(path.resolve(outDir))}; remove it, or choose another --out`
          : "check the folder, or choose another --out";
  return { file: where, path: "--out", message: `cannot write the output (${doing}): ${err.code}${err.syscall ? ` in ${err.syscall}` : ""}; ${fix}` };
}

/** The result of {@link synthesizeProject}. */
export interface SynthesisResult {
  /** Every issue, each once (the project's, the output folder's, every guardrail's). */
  readonly issues: readonly ConfigIssue[];
  /** Stacks written; empty when nothing was (the previous output is then untouched). */
  readonly stacks: readonly string[];
  /** The guardrail report of every pass. */
  readonly policy: PolicyReport;
}

/**
 * Synthesizes a validated project into `outDir` (cdktf.out layout: `stacks/<env>/cdk.tf.json`).
 * Judges the stacks first — the same checks as {@link checkDir}; any error and nothing is written.
 * Otherwise writes into a temporary sibling folder, carries `.terraform/` and
 * `.terraform.lock.hcl` of each stack over from the previous output (so `terraform init` need not
 * run again) and swaps the folder in: a failed synth leaves the previous output byte-for-byte
 * untouched. Folders that killed synths left behind are removed first. Each environment is built,
 * judged and written in turn and then let go; before the next one, a full garbage collection runs
 * when the last environment had at least 400 services and more than 64 MiB of the heap is in use
 * (`collectGarbageAfter`, lib/facade/collect-garbage.ts).
 */
export function synthesizeProject(project: ValidatedProject, out: string): SynthesisResult {
  const failed = (issue: ConfigIssue): SynthesisResult => ({ issues: [...project.issues, issue], stacks: [], policy: project.policy });
  const target = outputTarget(out);
  if ("problem" in target) return failed({ file: out, path: "--out", message: `cannot write the output: ${target.problem}` });
  // A symbolic link stays one: the folder it leads to is replaced.
  const outDir = target.dir === path.resolve(out) ? out : target.dir;
  const lock = lockOutput(outDir);
  if (typeof lock === "object") return failed(lock);
  try {
    return synthesizeLocked(project, outDir, failed);
  } finally {
    unlockOutput(lock);
  }
}

/**
 * Takes the output folder's lock, `.envkit-tmp-<base>.lock` beside it (this process's pid):
 * two synths swapping one folder at once lose what each carries over (a workspace's state among
 * it). Returns the lock file, or the issue when another live synth holds it; a dead one's lock is
 * taken over.
 */
function lockOutput(outDir: string): string | ConfigIssue {
  const file = path.join(path.dirname(path.resolve(outDir)), `${TMP_PREFIX}${path.basename(outDir)}.lock`);
  const mine = `${file}.${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  const heldBy = (pid: number): ConfigIssue => ({ file: outDir, path: "--out", message: `another envkit synth (pid ${pid}) is writing this output; wait for it to finish and synth again (if no synth runs, remove ${file})` });
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole first, then linked into place: the lock exists only with its pid in it.
    fs.writeFileSync(mine, `${process.pid}\n`, { flag: "wx" });
  } catch {
    return ""; // no folder envkit can write in: reported when the temporary folder is made there
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(mine, file);
        return file;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") return ""; // no hard links here: unlocked, as before
      }
      const holder = pidIn(file);
      if (holder !== undefined && holder !== process.pid && alive(holder)) return heldBy(holder);
      // A dead holder's lock: moved aside under a name of our own (one taker wins the rename), then
      // looked at again — a live synth's lock taken by mistake is put back.
      const aside = `${mine}-stale`;
      try {
        fs.renameSync(file, aside);
      } catch {
        continue;
      }
      const taken = pidIn(aside);
      if (taken !== undefined && taken !== process.pid && alive(taken)) {
        try {
          fs.linkSync(aside, file);
        } catch {
          // it took another lock meanwhile
        }
        fs.rmSync(aside, { force: true });
        return heldBy(taken);
      }
      fs.rmSync(aside, { force: true });
    }
    return { file: outDir, path: "--out", message: `other envkit synths keep taking this output's lock (${file}); let them finish, then synth again` };
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** The pid a lock file holds, or undefined. */
function pidIn(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function unlockOutput(file: string): void {
  if (!file) return;
  try {
    if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.rmSync(file, { force: true });
  } catch {
    // gone already
  }
}

function synthesizeLocked(project: ValidatedProject, outDir: string, failed: (issue: ConfigIssue) => SynthesisResult): SynthesisResult {
  try {
    removeStaleTemporaries(outDir);
  } catch (e) {
    return failed(writeIssue(e, outDir, "removing the temporary folder of a killed synth"));
  }
  const early = project.environments.flatMap((e) => stateIssuesAtSynth(e, outDir, project.issues));
  // With configuration errors nothing is written, and an environment they left out is no removed
  // one: its workspaces' state is not judged (it would be named as if the synth dropped it).
  for (const f of stateFilesIn(outDir, new Set(project.environments.map((e) => e.model.name)), !hasErrors(project))) {
    early.push({ file: f, path: "", message: `a Terraform state file is inside the output folder, which envkit synth replaces whole; move it out of ${outDir} (next to it, for example), point backend.path at the new place, and synth again` });
  }
  if (hasErrors(project) || early.length > 0) {
    // Report everything a successful synth would have judged, without writing anything.
    const checked = checkEachStack(project);
    return { issues: [...checked.issues, ...early], stacks: [], policy: checked.policy };
  }
  const parent = path.dirname(path.resolve(outDir));
  let tmp: string;
  try {
    fs.mkdirSync(parent, { recursive: true });
    tmp = makeTemporaryFolder(path.join(parent, `${TMP_PREFIX}${path.basename(outDir)}-${process.pid}-`));
  } catch (e) {
    return failed(writeIssue(e, outDir, "creating a temporary folder next to it"));
  }
  try {
    // One App per environment, written as soon as it is judged clean and then let go (its tokens
    // released too, or cdktf's token map keeps it reachable): the live heap holds one
    // environment's constructs and document, not every environment's. 4 × 500 services: peak
    // 357 → ~330 MB with one App each, → 258–271 MB with their tokens released (2026-12-02).
    // Each App writes its own manifest.json; the one written at the end holds every stack, as a
    // single App would have written it.
    // A file-system error while writing is the output folder's, reported as such; anything else is a bug.
    const writeFailed = (e: unknown): SynthesisResult => {
      fs.rmSync(tmp, { recursive: true, force: true });
      if ((e as NodeJS.ErrnoException).code) return failed(writeIssue(e, outDir, "writing the stacks"));
      throw e;
    };
    const verdicts: EnvironmentVerdict[] = [];
    const stacks: Record<string, unknown> = {};
    let manifest: Record<string, unknown> | undefined;
    let clean = true;
    for (const [i, env] of project.environments.entries()) {
      // The last environment's garbage goes with the process; an earlier one's is collected before
      // the next is built when it is large, or the heap holds both (see collect-garbage.ts).
      if (i > 0) collectGarbageAfter(project.environments[i - 1].model.services.length);
      // The stack is not kept: once written, nothing here needs its constructs again, so its
      // tokens leave cdktf's process-wide token map, which would otherwise keep every
      // environment's constructs reachable to the end (see token-release.ts).
      const failure = releasingTokens((): SynthesisResult | undefined => {
        const app = clean ? newApp(tmp) : undefined;
        const { report, refused } = checkEnvironment(env, app ?? memoryScope());
        const verdict: EnvironmentVerdict = { env: env.model.name, report, refused };
        verdicts.push(verdict);
        clean &&= !verdictFails(verdict);
        if (!app || !clean) return undefined;
        try {
          app.synth();
          // What the App just wrote to manifest.json, from the App itself.
          manifest = app.manifest.buildManifest() as unknown as Record<string, unknown>;
          Object.assign(stacks, manifest.stacks);
        } catch (e) {
          return writeFailed(e);
        }
        return undefined;
      });
      if (failure) return failure;
    }
    const checked = combineVerdicts(project, verdicts);
    if (hasErrors(checked)) {
      fs.rmSync(tmp, { recursive: true, force: true });
      return { issues: checked.issues, stacks: [], policy: checked.policy };
    }
    // No environment at all: the empty output one App writes.
    if (project.environments.length === 0) newApp(tmp).synth();
    try {
      // cdktf writes the manifest with json-stable-stringify, which canonicalJson reproduces byte for byte.
      if (project.environments.length > 1) fs.writeFileSync(path.join(tmp, MANIFEST_FILE), canonicalJson({ ...manifest, stacks }));
      writeModelSidecars(tmp, project.environments);
    } catch (e) {
      return writeFailed(e);
    }
    const swapped = swapIn(tmp, outDir, project.environments.map((e) => e.model.name));
    if (swapped) return failed(swapped);
    return { issues: checked.issues, stacks: project.environments.map((e) => e.model.name), policy: checked.policy };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Replaces `outDir` with `tmp`, moving the preserved Terraform files of each stack across first.
 * Every step is a rename within one folder; on failure each is undone and the issue returned.
 */
function swapIn(tmp: string, outDir: string, envs: readonly string[]): ConfigIssue | undefined {
  const moved: [string, string][] = [];
  const old = `${tmp}-previous`;
  let hadOld = false;
  try {
    hadOld = fs.existsSync(outDir);
    if (hadOld) {
      // Judged before writing; looked at again now, for what appeared meanwhile (a folder of someone's own).
      const entries = fs.readdirSync(outDir);
      if (!isOutputListing(entries)) {
        fs.rmSync(tmp, { recursive: true, force: true });
        return { file: outDir, path: "--out", message: "cannot write the output: while envkit wrote, it became a folder that is not a synthesized output (no manifest.json and stacks/); nothing was replaced: move that folder away, or choose another --out" };
      }
      for (const env of envs) {
        for (const name of PRESERVED_STACK_FILES) {
          const from = path.join(outDir, "stacks", env, name);
          const to = path.join(tmp, "stacks", env, name);
          // lstat: a symlink (even a dangling one) is moved as the link it is.
          if (!fs.lstatSync(from, { throwIfNoEntry: false })) continue;
          fs.renameSync(from, to);
          moved.push([from, to]);
        }
      }
      fs.renameSync(outDir, old);
    }
    try {
      fs.renameSync(tmp, outDir);
    } catch (e) {
      if (hadOld) {
        try {
          fs.renameSync(old, outDir);
        } catch {
          // Left where it is, and said so; the next synth puts it back (its pid is then dead).
          for (const [from, to] of moved.reverse()) fs.renameSync(to, path.join(old, path.relative(outDir, from)));
          fs.rmSync(tmp, { recursive: true, force: true });
          const issue = writeIssue(e, outDir, "replacing the previous output");
          return { ...issue, message: `${issue.message}. The previous output could not be put back either: it is in ${old}; rename it to ${outDir}` };
        }
      }
      throw e;
    }
  } catch (e) {
    for (const [from, to] of moved.reverse()) fs.renameSync(to, from);
    fs.rmSync(tmp, { recursive: true, force: true });
    return writeIssue(e, outDir, "replacing the previous output");
  }
  if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  return undefined;
}

/**
 * Synthesizes resolved environments into `outDir` with every guardrail; see
 * {@link synthesizeProject}, which also reports configuration and project issues.
 */
export function synthesizeTo(environments: readonly ResolvedEnvironment[], outDir: string): SynthesisResult {
  const none: PolicyReport = { findings: [], suppressed: [], issues: [] };
  return synthesizeProject({ environments, issues: [], policy: none, configIssues: [], projectPolicy: none }, outDir);
}
