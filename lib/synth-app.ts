import type { App } from "./facade/cdktf";
import { visibleText } from "./errors";

/** Options of {@link synthApp}. */
export interface SynthAppOptions {
  /** Receives each line of a failed validation, and the closing line. @default printed to stderr */
  readonly err?: (line: string) => void;
}

/** The first lines of cdktf 0.21's stack- and app-level validation errors (lib/errors.js). */
const VALIDATION_HEADS = ["Validation failed with the following errors:", "App-level validation failed with the following errors:"];

/**
 * The problems a cdktf validation error lists, one line each: `[construct path] message` becomes
 * the message alone when it already starts with that path (envkit's guardrail lines do), else
 * `path: message`. Undefined for any other error.
 */
export function validationProblems(e: unknown): string[] | undefined {
  if (!(e instanceof Error)) return undefined;
  const [head, ...rest] = e.message.split("\n");
  if (!VALIDATION_HEADS.includes(head)) return undefined;
  const problems: string[] = [];
  for (const line of rest) {
    // The list ends at the first line that is not indented (cdktf's advice follows).
    if (!line.startsWith("  ")) break;
    const m = /^ {2}\[([^\]]*)\] ([\s\S]*)$/.exec(line);
    if (!m) problems.push(line.trim());
    else problems.push(m[2].startsWith(`${m[1]}: `) || m[2].startsWith(`${m[1]}/`) ? m[2] : `${m[1]}: ${m[2]}`);
  }
  return problems;
}

/**
 * Runs `app.synth()` for a program of your own (an `Environment` in your stack) and returns the
 * exit code: 0 when it synthesized; 1 when a validation failed — a mandatory guardrail finding of
 * an `Environment` or `EnvironmentStack`, or any construct's own validation — after printing each
 * problem on one line (no stack trace, and not cdktf's advice to turn validation off) and setting
 * `process.exitCode` to 1, so the program (and `cdktf synth` running it) fails. Any other error is
 * thrown as it was. Use it in place of the last line of `main.ts`, `app.synth()`.
 *
 * cdktf judges and writes one stack at a time, so in a program with several stacks the ones
 * before the failing stack are written. `envkit synth` (and the repository's own `main.ts`) judge
 * every stack first and write nothing on any error.
 */
export function synthApp(app: App, opts: SynthAppOptions = {}): number {
  const err = opts.err ?? ((line: string) => void process.stderr.write(`${line}\n`));
  try {
    app.synth();
    return 0;
  } catch (e) {
    const problems = validationProblems(e);
    if (!problems) throw e;
    for (const p of problems) err(visibleText(p));
    err(`synth failed: ${problems.length} problem(s) above; fix them and synthesize again`);
    process.exitCode = 1;
    return 1;
  }
}
