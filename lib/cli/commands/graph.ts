import { formatIssue, sortIssues } from "../../errors";
import { configErrors, validateDir } from "../../pipeline";
import { toDot, toMermaid } from "../../review/graph";
import { CliIO, EXIT, UsageError } from "../io";

export const GRAPH_HELP = `Usage: envkit graph --config DIR --env NAME [--format mermaid|dot]

Prints the services of one environment and the connections allowed between them (the same edges
the targets turn into networks and network policies). Public services get an "internet" edge.

Exit codes: 0 printed, 1 invalid config, 2 usage.`;

export function graphCommand(opts: { config: string; env: string; format?: string }, io: CliIO): number {
  const format = opts.format ?? "mermaid";
  if (format !== "mermaid" && format !== "dot") throw new UsageError(`--format must be mermaid or dot (got "${format}")`);
  const project = validateDir(opts.config, opts.env);
  const errors = configErrors(project);
  if (errors.length > 0 || !project.environments[0]) {
    for (const i of sortIssues(errors)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const env = project.environments[0].model;
  io.out(format === "dot" ? toDot(env) : toMermaid(env));
  return EXIT.ok;
}
