import * as fs from "node:fs";
import * as path from "node:path";
import { Provenance, ResolvedEnvironment } from "../config/resolve";
import { didYouMean } from "../config/suggest";
import { ConfigIssue, EnvkitError } from "../errors";
import { EnvironmentModel, ServiceModel, SuppressionModel } from "../model/environment";
import { StackJson, StackView, findSecretLiterals } from "../targets/inspect";
import { adapterFor } from "../targets/registry";
import { releaseHistory } from "./history";
import { RULES, ruleById } from "./rules";
import { RawFinding, ReleaseHistory, Rule } from "./rule";
import { isCalendarDate } from "../model/calendar-date";
import { nameCollisions } from "./name-collisions";

/** One guardrail finding, located and graded for its environment. */
export interface Finding {
  readonly rule: string;
  readonly title: string;
  /** `error` where the environment's enforcement is mandatory, else `warning`. */
  readonly severity: "error" | "warning";
  readonly env: string;
  /** Config path or synthesized resource. */
  readonly path: string;
  readonly service?: string;
  readonly file?: string;
  readonly line?: number;
  readonly message: string;
  readonly fix: string;
}

/** A finding that a suppression silenced, with the suppression's reason. */
export interface SuppressedFinding extends Finding {
  readonly reason: string;
  readonly expires?: string;
}

/** The result of a guardrail run. */
export interface PolicyReport {
  readonly findings: readonly Finding[];
  readonly suppressed: readonly SuppressedFinding[];
  /** Findings and suppression problems as CLI issues (`file:line: path: [rule] message`). */
  readonly issues: readonly ConfigIssue[];
}

/** Options of a guardrail run. */
export interface PolicyOptions {
  /** The application folder, for release history from git. */
  readonly configDir?: string;
  /** Run the rules that span environments (off when only one environment was loaded). @default true */
  readonly crossEnvironment?: boolean;
  /** `YYYY-MM-DD` used for suppression expiry. @default today (UTC), or ENVKIT_TODAY */
  readonly today?: string;
  /** Release history; @default read from git under configDir */
  readonly history?: ReleaseHistory;
  /** Output folder to name in messages when `outDir` is a temporary folder. @default outDir */
  readonly displayDir?: string;
}

function today(opts: PolicyOptions): string {
  const given = opts.today ?? process.env.ENVKIT_TODAY;
  if (given !== undefined && !isCalendarDate(given)) {
    throw new EnvkitError([{ path: opts.today !== undefined ? "today" : "ENVKIT_TODAY", message: `must be a real date "YYYY-MM-DD" (got ${JSON.stringify(given)}); suppression expiry is judged against it` }]);
  }
  return given ?? new Date().toISOString().slice(0, 10);
}

/**
 * What the per-environment passes need: the model, and where its values came from (for
 * `file:line`; without it — a stack built from a bare model — findings name the config path only).
 */
export interface GuardedEnvironment {
  readonly model: EnvironmentModel;
  readonly provenance?: Provenance;
}

type Located = { file?: string; line?: number };
/** Where a finding is reported: a location, and the path and message when they differ from the raw finding's. */
type Placed = Located & { path?: string; message?: string };

/**
 * The configuration value that most likely caused a JSON-pass finding about one service's
 * workload, judged from the resolved model: a path (from the environment's root), or `null` when
 * the model does not explain it — an escape hatch or override changed the synthesized resource.
 * Rules without an entry are located at `services.<name>`. A target adds or refines entries for
 * causes in its own settings (`TargetAdapter.findingCauses`).
 */
const CAUSES: Readonly<Record<string, (svc: ServiceModel, env: EnvironmentModel) => readonly string[] | null>> = {
  "ENVK-IMG-001": (s) => ["release", s.name],
  "ENVK-SEC-002": (s) => (s.security.uid === 0 ? at(s, "security", "user") : !s.security.runAsNonRoot ? at(s, "security", "runAsNonRoot") : null),
  "ENVK-SEC-003": (s) => (!s.security.noNewPrivileges ? at(s, "security", "noNewPrivileges") : s.security.privileged ? at(s, "security", "privileged") : null),
  "ENVK-SEC-004": (s) => (s.security.privileged ? at(s, "security", "privileged") : null),
  "ENVK-SEC-005": (s) => (!s.security.dropCapabilities.some((c) => c.toUpperCase() === "ALL") ? at(s, "security", "dropCapabilities") : s.security.privileged ? at(s, "security", "privileged") : null),
  "ENVK-SEC-006": (s) => (!s.security.readOnlyRootFilesystem ? at(s, "security", "readOnlyRootFilesystem") : null),
  "ENVK-SEC-007": (s) => (/^unconfined$/i.test(s.security.seccompProfile) ? at(s, "security", "seccompProfile") : s.security.privileged ? at(s, "security", "privileged") : null),
  // envkit always sets requests and limits: a stack without them was changed after lowering.
  "ENVK-RES-001": (s) => (s.resources.cpuLimitMillis > 0 && s.resources.memoryLimitBytes > 0 ? null : at(s, "resources")),
  "ENVK-RES-002": (s) => (s.resources.cpuMillis > 0 && s.resources.memoryBytes > 0 ? null : at(s, "resources")),
  "ENVK-HLT-001": (s) => (s.health ? null : at(s, "health")),
  "ENVK-SEC-008": () => null,
  // Only a target's own settings can explain these (a host folder, a publish address).
  "ENVK-SEC-009": () => null,
  "ENVK-NET-001": () => null,
};

function at(s: ServiceModel, ...rest: string[]): string[] {
  return ["services", s.name, ...rest];
}

/**
 * Locates a JSON-pass finding: about a service's workload, at the config value that caused it
 * (the resource named in the message); otherwise — an escape hatch — at the resource in the
 * synthesized document `file`.
 */
function placeInStack(env: GuardedEnvironment, ruleId: string, f: RawFinding, file: string): Placed {
  const svc = f.service === undefined ? undefined : env.model.services.find((s) => s.name === f.service);
  if (!svc) return { file };
  const cause = adapterFor(env.model.target)?.findingCauses?.[ruleId] ?? CAUSES[ruleId];
  const segments = cause ? cause(svc, env.model) : ["services", svc.name];
  if (!segments) return { file };
  return { ...locator(env)(segments), path: segments.join("."), message: `${f.message} (in ${f.path})` };
}

function locator(env: GuardedEnvironment): (segments: readonly (string | number)[]) => Located {
  return (segments) => (env.provenance ? env.provenance.locate(segments) : {});
}

/** Turns raw findings of one rule into graded findings, applying the environment's suppressions. */
function grade(env: GuardedEnvironment, rule: Rule, raw: readonly RawFinding[], date: string, locate: (f: RawFinding) => Placed, report: { findings: Finding[]; suppressed: SuppressedFinding[] }): void {
  const m = env.model;
  for (const f of raw) {
    const { path: placedPath, message: placedMessage, ...where } = locate(f);
    const finding: Finding = {
      rule: rule.id,
      title: rule.title,
      severity: m.enforcement === "mandatory" ? "error" : "warning",
      env: m.name,
      path: placedPath ?? f.path,
      service: f.service,
      ...where,
      message: placedMessage ?? f.message,
      fix: rule.fix,
    };
    // A scope may name the service, the resource or the config path the finding is reported at.
    const sup = rule.unsuppressible ? undefined : m.suppressions.find((s) => s.rule === rule.id && (!s.scope || s.scope === f.service || s.scope === f.path || s.scope === finding.path));
    if (sup && (!sup.expires || sup.expires >= date)) {
      report.suppressed.push({ ...finding, reason: sup.reason, expires: sup.expires });
    } else if (sup) {
      report.findings.push({ ...finding, message: `${finding.message} (its suppression expired on ${sup.expires})` });
    } else {
      report.findings.push(finding);
    }
  }
}

/** Problems with the suppressions themselves: unknown rule ids, unsuppressible rules. */
function suppressionIssues(env: GuardedEnvironment): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const locate = locator(env);
  env.model.suppressions.forEach((s: SuppressionModel, i: number) => {
    const at = ["policy", "suppressions", i, "rule"];
    const rule = ruleById(s.rule);
    if (!rule) out.push({ ...locate(at), path: at.join("."), message: `unknown rule "${s.rule}"${didYouMean(s.rule, RULES.map((r) => r.id))}; see docs/rules.md` });
    else if (rule.unsuppressible) out.push({ ...locate(at), path: at.join("."), message: `rule ${s.rule} (${rule.title}) cannot be suppressed; remove the secret value instead` });
  });
  return out;
}

/**
 * Objects the stack would create twice under one name: an error in every environment (not a
 * guardrail: the apply would fail), at the environment's services.
 */
function collisionIssues(env: GuardedEnvironment, stack: StackJson, locate: (at: string[]) => Located): ConfigIssue[] {
  const collisions = nameCollisions(stack);
  const where = collisions.length ? locate(["services"]) : {};
  return collisions.map((c) => {
    const ns = c.namespace !== undefined && !c.namespace.includes("${") ? ` in namespace ${c.namespace}` : "";
    return {
      ...where,
      path: "services",
      message: `${c.addresses.length} ${c.type} would be named "${c.name}"${ns} (${c.addresses.join(", ")}), and ${env.model.target === "kubernetes" ? "the cluster" : "the engine"} holds one per name, so terraform apply would fail: a service named like a name envkit derives from another (<service>-backup, -canary, -stable, -preview, -headless, …) takes it; rename that service`,
    };
  });
}

function toIssues(report: { findings: readonly Finding[] }): ConfigIssue[] {
  return report.findings.map((f) => ({ file: f.file, line: f.line, path: f.path, severity: f.severity, message: `[${f.rule}] ${f.message}; fix: ${f.fix}` }));
}

function applies(rule: Rule, env: GuardedEnvironment): boolean {
  return !rule.productionOnly || env.model.enforcement === "mandatory";
}

/** The guardrail view of a stack: the target's own view plus literal secrets found anywhere. */
export function viewOf(env: GuardedEnvironment, json: StackJson): StackView {
  const view = adapterFor(env.model.target)!.inspect(json);
  const literals = findSecretLiterals(json).map((l) => ({ resource: l.path, message: l.message }));
  // HCP Terraform (cdktf's CloudBackend) is `terraform.cloud`, not a backend block: remote state too.
  const tf = json.terraform as { backend?: Record<string, unknown>; cloud?: unknown } | undefined;
  const backend = (tf?.backend && Object.keys(tf.backend)[0]) || (tf?.cloud ? "cloud" : "local");
  return { ...view, secretLeaks: [...view.secretLeaks, ...literals], backend };
}

/** Where `<out>/stacks/<env>/cdk.tf.json` is, for findings located in a synthesized stack. */
export function stackFile(outDir: string, env: string): string {
  return path.join(outDir, "stacks", env, "cdk.tf.json");
}

/** Options of the per-environment passes. */
export interface EnvironmentPolicyOptions extends Pick<PolicyOptions, "today"> {
  /**
   * The environment's Terraform document: the object cdktf writes as `cdk.tf.json` (from
   * `stack.toTerraform()`) or the parsed file. Without it only the model pass runs.
   */
  readonly stack?: StackJson;
  /** File named by findings located in the stack. @default "<synthesized>/stacks/<env>/cdk.tf.json" */
  readonly stackFile?: string;
  /** Run the model pass (and check the suppressions). @default true */
  readonly model?: boolean;
}

/**
 * The guardrails of one environment: the model pass over its resolved configuration and, given
 * its Terraform document, the JSON pass, so overrides and escape hatches are judged by what
 * Terraform will really apply. This is the one implementation behind `EnvironmentStack`'s
 * synthesis-time validation, `envkit validate | synth | policy` and main.ts.
 */
export function evaluateEnvironment(env: GuardedEnvironment, opts: EnvironmentPolicyOptions = {}): PolicyReport {
  const date = today(opts);
  const report = { findings: [] as Finding[], suppressed: [] as SuppressedFinding[] };
  const withModel = opts.model !== false;
  const locate = locator(env);
  const extra = [...(withModel ? suppressionIssues(env) : []), ...(opts.stack ? collisionIssues(env, opts.stack, locate) : [])];
  const view = opts.stack ? viewOf(env, opts.stack) : undefined;
  const file = opts.stackFile ?? stackFile("<synthesized>", env.model.name);
  for (const rule of RULES) {
    if (!applies(rule, env)) continue;
    if (rule.pass === "model" && withModel) grade(env, rule, rule.check({ pass: "model", env: env.model }), date, (f) => locate(f.path.split(".")), report);
    else if (rule.pass === "json" && view) grade(env, rule, rule.check({ pass: "json", env: env.model, stack: view }), date, (f) => (f.inStack ? placeInStack(env, rule.id, f, file) : locate(f.path.split("."))), report);
  }
  return { ...report, issues: [...extra, ...toIssues(report)] };
}

/** The project pass: rules that span environments (subnet overlaps, promotion order). */
export function evaluateProject(envs: readonly ResolvedEnvironment[], opts: PolicyOptions = {}): PolicyReport {
  const report = { findings: [] as Finding[], suppressed: [] as SuppressedFinding[] };
  if (opts.crossEnvironment === false) return { ...report, issues: [] };
  const date = today(opts);
  const history = opts.history ?? releaseHistory(opts.configDir);
  for (const env of envs) {
    const locate = locator(env);
    for (const rule of RULES) {
      if (rule.pass !== "project" || !applies(rule, env)) continue;
      grade(env, rule, rule.check({ pass: "project", env: env.model, all: envs.map((e) => e.model), history }), date, (f) => locate(f.path.split(".")), report);
    }
  }
  // An invalid release record is an error of its own (file:line), not only a reason inside findings.
  return { ...report, issues: [...(history.issues ?? []), ...toIssues(report)] };
}

/** The model and project passes: rules over the resolved configuration of every environment. */
export function evaluatePolicy(envs: readonly ResolvedEnvironment[], opts: PolicyOptions = {}): PolicyReport {
  return mergeReports(...envs.map((e) => evaluateEnvironment(e, { today: opts.today })), evaluateProject(envs, opts));
}

/** Reads `<outDir>/stacks/<env>/cdk.tf.json`. */
export function readStack(outDir: string, env: string): StackJson {
  return JSON.parse(fs.readFileSync(stackFile(outDir, env), "utf8")) as StackJson;
}

/**
 * The JSON pass over stacks already written to `outDir` (for output synthesized elsewhere, e.g.
 * by `cdktf synth`): reads each `cdk.tf.json` and runs {@link evaluateEnvironment} on it.
 */
export function evaluateSynthesized(envs: readonly ResolvedEnvironment[], outDir: string, opts: PolicyOptions = {}): PolicyReport {
  return mergeReports(
    ...envs.map((env) => evaluateEnvironment(env, { today: opts.today, model: false, stack: readStack(outDir, env.model.name), stackFile: stackFile(opts.displayDir ?? outDir, env.model.name) })),
  );
}

/** Merges the reports of several passes. */
export function mergeReports(...reports: readonly PolicyReport[]): PolicyReport {
  return { findings: reports.flatMap((r) => r.findings), suppressed: reports.flatMap((r) => r.suppressed), issues: reports.flatMap((r) => r.issues) };
}
