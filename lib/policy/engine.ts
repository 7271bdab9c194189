import * as fs from "node:fs";
import * as path from "node:path";
import { ResolvedEnvironment } from "../config/resolve";
import { didYouMean } from "../config/suggest";
import { ConfigIssue } from "../errors";
import { SuppressionModel } from "../model/environment";
import { StackJson, StackView, findSecretLiterals } from "../targets/inspect";
import { adapterFor } from "../targets/registry";
import { gitReleaseHistory } from "./history";
import { RULES, ruleById } from "./rules";
import { RawFinding, ReleaseHistory, Rule, RuleInput } from "./rule";

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
  return opts.today ?? process.env.ENVKIT_TODAY ?? new Date().toISOString().slice(0, 10);
}

/** Turns raw findings of one rule into graded findings, applying the environment's suppressions. */
function grade(env: ResolvedEnvironment, rule: Rule, raw: readonly RawFinding[], date: string, locate: (f: RawFinding) => { file?: string; line?: number }, report: { findings: Finding[]; suppressed: SuppressedFinding[] }): void {
  const m = env.model;
  for (const f of raw) {
    const finding: Finding = {
      rule: rule.id,
      title: rule.title,
      severity: m.enforcement === "mandatory" ? "error" : "warning",
      env: m.name,
      path: f.path,
      service: f.service,
      ...locate(f),
      message: f.message,
      fix: rule.fix,
    };
    const sup = rule.unsuppressible ? undefined : m.suppressions.find((s) => s.rule === rule.id && (!s.scope || s.scope === f.service || s.scope === f.path));
    if (sup && (!sup.expires || sup.expires >= date)) {
      report.suppressed.push({ ...finding, reason: sup.reason, expires: sup.expires });
    } else if (sup) {
      report.findings.push({ ...finding, message: `${f.message} (its suppression expired on ${sup.expires})` });
    } else {
      report.findings.push(finding);
    }
  }
}

/** Problems with the suppressions themselves: unknown rule ids, unsuppressible rules. */
function suppressionIssues(env: ResolvedEnvironment): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  env.model.suppressions.forEach((s: SuppressionModel, i: number) => {
    const at = ["policy", "suppressions", i, "rule"];
    const rule = ruleById(s.rule);
    if (!rule) out.push({ ...env.provenance.locate(at), path: at.join("."), message: `unknown rule "${s.rule}"${didYouMean(s.rule, RULES.map((r) => r.id))}; see docs/rules.md` });
    else if (rule.unsuppressible) out.push({ ...env.provenance.locate(at), path: at.join("."), message: `rule ${s.rule} (${rule.title}) cannot be suppressed; remove the secret value instead` });
  });
  return out;
}

function toIssues(report: { findings: readonly Finding[] }): ConfigIssue[] {
  return report.findings.map((f) => ({ file: f.file, line: f.line, path: f.path, severity: f.severity, message: `[${f.rule}] ${f.message}; fix: ${f.fix}` }));
}

function applies(rule: Rule, env: ResolvedEnvironment): boolean {
  return !rule.productionOnly || env.model.enforcement === "mandatory";
}

/** The model and project passes: rules over the resolved configuration of every environment. */
export function evaluatePolicy(envs: readonly ResolvedEnvironment[], opts: PolicyOptions = {}): PolicyReport {
  const date = today(opts);
  const report = { findings: [] as Finding[], suppressed: [] as SuppressedFinding[] };
  const extra: ConfigIssue[] = [];
  const history = opts.history ?? (opts.crossEnvironment === false ? undefined : gitReleaseHistory(opts.configDir));
  for (const env of envs) {
    extra.push(...suppressionIssues(env));
    const locate = (f: RawFinding): { file?: string; line?: number } => env.provenance.locate(f.path.split("."));
    for (const rule of RULES) {
      if (!applies(rule, env)) continue;
      let input: RuleInput | undefined;
      if (rule.pass === "model") input = { pass: "model", env: env.model };
      else if (rule.pass === "project" && opts.crossEnvironment !== false && history) input = { pass: "project", env: env.model, all: envs.map((e) => e.model), history };
      if (input) grade(env, rule, rule.check(input), date, locate, report);
    }
  }
  return { ...report, issues: [...extra, ...toIssues(report)] };
}

/** Reads `<outDir>/stacks/<env>/cdk.tf.json`. */
export function readStack(outDir: string, env: string): StackJson {
  return JSON.parse(fs.readFileSync(path.join(outDir, "stacks", env, "cdk.tf.json"), "utf8")) as StackJson;
}

/** The guardrail view of a stack: the target's own view plus literal secrets found anywhere. */
export function viewOf(env: ResolvedEnvironment, json: StackJson): StackView {
  const view = adapterFor(env.model.target)!.inspect(json);
  const literals = findSecretLiterals(json).map((l) => ({ resource: l.path, message: l.message }));
  return { ...view, secretLeaks: [...view.secretLeaks, ...literals] };
}

/**
 * The JSON pass: rules over the synthesized stacks in `outDir`, so overrides and escape hatches
 * are judged by what Terraform will really apply.
 */
export function evaluateSynthesized(envs: readonly ResolvedEnvironment[], outDir: string, opts: PolicyOptions = {}): PolicyReport {
  const date = today(opts);
  const report = { findings: [] as Finding[], suppressed: [] as SuppressedFinding[] };
  for (const env of envs) {
    const file = path.join(opts.displayDir ?? outDir, "stacks", env.model.name, "cdk.tf.json");
    const stack = viewOf(env, readStack(outDir, env.model.name));
    for (const rule of RULES) {
      if (rule.pass !== "json" || !applies(rule, env)) continue;
      grade(env, rule, rule.check({ pass: "json", env: env.model, stack }), date, (f) => (f.inStack ? { file } : env.provenance.locate(f.path.split("."))), report);
    }
  }
  return { ...report, issues: toIssues(report) };
}

/** Merges the reports of the two passes. */
export function mergeReports(a: PolicyReport, b: PolicyReport): PolicyReport {
  return { findings: [...a.findings, ...b.findings], suppressed: [...a.suppressed, ...b.suppressed], issues: [...a.issues, ...b.issues] };
}
