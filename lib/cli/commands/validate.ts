import { formatIssue, sortIssues } from "../../errors";
import { checkEachStack, preloadSynthesis, validateDir } from "../../pipeline";
import { chooseBase, historyAtBase, promotionOrderOf } from "../../policy/promotion";
import { CliIO, EXIT } from "../io";

export const VALIDATE_HELP = `Usage: envkit validate --config DIR [--env NAME] [--base REF]

Checks app.yaml and environments/*.yaml: schema (unknown keys, types), layering, quantities,
image releases, connections, secrets, names, target checks (subnets, quota fit) and every
guardrail — over the configuration and over each stack's Terraform JSON, built in memory — so it
reports exactly what "envkit synth" and "cdktf synth" would refuse. Nothing is written.
Prints every problem at once, one per line as "file:line: path: message".

Options:
  --config DIR   application folder (holds app.yaml and environments/)
  --env NAME     check one environment only; checks across environments are skipped except
                 promotion order (ENVK-REL-001), which loads the promotion.from environment too
  --base REF     judge promotion order (ENVK-REL-001) at this git ref, a pull request's base:
                 a release counts as having run in the promotion.from environment only if that
                 environment pins it, records it or pinned it at REF, so a change that bumps
                 staging and prod together is reported. Default: in a GitHub Actions pull request
                 (GITHUB_BASE_REF set) origin/<base branch>, else the working tree. "--base HEAD"
                 judges the checkout's own commit.

Exit codes: 0 valid (warnings may be printed), 1 invalid or a mandatory guardrail finding, 2 usage.`;

export function validateCommand(opts: { config: string; env?: string; base?: string }, io: CliIO): number {
  const history = historyAtBase(opts.config, chooseBase(opts.base));
  // checkDir's judgement, each environment let go once judged (nothing here needs its stack).
  const validated = validateDir(opts.config, opts.env, { history });
  preloadSynthesis(validated);
  const project = checkEachStack(validated);
  const issues = [...project.issues, ...(opts.env !== undefined ? promotionOrderOf(project.environments, opts.config, opts.env, history).issues : [])];
  for (const i of sortIssues(issues)) io.err(formatIssue(i));
  const errors = issues.filter((i) => i.severity !== "warning").length;
  if (errors > 0) {
    io.err(`${errors} error(s), ${issues.length - errors} warning(s)`);
    return EXIT.invalid;
  }
  const at = history?.base ? `; promotion order judged at ${history.base.ref} (${history.base.commit.slice(0, 12)})` : "";
  io.out(`valid: ${project.environments.map((e) => `${e.model.name} (${e.model.target})`).join(", ")}${issues.length ? `; ${issues.length} warning(s)` : ""}${at}`);
  return EXIT.ok;
}
