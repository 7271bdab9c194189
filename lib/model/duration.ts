import { Parsed, fail, ok } from "./result";

const DURATION_RE = /^(\d+)(ms|s|m|h)$/;
const FACTOR: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
/** The longest duration accepted: one day. */
export const MAX_DURATION_SECONDS = 24 * 3600;

/** Parses `30s`, `5m`, `1h`, `500ms` into seconds (may be fractional for ms). */
export function parseDuration(input: string): Parsed<number> {
  const m = DURATION_RE.exec(String(input).trim());
  if (!m) return fail(`"${input}" is not a duration; write e.g. "30s", "5m" or "1h"`);
  const seconds = Number(m[1]) * FACTOR[m[2]];
  // Terraform's Go durations, Docker's health timings and Kubernetes' int32 probe seconds all
  // overflow long before this; no check or rollout envkit emits needs more than a day.
  if (seconds > MAX_DURATION_SECONDS) return fail(`"${input}" is longer than ${MAX_DURATION_SECONDS / 3600}h, the longest duration envkit accepts (checks and rollouts that wait longer never finish); use at most "24h"`);
  return ok(seconds);
}

/** Go-style duration string that Docker and Terraform accept, e.g. `30s`. */
export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60}m`;
  if (Number.isInteger(seconds)) return `${seconds}s`;
  return `${Math.round(seconds * 1000)}ms`;
}
