/**
 * Layering semantics (the environment over the application), in one place:
 * - maps merge by key, recursively;
 * - lists whose items all carry a string `name` merge by name: items keep the base order, an
 *   overlay item with a known name merges into it, new names are appended;
 * - scalars and plain lists (command, args, connections, secrets…) are replaced by the overlay;
 * - `undefined` in the overlay leaves the base value.
 * Inputs are never mutated.
 */
export function layer(base: unknown, overlay: unknown): unknown {
  if (overlay === undefined) return clone(base);
  if (isPlainObject(base) && isPlainObject(overlay)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(base)) out[k] = clone(base[k]);
    for (const k of Object.keys(overlay)) out[k] = k in base ? layer(base[k], overlay[k]) : clone(overlay[k]);
    return out;
  }
  if (isNamedList(base) && isNamedList(overlay)) {
    const byName = new Map<string, Record<string, unknown>>();
    for (const item of overlay) byName.set(item.name as string, item);
    const out: unknown[] = base.map((item) => {
      const o = byName.get(item.name as string);
      return o ? layer(item, o) : clone(item);
    });
    const baseNames = new Set(base.map((i) => i.name as string));
    for (const item of overlay) if (!baseNames.has(item.name as string)) out.push(clone(item));
    return out;
  }
  return clone(overlay);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A non-empty list whose every item is an object with a string `name`. */
export function isNamedList(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every((i) => isPlainObject(i) && typeof i.name === "string");
}

function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as unknown as T;
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = clone(v[k]);
    return out as T;
  }
  return v;
}
