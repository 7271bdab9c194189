import { CONTAINER_CPU, CONTAINER_MEMORY, QuantityBound } from "./limits";
import { Parsed, fail, ok } from "./result";

/**
 * CPU and memory are parsed once into canonical integers (millicores, bytes) and rendered per
 * target from there, so `0.5`, `500m` and `"500m"` are the same value everywhere. Parsing is exact
 * (decimal arithmetic on integers, not floating point) and bounded, so every accepted value is a
 * safe integer that each rendering writes in plain digits, never in exponent notation.
 */

/** A decimal literal as `digits / 10^scale`, exactly. */
interface Decimal {
  readonly digits: bigint;
  readonly scale: bigint;
}

// Longer literals are beyond every bound (or finer than any unit) anyway; capping keeps BigInt cheap.
const MAX_LITERAL = 40;

function decimal(intPart: string, fracPart: string | undefined): Decimal {
  const frac = (fracPart ?? "").replace(/0+$/, "");
  return { digits: BigInt(`${intPart}${frac}` || "0"), scale: BigInt(frac.length) };
}

/** `value × factor` as a whole number, or undefined when it is not one. */
function scaled(d: Decimal, factor: bigint): { whole?: bigint; rounded: bigint } {
  const num = d.digits * factor;
  const den = 10n ** d.scale;
  return { whole: num % den === 0n ? num / den : undefined, rounded: (2n * num + den) / (2n * den) };
}

const CPU_RE = /^(\d+)(?:\.(\d+))?(m?)$/;

/**
 * Parses `500m`, `0.5`, `2` (or a number) into millicores, at most `bound.max`
 * (default: {@link CONTAINER_CPU}, 1024 cores).
 */
export function parseCpu(input: string | number, bound: QuantityBound = CONTAINER_CPU): Parsed<number> {
  const text = String(input).trim();
  const m = text.length <= MAX_LITERAL ? CPU_RE.exec(text) : null;
  if (!m) {
    if (text.length > MAX_LITERAL && /^[\d.]+m?$/.test(text)) return fail(`"${text.slice(0, 20)}…" is above the maximum for ${bound.what} (${cpuToKubernetes(bound.max)} cores)`);
    return fail(`"${text}" is not a CPU quantity; write cores ("0.5", "2") or millicores ("500m")`);
  }
  const { whole, rounded } = scaled(decimal(m[1], m[2]), m[3] === "m" ? 1n : 1000n);
  if (whole === undefined) {
    return fail(`"${text}" is finer than 1 millicore; round it, e.g. "${rounded > 0n ? rounded : 1n}m"`);
  }
  if (whole <= 0n) return fail(`"${text}" must be greater than zero`);
  if (whole > BigInt(bound.max)) {
    return fail(`"${text}" is above the maximum for ${bound.what} (${cpuToKubernetes(bound.max)} cores); use at most "${cpuToKubernetes(bound.max)}"`);
  }
  return ok(Number(whole));
}

const MEMORY_UNITS: Readonly<Record<string, bigint>> = {
  "": 1n,
  k: 1000n,
  K: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  P: 1000n ** 5n,
  E: 1000n ** 6n,
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};

const MEMORY_RE = /^(\d+)(?:\.(\d+))?([a-zA-Z]*)$/;

/**
 * Parses `512Mi`, `2Gi`, `512M`, `1G`, or a byte count into bytes, at most `bound.max`
 * (default: {@link CONTAINER_MEMORY}, 1Pi).
 */
export function parseMemory(input: string | number, bound: QuantityBound = CONTAINER_MEMORY): Parsed<number> {
  const text = String(input).trim();
  const m = text.length <= MAX_LITERAL ? MEMORY_RE.exec(text) : null;
  if (!m) {
    if (text.length > MAX_LITERAL && /^[\d.]+[a-zA-Z]*$/.test(text)) return fail(`"${text.slice(0, 20)}…" is above the maximum for ${bound.what} (${memoryToKubernetes(bound.max)})`);
    return fail(`"${text}" is not a memory quantity; write e.g. "512Mi" or "2Gi"`);
  }
  const unit = m[3];
  const factor = Object.hasOwn(MEMORY_UNITS, unit) ? MEMORY_UNITS[unit] : undefined;
  if (factor === undefined) {
    const guess = suggestMemoryUnit(unit);
    const number = m[2] === undefined ? m[1] : `${m[1]}.${m[2]}`;
    return fail(
      `"${text}" has an unknown unit "${unit}"; ${guess ? `did you mean "${number}${guess}"? ` : ""}` +
        `units are Ki, Mi, Gi, Ti, Pi (powers of 1024) or k, M, G, T, P (powers of 1000)`,
    );
  }
  const { whole } = scaled(decimal(m[1], m[2]), factor);
  if (whole === undefined) return fail(`"${text}" is not a whole number of bytes`);
  if (whole <= 0n) return fail(`"${text}" must be greater than zero`);
  if (whole > BigInt(bound.max)) return fail(`"${text}" is above the maximum for ${bound.what} (${memoryToKubernetes(bound.max)}); use at most "${memoryToKubernetes(bound.max)}"`);
  return ok(Number(whole));
}

function suggestMemoryUnit(unit: string): string | undefined {
  const u = unit.toLowerCase().replace(/ib$/, "i").replace(/b$/, "");
  const map: Readonly<Record<string, string>> = { k: "Ki", ki: "Ki", m: "Mi", mi: "Mi", g: "Gi", gi: "Gi", t: "Ti", ti: "Ti", p: "Pi", pi: "Pi" };
  return Object.hasOwn(map, u) ? map[u] : undefined;
}

/** Kubernetes rendering of millicores: `500m`, or `2` for whole cores. */
export function cpuToKubernetes(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Docker rendering of millicores: the `cpus` string, e.g. `0.5`. */
export function cpuToDocker(milli: number): string {
  // Built from the integer so no floating-point division can print `1e-3`-style or `0.30000000000000004`.
  const cores = Math.floor(milli / 1000);
  const frac = String(milli % 1000).padStart(3, "0").replace(/0+$/, "");
  return frac ? `${cores}.${frac}` : String(cores);
}

const BINARY_UNITS: readonly (readonly [string, number])[] = [
  ["Pi", 1024 ** 5],
  ["Ti", 1024 ** 4],
  ["Gi", 1024 ** 3],
  ["Mi", 1024 ** 2],
  ["Ki", 1024],
];

const DECIMAL_UNITS = ["", "k", "M", "G", "T", "P"];

/**
 * Kubernetes rendering of bytes, in the canonical form the API server gives back (apimachinery's
 * Quantity.String()): the largest binary unit that divides evenly, else the largest power of
 * 1000 (`500M` for 500000000 bytes), else bytes. A map without the provider's
 * quantity-equivalence check (the LimitRange's `default` and `default_request`) showed a change on
 * every plan when it was written otherwise ("500000000" read back as "500M").
 */
export function memoryToKubernetes(bytes: number): string {
  for (const [unit, f] of BINARY_UNITS) {
    if (bytes % f === 0) return `${bytes / f}${unit}`;
  }
  let n = bytes;
  let i = 0;
  while (n !== 0 && n % 1000 === 0 && i < DECIMAL_UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n}${DECIMAL_UNITS[i]}`;
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
