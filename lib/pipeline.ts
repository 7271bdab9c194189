import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { ConfigIssue } from "./errors";
import { loadConfigDir } from "./config/load";
import { ResolvedEnvironment, ResolveResult, resolveAll, ConfigSource } from "./config/resolve";
import type { App } from "./facade/cdktf";
import type * as Facade from "./facade/cdktf";
import type * as Stacks from "../stacks/environment-stack";
import { adapterFor, supportedTargets } from "./targets/registry";
import type { EnvironmentStack } from "../stacks/environment-stack";
import { pathKey } from "./config/yaml-source";
import { MODEL_FILE } from "./review/sources";
import { PolicyReport, evaluatePolicy } from "./policy/engine";

/** Everything known about an application folder after validation. */
export interface ValidatedProject {
  readonly environments: readonly ResolvedEnvironment[];
  /** Errors and warnings — config, target checks and guardrails alike — each located in a file. */
  readonly issues: readonly ConfigIssue[];
  /** Guardrail findings of the model and project passes (the JSON pass runs after synth). */
  readonly policy: PolicyReport;
}

/** Errors that stop informational commands: configuration and target errors, not guardrail findings. */
export function configErrors(project: ValidatedProject): ConfigIssue[] {
  return project.issues.filter((i) => i.severity !== "warning" && !project.policy.issues.includes(i));
}

/** Options of validation. */
export interface ValidateOptions {
  /** Only this environment (cross-environment checks are skipped). */
  readonly only?: string;
  /** The application folder, for release history from git. */
  readonly configDir?: string;
}

/**
 * Runs the target checks of each resolved environment, then the guardrails over the model, and
 * locates every issue in the files.
 */
export function withTargetChecks(result: ResolveResult, opts: ValidateOptions = {}): ValidatedProject {
  const issues = [...result.issues];
  const environments: ResolvedEnvironment[] = [];
  for (const env of result.environments) {
    const adapter = adapterFor(env.model.target);
    if (!adapter) {
      issues.push({ ...env.provenance.locate(["target"]), path: "target", message: `target "${env.model.target}" is not implemented in this version; use one of ${supportedTargets().map((t) => `"${t}"`).join(", ")}` });
      continue;
    }
    const found = adapter.validate(env.model);
    for (const t of found) issues.push({ ...env.provenance.locate(t.path), path: pathKey(t.path), message: t.message, severity: t.severity });
    // Only environments their target accepts go on to guardrails and lowering.
    if (!found.some((t) => t.severity !== "warning")) environments.push(env);
  }
  const policy = evaluatePolicy(environments, { configDir: opts.configDir, crossEnvironment: opts.only === undefined });
  return { environments, issues: [...issues, ...policy.issues], policy };
}

/** Validates an application folder: config, layering, semantics, target checks and guardrails. */
export function validateDir(dir: string, only?: string): ValidatedProject {
  return withTargetChecks(loadConfigDir(dir, only), { only, configDir: dir });
}

/** Validates an in-memory source (objects from TypeScript, or parsed files). */
export function validateSource(source: ConfigSource, only?: string): ValidatedProject {
  return withTargetChecks(resolveAll(source, only), { only });
}

/**
 * Loads cdktf, the stacks and every target's lowering code now. Commands that synthesize call it
 * first: loading these modules after a large configuration was parsed measured ~15% slower
 * synthesis at 1,000 services (more garbage collection), while commands that only validate never
 * need them.
 */
export function preloadSynthesis(): void {
  for (const target of supportedTargets()) adapterFor(target)!.preload?.();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("../stacks/environment-stack");
}

/** Adds one {@link EnvironmentStack} per environment to `scope`. */
export function addEnvironmentStacks(scope: Construct, environments: readonly ResolvedEnvironment[]): EnvironmentStack[] {
  // cdktf and the provider classes load on first synthesis only, so validation stays fast.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EnvironmentStack } = require("../stacks/environment-stack") as typeof Stacks;
  return environments.map((e) => new EnvironmentStack(scope, e.model.name, { environment: e.model }));
}

/** A cdktf App configured for reproducible output (no stack traces in metadata). */
export function newApp(outdir?: string): App {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { App } = require("./facade/cdktf") as typeof Facade;
  return new App({ outdir, stackTraces: false, skipValidation: false });
}

/** Synthesizes every environment into a fresh folder `dir` (stacks and their model sidecars). */
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
  const out = path.resolve(outDir);
  const inside = (child: string): boolean => {
    const rel = path.relative(out, path.resolve(child));
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
  };
  if (inside(configDir)) return `it contains the application folder ${configDir}; choose a separate output folder such as cdktf.out`;
  if (inside(process.cwd())) return "it contains the current folder; choose a separate output folder such as cdktf.out";
  if (!fs.existsSync(out)) return undefined;
  if (!fs.statSync(out).isDirectory()) return "it is a file; choose a folder";
  const entries = fs.readdirSync(out);
  if (entries.length === 0 || (entries.includes("manifest.json") && entries.includes("stacks"))) return undefined;
  return "it is not empty and is not a synthesized output (no manifest.json and stacks/); envkit replaces the whole folder, so choose a new or empty one";
}

/**
 * Synthesizes every environment into `outDir` (cdktf.out layout: `stacks/<env>/cdk.tf.json`).
 * Writes into a temporary sibling folder and swaps it in only on success: a failed synth leaves
 * the previous output byte-for-byte untouched.
 */
export function synthesizeTo(environments: readonly ResolvedEnvironment[], outDir: string, check?: (tmpDir: string) => readonly ConfigIssue[]): { issues: readonly ConfigIssue[]; stacks: string[] } {
  const parent = path.dirname(path.resolve(outDir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(parent, `.envkit-tmp-${path.basename(outDir)}-`));
  try {
    synthesizeInto(tmp, environments);
    const issues = check ? check(tmp) : [];
    if (issues.some((i) => i.severity !== "warning")) {
      fs.rmSync(tmp, { recursive: true, force: true });
      return { issues, stacks: [] };
    }
    const old = `${tmp}-previous`;
    const hadOld = fs.existsSync(outDir);
    if (hadOld) fs.renameSync(outDir, old);
    try {
      fs.renameSync(tmp, outDir);
    } catch (e) {
      if (hadOld) fs.renameSync(old, outDir);
      throw e;
    }
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
    return { issues, stacks: environments.map((e) => e.model.name) };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
