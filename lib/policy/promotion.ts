import { loadConfigDir } from "../config/load";
import { ResolvedEnvironment } from "../config/resolve";
import { lineAt } from "../config/yaml-source";
import { ConfigIssue } from "../errors";
import { PolicyReport, evaluateProject } from "./engine";
import { PromotionHistory, baseReleaseHistory } from "./history";

/*
 * Promotion order beyond one working tree: judging ENVK-REL-001 at a pull request's base commit,
 * running it for one environment (`--env prod` loads its source environment too), and the soak
 * time `envkit promote` honours.
 */

/** The rule this module runs on its own. */
export const PROMOTION_RULE = "ENVK-REL-001";

const SOAK_RE = /^([1-9][0-9]{0,3})(m|h|d)$/;
const SOAK_UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `promotion.soak` in milliseconds (the schema already refused anything else; undefined then). */
export function soakMs(soak: string | undefined): number | undefined {
  const m = soak === undefined ? null : SOAK_RE.exec(soak);
  return m ? Number(m[1]) * SOAK_UNIT_MS[m[2]] : undefined;
}

/** Where the base of a comparison comes from: the `--base` flag, else GitHub's `GITHUB_BASE_REF`. */
export interface BaseChoice {
  /** Refs to try in order (the first naming a commit is used). */
  readonly refs: readonly string[];
  /** What set it, for messages. */
  readonly setBy: "--base" | "GITHUB_BASE_REF";
}

/**
 * The base to judge promotion order at: `--base REF` when given; otherwise, in a GitHub Actions
 * pull request (GITHUB_BASE_REF set, e.g. `main`), `origin/main` and then `main`. Undefined: judge
 * the working tree (outside pull requests).
 */
export function chooseBase(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): BaseChoice | undefined {
  if (flag !== undefined) return { refs: [flag], setBy: "--base" };
  const pr = env.GITHUB_BASE_REF?.trim();
  return pr ? { refs: [`origin/${pr}`, pr], setBy: "GITHUB_BASE_REF" } : undefined;
}

/** Release history at the chosen base, or undefined without one (the default history is used then). */
export function historyAtBase(configDir: string, choice: BaseChoice | undefined): PromotionHistory | undefined {
  return choice ? baseReleaseHistory(configDir, choice.refs, choice.setBy) : undefined;
}

/**
 * ENVK-REL-001 for the one environment `only` that `validate --env` / `policy --env` loaded:
 * its `promotion.from` environment is resolved too (its own problems are not reported here, only
 * that promotion order could not be judged), and only this rule's findings for `only` come back.
 */
export function promotionOrderOf(loaded: readonly ResolvedEnvironment[], configDir: string, only: string, history?: PromotionHistory): PolicyReport {
  const target = loaded.find((e) => e.model.name === only);
  const from = target?.model.promotedFrom;
  if (!target || !from || from === only) return { findings: [], suppressed: [], issues: [] };
  const source = loadConfigDir(configDir, from).environments.find((e) => e.model.name === from);
  if (!source) {
    const at = ["promotion", "from"];
    const issue: ConfigIssue = {
      file: target.source.file,
      line: lineAt(target.source, at),
      path: at.join("."),
      message: `promotion order (${PROMOTION_RULE}) cannot be judged: environment "${from}" does not resolve; "envkit validate --config ${configDir} --env ${from}" lists its problems`,
    };
    return { findings: [], suppressed: [], issues: [issue] };
  }
  const report = evaluateProject([target, source], { configDir, history });
  const mine = <T extends { rule: string; env: string }>(f: T) => f.rule === PROMOTION_RULE && f.env === only;
  const findings = report.findings.filter(mine);
  const issues: ConfigIssue[] = [
    ...report.issues.filter((i) => !i.message.startsWith("[")),
    ...findings.map((f) => ({ file: f.file, line: f.line, path: f.path, severity: f.severity, message: `[${f.rule}] ${f.message}; fix: ${f.fix}` })),
  ];
  return { findings, suppressed: report.suppressed.filter(mine), issues };
}
