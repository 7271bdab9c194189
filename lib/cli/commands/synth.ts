import { formatIssue, sortIssues } from "../../errors";
import { preloadSynthesis, synthesizeTo, unsafeOutDir, validateDir } from "../../pipeline";
import { evaluateSynthesized } from "../../policy/engine";
import { CliIO, EXIT } from "../io";

export const SYNTH_HELP = `Usage: envkit synth --config DIR --out DIR

Validates the application folder, then writes one Terraform stack per environment to
OUT/stacks/<env>/cdk.tf.json (the cdktf.out layout, usable by "cdktf diff/deploy" and terraform).
Output is written to a temporary folder and swapped in only when everything succeeded: a failed
synth leaves the previous output byte-for-byte untouched. Because the whole folder is replaced,
OUT must be new, empty or a previous output, and must not contain the application or the current
folder. Guardrails run over the configuration
and over the synthesized JSON; a mandatory finding fails the synth.

Exit codes: 0 written, 1 invalid input or a mandatory finding (nothing written), 2 usage.`;

export function synthCommand(opts: { config: string; out: string }, io: CliIO): number {
  const unsafe = unsafeOutDir(opts.out, opts.config);
  if (unsafe) {
    io.err(`${opts.out}: refusing to write the output here: ${unsafe}`);
    return EXIT.invalid;
  }
  preloadSynthesis();
  const project = validateDir(opts.config);
  const issues = project.issues;
  for (const i of sortIssues(issues)) io.err(formatIssue(i));
  if (issues.some((i) => i.severity !== "warning")) {
    io.err(`synth failed; ${opts.out} was not changed`);
    return EXIT.invalid;
  }
  const started = process.hrtime.bigint();
  const result = synthesizeTo(project.environments, opts.out, (tmp) => evaluateSynthesized(project.environments, tmp, { displayDir: opts.out }).issues);
  for (const i of result.issues) io.err(formatIssue(i));
  if (result.stacks.length === 0) {
    io.err(`synth failed; ${opts.out} was not changed`);
    return EXIT.invalid;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  io.out(`synthesized ${result.stacks.length} stack(s) to ${opts.out}/stacks: ${result.stacks.join(", ")} (${ms.toFixed(0)} ms)`);
  return EXIT.ok;
}
