import { formatIssue, sortIssues } from "../../errors";
import { preloadSynthesis, synthesizeProject, unsafeOutDir, validateDir } from "../../pipeline";
import { CliIO, EXIT } from "../io";

export const SYNTH_HELP = `Usage: envkit synth --config DIR --out DIR

Validates the application folder, then writes one Terraform stack per environment to
OUT/stacks/<env>/cdk.tf.json (the cdktf.out layout, usable by "cdktf diff/deploy" and terraform).
Guardrails are part of synthesis: they run over the configuration and over each stack's Terraform
JSON before anything is written, exactly as "envkit validate" runs them; a mandatory finding fails
the synth.

Output is written to a temporary folder next to OUT and swapped in only when everything
succeeded: a failed synth leaves the previous output byte-for-byte untouched. Because the whole
folder is replaced, OUT must be new, empty or a previous output, and must not contain the
application or the current folder. What Terraform keeps in a stack's folder survives: each
OUT/stacks/<env>/.terraform/ (providers, modules, backend settings), .terraform.lock.hcl and
terraform.tfstate.d/ (the state of a local backend's non-default workspaces) are moved into the
new output, so "terraform init" need not run again and no workspace is lost. Saved plan files
are not kept (a plan made for the previous output must not be applied to the new one). Local
state must live outside OUT (backend.path is relative to OUT/stacks/<env>/; the default
../../../terraform.<env>.tfstate is next to OUT): a state path inside OUT, or a state file found
in the previous output (a workspace's too, in a stack this synth no longer writes), is refused.
Temporary folders that a killed synth left next to OUT are removed (never those of a synth
still running).

Exit codes: 0 written, 1 invalid input, a mandatory finding or an unwritable OUT (nothing
written), 2 usage.`;

export function synthCommand(opts: { config: string; out: string }, io: CliIO): number {
  const unsafe = unsafeOutDir(opts.out, opts.config);
  if (unsafe) {
    io.err(`${opts.out}: refusing to write the output here: ${unsafe}`);
    return EXIT.invalid;
  }
  const project = validateDir(opts.config);
  preloadSynthesis(project);
  const started = process.hrtime.bigint();
  const result = synthesizeProject(project, opts.out);
  for (const i of sortIssues(result.issues)) io.err(formatIssue(i));
  if (result.stacks.length === 0) {
    io.err(`synth failed; ${opts.out} was not changed`);
    return EXIT.invalid;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  io.out(`synthesized ${result.stacks.length} stack(s) to ${opts.out}/stacks: ${result.stacks.join(", ")} (${ms.toFixed(0)} ms)`);
  return EXIT.ok;
}
