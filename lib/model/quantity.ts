import { Parsed, fail, ok } from "./result";

/**
 * CPU and memory are parsed once into canonical integers (millicores, bytes) and rendered per
 * target from there, so `0.5`, `500m` and `"500m"` are the same value everywhere.
 */

const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;

/** Parses `500m`, `0.5`, `2` (or a number) into millicores. */
export function parseCpu(input: string | number): Parsed<number> {
  const text = String(input).trim();
  const m = CPU_RE.exec(text);
  if (!m) {
    return fail(`"${text}" is not a CPU quantity; write cores ("0.5", "2") or millicores ("500m")`);
  }
  const n = Number(m[1]);
  const exact = m[2] === "m" ? n : n * 1000;
  const milli = Math.round(exact);
  if (Math.abs(exact - milli) > 1e-9) {
    return fail(`"${text}" is finer than 1 millicore; round it, e.g. "${milli}m"`);
  }
  if (milli <= 0) return fail(`"${text}" must be greater than zero`);
  return ok(milli);
}

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

const MEMORY_RE = /^(\d+(?:\.\d+)?)([a-zA-Z]*)$/;

/** Parses `512Mi`, `2Gi`, `512M`, `1G`, or a byte count into bytes. */
export function parseMemory(input: string | number): Parsed<number> {
  const text = String(input).trim();
  const m = MEMORY_RE.exec(text);
  if (!m) return fail(`"${text}" is not a memory quantity; write e.g. "512Mi" or "2Gi"`);
  const unit = m[2];
  const factor = MEMORY_UNITS[unit];
  if (factor === undefined) {
    const guess = suggestMemoryUnit(unit);
    return fail(
      `"${text}" has an unknown unit "${unit}"; ${guess ? `did you mean "${m[1]}${guess}"? ` : ""}` +
        `units are Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000)`,
    );
  }
  const bytes = Number(m[1]) * factor;
  if (!Number.isInteger(bytes)) return fail(`"${text}" is not a whole number of bytes`);
  if (bytes <= 0) return fail(`"${text}" must be greater than zero`);
  return ok(bytes);
}

function suggestMemoryUnit(unit: string): string | undefined {
  const u = unit.toLowerCase().replace(/b$/, "").replace(/ib$/, "i");
  const map: Record<string, string> = { k: "Ki", ki: "Ki", m: "Mi", mi: "Mi", g: "Gi", gi: "Gi", t: "Ti", ti: "Ti" };
  return map[u];
}

/** Kubernetes rendering of millicores: `500m`, or `2` for whole cores. */
export function cpuToKubernetes(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Docker rendering of millicores: the `cpus` string, e.g. `0.5`. */
export function cpuToDocker(milli: number): string {
  return String(milli / 1000);
}

/** Kubernetes rendering of bytes: the largest binary unit that divides evenly, else bytes. */
export function memoryToKubernetes(bytes: number): string {
  for (const [unit, f] of [["Ti", 1024 ** 4], ["Gi", 1024 ** 3], ["Mi", 1024 ** 2], ["Ki", 1024]] as const) {
    if (bytes % f === 0) return `${bytes / f}${unit}`;
  }
  return String(bytes);
}

/** Docker's `memory` attribute is in MiB (rounded up so a limit is never silently lowered). */
export function memoryToDockerMb(bytes: number): number {
  return Math.ceil(bytes / 1024 ** 2);
}

/** Human rendering for messages: `1.5Gi`, `512Mi`. */
export function formatMemory(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${+(bytes / 1024 ** 3).toFixed(2)}Gi`;
  return `${+(bytes / 1024 ** 2).toFixed(2)}Mi`;
}

/** Human rendering for messages: `1500m`. */
export function formatCpu(milli: number): string {
  return `${milli}m`;
}
