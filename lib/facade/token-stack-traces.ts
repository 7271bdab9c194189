import { cdktfInternals } from "./cdktf-internals";

/** Stands in for cdktf's capture while envkit builds its own constructs: no trace. */
const noTrace = (): string[] => [];

/**
 * Runs `fn` with cdktf's token stack traces switched off, and restores whatever capture was in
 * place before (also when `fn` throws; calls nest).
 *
 * cdktf captures a full stack trace for every token it creates (a quarter of the synthesis time of
 * a large app), and reads it only to point at the creating code when a token fails to resolve.
 * envkit's own constructs create tokens by the thousand and do not need that; the consumer's own
 * code, outside `fn`, keeps its traces. Set `ENVKIT_TOKEN_STACK_TRACES=1` to keep them inside `fn`
 * too (when debugging a "cannot resolve" error that involves envkit's resources). On a cdktf other
 * than the supported version nothing is switched off (see cdktf-internals.ts).
 */
export function withoutTokenStackTraces<T>(fn: () => T): T {
  const internals = process.env.ENVKIT_TOKEN_STACK_TRACES === "1" ? undefined : cdktfInternals();
  if (!internals) return fn();
  const module = internals.stackTrace;
  const saved = module.captureStackTrace;
  module.captureStackTrace = noTrace;
  try {
    return fn();
  } finally {
    module.captureStackTrace = saved;
  }
}
