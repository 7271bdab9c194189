import { Parsed, fail, ok } from "./result";

const DURATION_RE = /^(\d+)(ms|s|m|h)$/;
const FACTOR: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Parses `30s`, `5m`, `1h`, `500ms` into seconds (may be fractional for ms). */
export function parseDuration(input: string): Parsed<number> {
  const m = DURATION_RE.exec(String(input).trim());
  if (!m) return fail(`"${input}" is not a duration; write e.g. "30s", "5m" or "1h"`);
  return ok(Number(m[1]) * FACTOR[m[2]]);
}

/** Go-style duration string that Docker and Terraform accept, e.g. `30s`. */
export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0 && seconds >= 3600) return `${seconds / 3600}h`;
  if (seconds % 60 === 0 && seconds >= 60) return `${seconds / 60}m`;
  if (Number.isInteger(seconds)) return `${seconds}s`;
  return `${Math.round(seconds * 1000)}ms`;
}
