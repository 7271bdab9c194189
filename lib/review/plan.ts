import { isDeepStrictEqual } from "node:util";
import { EnvkitError } from "../errors";
import { addConsequences } from "./consequences";
import { attributeChanges } from "./attr-diff";
import { DiffReport, ResourceChange, readableName, summarize } from "./stack-diff";
import { holdsData } from "./replacement";

type Json = Record<string, unknown>;

/** What a value Terraform marks sensitive becomes in the report. */
export const SENSITIVE = "(sensitive)";
/** A sensitive value that differs between before and after: masked too, but the change still shows. */
export const SENSITIVE_CHANGED = "(sensitive, changed)";

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The sensitivity of child `key` (own keys only: `constructor` is a fine attribute name). */
function child(tree: unknown, key: string | number): unknown {
  if (Array.isArray(tree)) return typeof key === "number" ? tree[key] : undefined;
  return isObject(tree) && Object.hasOwn(tree, key) ? tree[key] : undefined;
}

/** Whether a `before_sensitive`/`after_sensitive` tree marks anything. */
function marksAny(tree: unknown): boolean {
  if (tree === true) return true;
  if (Array.isArray(tree)) return tree.some(marksAny);
  return isObject(tree) && Object.values(tree).some(marksAny);
}

/** Whether the tree can be followed into the value (same container kind), or marks nothing. */
function fits(value: unknown, tree: unknown): boolean {
  return !marksAny(tree) || (Array.isArray(value) && Array.isArray(tree)) || (isObject(value) && isObject(tree));
}

/**
 * One side alone: replaces every value the tree marks `true` (scalars, lists, whole objects) with
 * {@link SENSITIVE}. Where the tree's shape does not fit the value, the whole value is masked.
 */
export function maskValue(value: unknown, tree: unknown): unknown {
  if (value === undefined) return undefined;
  if (tree === true) return SENSITIVE;
  if (!marksAny(tree)) return value;
  if (Array.isArray(value) && Array.isArray(tree)) return value.map((v, i) => maskValue(v, tree[i]));
  if (isObject(value) && isObject(tree)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v, child(tree, k))]));
  return SENSITIVE;
}

/**
 * Masks before and after together, following `before_sensitive` and `after_sensitive`, so that no
 * path of the diff can carry a sensitive value, whatever the flattening does with lists (a plain
 * list is one leaf; a list of objects is addressed by name). A value marked on either side is
 * masked on both, and one that changed becomes {@link SENSITIVE_CHANGED} after, so the diff still
 * reports that it changed.
 */
export function maskChange(before: unknown, after: unknown, beforeTree: unknown, afterTree: unknown): [unknown, unknown] {
  if (beforeTree === true || afterTree === true) {
    const changed = before !== undefined && !isDeepStrictEqual(before, after);
    return [before === undefined ? undefined : SENSITIVE, after === undefined ? undefined : changed ? SENSITIVE_CHANGED : SENSITIVE];
  }
  if (!marksAny(beforeTree) && !marksAny(afterTree)) return [before, after];
  if (fits(before, beforeTree) && fits(after, afterTree)) {
    if (Array.isArray(before) && Array.isArray(after)) {
      const b: unknown[] = [];
      const a: unknown[] = [];
      for (let i = 0; i < Math.max(before.length, after.length); i++) {
        const [x, y] = maskChange(before[i], after[i], child(beforeTree, i), child(afterTree, i));
        if (i < before.length) b.push(x);
        if (i < after.length) a.push(y);
      }
      return [b, a];
    }
    if (isObject(before) && isObject(after)) {
      const b: Json = {};
      const a: Json = {};
      for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
        const [x, y] = maskChange(Object.hasOwn(before, k) ? before[k] : undefined, Object.hasOwn(after, k) ? after[k] : undefined, child(beforeTree, k), child(afterTree, k));
        if (Object.hasOwn(before, k)) Object.defineProperty(b, k, { value: x, enumerable: true, writable: true, configurable: true });
        if (Object.hasOwn(after, k)) Object.defineProperty(a, k, { value: y, enumerable: true, writable: true, configurable: true });
      }
      return [b, a];
    }
  }
  // Different shapes (a create, a delete, a list that became null): each side alone, except that
  // a side whose tree marks nothing is masked whole when the other side marks something here.
  const b = maskValue(before, marksAny(afterTree) && !marksAny(beforeTree) ? true : beforeTree);
  const a = maskValue(after, marksAny(beforeTree) && !marksAny(afterTree) ? true : afterTree);
  return [b, a !== undefined && isDeepStrictEqual(a, b) && !isDeepStrictEqual(before, after) ? SENSITIVE_CHANGED : a];
}

/**
 * A resource marked sensitive as a whole (`true`, or a tree of the wrong shape that marks
 * something) becomes "every attribute sensitive", so the report still lists which attributes
 * changed (their names come from the provider schema, not from the data).
 */
function perAttribute(tree: unknown, value: unknown, change: Json): unknown {
  if (tree !== true && (!marksAny(tree) || isObject(tree) || !isObject(value))) return tree;
  const keys = [change.before, change.after].flatMap((v) => (isObject(v) ? Object.keys(v) : []));
  return Object.fromEntries(keys.map((k) => [k, true]));
}

/** The flattened JSON of a bare marker, shown unquoted as synthesized diffs show masked values. */
function unquote(v: string | undefined): string | undefined {
  return v === JSON.stringify(SENSITIVE) || v === JSON.stringify(SENSITIVE_CHANGED) ? (JSON.parse(v) as string) : v;
}

function toChange(rc: Json, drift: boolean): ResourceChange | undefined {
  const change = (rc.change ?? {}) as Json;
  const actions = (change.actions as string[] | undefined) ?? [];
  if (actions.length === 0 || actions.every((a) => a === "no-op" || a === "read")) return undefined;
  const type = String(rc.type);
  const action = actions.includes("delete") && actions.includes("create") ? "replace" : actions.includes("delete") ? "delete" : actions.includes("create") ? "create" : "update";
  // Mask the values themselves before diffing: then no attribute path, however flattened, and
  // no readable name can carry what Terraform marks sensitive.
  const [before, after] = masked(rc);
  const replacePaths = ((change.replace_paths as unknown[][] | undefined) ?? []).map((rp) => rp.filter((s) => typeof s === "string").join("."));
  const attributes = attributeChanges(type, isObject(before) ? before : undefined, isObject(after) ? after : undefined).map((a) => ({
    ...a,
    before: unquote(a.before),
    after: unquote(a.after),
    forcesReplacement: action === "replace" && replacePaths.some((r) => (a.schemaPath ?? a.path) === r || (a.schemaPath ?? a.path).startsWith(`${r}.`)),
  }));
  const name = readableName((isObject(after) ? after : undefined) ?? (isObject(before) ? before : undefined));
  const readable = name !== undefined && name !== SENSITIVE && name !== SENSITIVE_CHANGED ? name : undefined;
  return { address: String(rc.address), type, name: readable, action, attributes: action === "delete" ? [] : attributes, dataLoss: (action === "delete" || action === "replace") && holdsData(type), drift: drift || undefined };
}

/** Both sides of one entry, masked as Terraform marks them. */
function masked(rc: Json): [unknown, unknown] {
  const change = (rc.change ?? {}) as Json;
  return maskChange(change.before ?? undefined, change.after ?? undefined, perAttribute(change.before_sensitive, change.before, change), perAttribute(change.after_sensitive, change.after, change));
}

/** A stack-shaped object of one side of a plan's masked values, for the consequence rules. */
function pseudoStack(entries: readonly Json[], side: 0 | 1): Json {
  const resource: Record<string, Record<string, unknown>> = {};
  for (const rc of entries) {
    const v = masked(rc)[side];
    if (isObject(v) && rc.mode !== "data") (resource[String(rc.type)] ??= {})[String(rc.address).slice(String(rc.type).length + 1)] = v;
  }
  return { resource };
}

/**
 * Renders the JSON of `terraform show -json plan.out` (format 1.x) into the same report as a
 * synthesized diff: Terraform's own actions decide create/update/replace/delete, and values it
 * marks sensitive (`before_sensitive`/`after_sensitive`, down to list elements and nested blocks)
 * are masked in the values before diffing, along with envkit's own sensitive paths.
 * `resource_drift` (what refreshing found changed outside Terraform) is reported in the same
 * layout, apart from the planned changes.
 */
export function planToReport(plan: unknown, env: string, file = "plan.json"): DiffReport {
  const p = plan as Json;
  if (!p || typeof p !== "object" || !Array.isArray(p.resource_changes)) {
    throw new EnvkitError([{ file, path: "resource_changes", message: 'is missing; pass the output of "terraform show -json <planfile>"' }]);
  }
  if (p.resource_drift !== undefined && !Array.isArray(p.resource_drift)) {
    throw new EnvkitError([{ file, path: "resource_drift", message: 'is not a list; pass the output of "terraform show -json <planfile>"' }]);
  }
  const entries = (p.resource_changes as unknown[]).filter(isObject);
  const planned = entries.map((rc) => toChange(rc, false)).filter((c): c is ResourceChange => c !== undefined);
  // The consequence rules read resource bodies: the masked ones, so no sensitive value reaches them.
  const changes = addConsequences(pseudoStack(entries, 0), pseudoStack(entries, 1), planned);
  const drift = ((p.resource_drift as unknown[] | undefined) ?? []).filter(isObject).map((rc) => toChange(rc, true)).filter((c): c is ResourceChange => c !== undefined);
  const environments = [{ env, status: changes.length || drift.length ? ("changed" as const) : ("unchanged" as const), changes, drift, connectionsChanged: false }];
  return { summary: summarize(environments), environments };
}
