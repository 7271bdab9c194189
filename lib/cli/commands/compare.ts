import { formatIssue, sortIssues } from "../../errors";
import { configErrors, validateDir } from "../../pipeline";
import { releaseHistory } from "../../policy/history";
import { compareEnvironments, comparisonMarkdown } from "../../review/compare";
import { CliIO, EXIT, UsageError } from "../io";

export const COMPARE_HELP = `Usage: envkit compare --config DIR ENV_A ENV_B [--format markdown|json]

Lists what differs between two environments' effective configuration (replicas, resources,
releases, quotas, network edges, policy enforcement and suppressions) and what is identical, and
flags releases ENV_B runs that ENV_A (its predecessor) never ran: not ENV_A's pin now, not in the
release record (DIR/releases.yaml, see envkit releases) and not in git history when available.

Exit codes: 0 printed, 1 invalid config, 2 usage.`;

export function compareCommand(opts: { config: string; a?: string; b?: string; format?: string }, io: CliIO): number {
  if (!opts.a || !opts.b) throw new UsageError("compare needs two environment names");
  const format = opts.format ?? "markdown";
  if (format !== "markdown" && format !== "json") throw new UsageError(`--format must be markdown or json (got "${format}")`);
  const project = validateDir(opts.config);
  const errors = configErrors(project);
  const find = (n: string) => project.environments.find((e) => e.model.name === n);
  for (const n of [opts.a, opts.b]) if (!find(n) && errors.length === 0) errors.push({ file: opts.config, path: "", message: `no environment "${n}"; found: ${project.environments.map((e) => e.model.name).join(", ")}` });
  if (errors.length > 0) {
    for (const i of sortIssues(errors)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const history = releaseHistory(opts.config);
  if (history.issues?.length) {
    // An invalid record is not trusted; say why instead of flagging releases that may have run.
    for (const i of sortIssues(history.issues)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const c = compareEnvironments(find(opts.a)!, find(opts.b)!, history);
  io.out(format === "json" ? JSON.stringify(c, null, 2) : comparisonMarkdown(c));
  return EXIT.ok;
}
