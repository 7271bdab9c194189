import { HEALTH_CHECK_KINDS, ROLLOUT_FIELDS, RolloutStrategy } from "../model/environment";
import { setOwn } from "../model/own-key";

/**
 * Layering semantics (the environment over the application), in one place:
 * - maps merge by key, recursively;
 * - lists whose items all carry a string `name` merge by name: items keep the base order, an
 *   overlay item with a known name merges into it, new names are appended;
 * - scalars and plain lists (command, args, connections, secrets…) are replaced by the overlay;
 * - `undefined` in the overlay leaves the base value; `null` replaces it (`health: null` removes
 *   the application's check);
 * - keys that exclude each other ({@link EXCLUSIVE_KEYS}): where the overlay sets one, the base's
 *   others are dropped, so an environment's `health.http` replaces the app's `health.command`;
 *   an overlay that changes `services.<svc>.rollout.strategy` drops the old strategy's fields.
 * Paths are those of the whole document (app.yaml over an environment file's root).
 * Inputs are never mutated. Only own keys count, so a key such as `constructor` or `toString`
 * is an ordinary key here (never Object.prototype's), and `__proto__` stays a plain key.
 */
export function layer(base: unknown, overlay: unknown): unknown {
  return layerAt(base, overlay, []);
}

/**
 * Groups of keys of which a layered object keeps only the overlay's (paths as in defaults.ts:
 * `*` is any key). A health check has one kind; a probe is a tool or a command.
 */
export const EXCLUSIVE_KEYS: readonly { readonly path: string; readonly keys: readonly string[] }[] = [
  { path: "services.*.health", keys: HEALTH_CHECK_KINDS },
  { path: "services.*.health.readiness", keys: HEALTH_CHECK_KINDS },
  { path: "services.*.health.liveness", keys: HEALTH_CHECK_KINDS },
  { path: "services.*.health.startup", keys: HEALTH_CHECK_KINDS },
  { path: "services.*.health.probe", keys: ["tool", "command"] },
  { path: "services.*.backup.to", keys: ["volume", "hostPath", "claim", "objectStore"] },
];

function matches(path: string, at: readonly string[]): boolean {
  const segs = path.split(".");
  return segs.length === at.length && segs.every((s, i) => s === "*" || s === at[i]);
}

function exclusiveAt(at: readonly string[]): readonly string[] | undefined {
  return EXCLUSIVE_KEYS.find((rule) => matches(rule.path, at))?.keys;
}

/**
 * An overlay that changes a service's rollout strategy drops the base's fields of the old one
 * (an app-wide blue-green's `slots` mean nothing to an environment's `strategy: rolling`).
 */
const STRATEGY_PATH = "services.*.rollout";

function strategyDropped(base: Record<string, unknown>, overlay: Record<string, unknown>, at: readonly string[]): ReadonlySet<string> | undefined {
  if (!matches(STRATEGY_PATH, at) || typeof overlay.strategy !== "string" || overlay.strategy === base.strategy || !Object.hasOwn(ROLLOUT_FIELDS, overlay.strategy)) return undefined;
  const keep = new Set(["strategy", "timeout", ...ROLLOUT_FIELDS[overlay.strategy as RolloutStrategy]]);
  return new Set(Object.keys(base).filter((k) => !keep.has(k)));
}

function layerAt(base: unknown, overlay: unknown, at: readonly string[]): unknown {
  if (overlay === undefined) return clone(base);
  if (isPlainObject(base) && isPlainObject(overlay)) {
    const out: Record<string, unknown> = {};
    const exclusive = exclusiveAt(at);
    const replaced = exclusive?.some((k) => Object.hasOwn(overlay, k) && overlay[k] !== undefined) ? new Set(exclusive) : strategyDropped(base, overlay, at);
    for (const k of Object.keys(base)) if (!replaced?.has(k)) setOwn(out, k, clone(base[k]));
    for (const k of Object.keys(overlay)) setOwn(out, k, Object.hasOwn(out, k) ? layerAt(out[k], overlay[k], [...at, k]) : clone(overlay[k]));
    return out;
  }
  if (isNamedList(base) && isNamedList(overlay)) {
    const byName = new Map<string, Record<string, unknown>>();
    for (const item of overlay) byName.set(item.name as string, item);
    const out: unknown[] = base.map((item) => {
      const o = byName.get(item.name as string);
      return o ? layerAt(item, o, [...at, item.name as string]) : clone(item);
    });
    const baseNames = new Set(base.map((i) => i.name as string));
    for (const item of overlay) if (!baseNames.has(item.name as string)) out.push(clone(item));
    return out;
  }
  return clone(overlay);
}

export { setOwn } from "../model/own-key";

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A non-empty list whose every item is an object with a string `name`. */
export function isNamedList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((i) => isPlainObject(i) && typeof i.name === "string");
}

/** A deep copy of plain data (lists, plain objects, scalars), own keys kept own (`__proto__` too). */
export function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as unknown as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, clone(v[k]));
    return out as T;
  }
  return v;
}
