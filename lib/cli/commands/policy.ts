import { formatIssue, sortIssues } from "../../errors";
import { checkEachStack, configErrors, preloadSynthesis, validateDir } from "../../pipeline";
import { mergeReports } from "../../policy/engine";
import { chooseBase, historyAtBase, promotionOrderOf } from "../../policy/promotion";
import { toJson, toSarif, toText } from "../../policy/report";
import { CliIO, EXIT, UsageError } from "../io";
import { VERSION } from "../version";

export const POLICY_HELP = `Usage: envkit policy --config DIR [--env NAME] [--base REF] [--format text|json|sarif]

Runs every guardrail over the resolved configuration and over each stack's Terraform JSON, built
in memory (nothing is written) — the same checks "envkit validate" and "envkit synth" run. Severity follows each
environment's policy.enforcement: mandatory findings are errors, advisory ones warnings.
Suppressions in use are listed in every format.

  --env NAME      one environment; promotion order (ENVK-REL-001) still runs, with its
                  promotion.from environment loaded
  --base REF      judge promotion order at this git ref (a pull request's base), as
                  "envkit validate --base" does; default: origin/$GITHUB_BASE_REF in a GitHub
                  Actions pull request, else the working tree

  --format text   readable table (default)
  --format json   { "findings": [ { rule, severity, env, path, message, fix } ], "suppressed": [...] }
  --format sarif  SARIF 2.1.0 for code-scanning upload

Exit codes: 0 no mandatory finding, 1 a mandatory finding or invalid config, 2 usage.`;

export function policyCommand(opts: { config: string; env?: string; base?: string; format?: string }, io: CliIO): number {
  const format = opts.format ?? "text";
  if (!["text", "json", "sarif"].includes(format)) throw new UsageError(`--format must be text, json or sarif (got "${format}")`);
  const history = historyAtBase(opts.config, chooseBase(opts.base));
  const project = validateDir(opts.config, opts.env, { history });
  preloadSynthesis(project);
  // Configuration errors stop here; guardrail findings are what this command reports.
  const errors = configErrors(project);
  if (errors.length > 0) {
    for (const i of sortIssues(errors)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const stacks = checkEachStack(project).policy;
  const report = opts.env !== undefined ? mergeReports(stacks, promotionOrderOf(project.environments, opts.config, opts.env, history)) : stacks;
  const extra = report.issues.filter((i) => !i.message.startsWith("["));
  for (const i of extra) io.err(formatIssue(i));
  io.out(format === "json" ? toJson(report) : format === "sarif" ? toSarif(report, VERSION) : toText(report));
  return report.findings.some((f) => f.severity === "error") || extra.some((i) => i.severity !== "warning") ? EXIT.invalid : EXIT.ok;
}
