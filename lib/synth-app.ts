import type { App } from "./facade/cdktf";
import { visibleLine } from "./errors";

/** Options of {@link synthApp}. */
export interface SynthAppOptions {
  /** Receives each line of a failed validation, and the closing line. @default printed to stderr */
  readonly err?: (line: string) => void;
}

/** cdktf 0.21's stack- and app-level validation errors (lib/errors.js): the text before and after the list. */
const VALIDATION_TEXTS = [
  { head: "Validation failed with the following errors:\n  ", tail: "\n\nIf you wish to ignore these validations, pass 'skipValidation: true' to your App configuration.\n", paths: true },
  { head: "App-level validation failed with the following errors:\n  ", tail: "\nValidations allow for dynamic verification of your project.\nTo skip validations, add 'skipValidation: true' to your App config.\n    ", paths: false },
];

/**
 * The problems a cdktf validation error lists, each whole (a message of several lines stays one
 * problem): `[construct path] message` becomes the message alone when it already starts with that
 * path (envkit's guardrail lines do), else `path: message`. Undefined for any other error.
 */
export function validationProblems(e: unknown): string[] | undefined {
  if (!(e instanceof Error)) return undefined;
  const text = VALIDATION_TEXTS.find((t) => e.message.startsWith(t.head));
  if (!text) return undefined;
  const end = e.message.endsWith(text.tail) ? e.message.length - text.tail.length : e.message.length;
  const list = e.message.slice(text.head.length, end);
  // cdktf joins the problems with "\n  "; a stack's each start with "[path] ".
  const items = list.split(text.paths ? /\n {2}(?=\[)/ : "\n  ");
  return items.map((item) => {
    const m = text.paths ? /^\[([^\]]*)\] ([\s\S]*)$/.exec(item) : null;
    if (!m) return item;
    return m[2].startsWith(`${m[1]}: `) || m[2].startsWith(`${m[1]}/`) ? m[2] : `${m[1]}: ${m[2]}`;
  });
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
    // One line each: a line feed inside a problem prints as \u000a.
    for (const p of problems) err(visibleLine(p));
    err(`synth failed: ${problems.length} problem(s) above; fix them and synthesize again`);
    process.exitCode = 1;
    return 1;
  }
}
