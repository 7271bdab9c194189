/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

/** Documented exit codes of every verb. */
export const EXIT = {
  /** Success; warnings may have been printed. */
  ok: 0,
  /** The input is invalid, or a mandatory guardrail finding / a failed check. */
  invalid: 1,
  /** Wrong command-line usage (unknown verb or flag, missing argument). */
  usage: 2,
  /** An unexpected internal error (a bug: please report it). */
  internal: 3,
} as const;

/** A usage problem: printed with the verb's help, exit code 2. */
export class UsageError extends Error {}
