import { formatIssue, sortIssues } from "../../errors";
import { checkDir } from "../../pipeline";
import { CliIO, EXIT } from "../io";

export const VALIDATE_HELP = `Usage: envkit validate --config DIR [--env NAME]

Checks app.yaml and environments/*.yaml: schema (unknown keys, types), layering, quantities,
image releases, connections, secrets, names, target checks (subnets, quota fit) and every
guardrail — over the configuration and over each stack's Terraform JSON, built in memory — so it
reports exactly what "envkit synth" and "cdktf synth" would refuse. Nothing is written.
Prints every problem at once, one per line as "file:line: path: message".

Options:
  --config DIR   application folder (holds app.yaml and environments/)
  --env NAME     check one environment only (cross-environment checks are skipped)

Exit codes: 0 valid (warnings may be printed), 1 invalid or a mandatory guardrail finding, 2 usage.`;

export function validateCommand(opts: { config: string; env?: string }, io: CliIO): number {
  const project = checkDir(opts.config, opts.env);
  const issues = project.issues;
  for (const i of sortIssues(issues)) io.err(formatIssue(i));
  const errors = issues.filter((i) => i.severity !== "warning").length;
  if (errors > 0) {
    io.err(`${errors} error(s), ${issues.length - errors} warning(s)`);
    return EXIT.invalid;
  }
  io.out(`valid: ${project.environments.map((e) => `${e.model.name} (${e.model.target})`).join(", ")}${issues.length ? `; ${issues.length} warning(s)` : ""}`);
  return EXIT.ok;
}
