import type { z } from "zod";
import { ConfigIssue } from "../errors";
import { didYouMean } from "./suggest";
import { SourceDocument, lineAt, namedPath, pathKey } from "./yaml-source";

type AnySchema = z.core.$ZodType;

/** The keys an object schema accepts at `path` (empty when the path is not an object). */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  const out = new Set<string>();
  for (const s of schemasAt(schema, path)) {
    const def = defOf(s);
    if (def.type === "object") for (const k of Object.keys(def.shape as Record<string, AnySchema>)) out.add(k);
  }
  return [...out];
}

/** The schemas that apply at `path` (wrappers removed; a union and each of its options). */
function schemasAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema[] {
  const out: AnySchema[] = [];
  const visit = (s: AnySchema, i: number): void => {
    const def = defOf(s);
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "readonly":
        return visit(def.innerType as AnySchema, i);
      case "pipe":
        return visit(def.in as AnySchema, i);
      case "union":
        if (i === path.length) out.push(s);
        for (const o of def.options as AnySchema[]) visit(o, i);
        return;
      case "object": {
        if (i === path.length) out.push(s);
        const shape = def.shape as Record<string, AnySchema>;
        if (i < path.length && shape[String(path[i])]) visit(shape[String(path[i])], i + 1);
        return;
      }
      case "record":
        if (i === path.length) out.push(s);
        else visit(def.valueType as AnySchema, i + 1);
        return;
      case "array":
        if (i === path.length) out.push(s);
        else visit(def.element as AnySchema, i + 1);
        return;
      default:
        if (i === path.length) out.push(s);
        return;
    }
  };
  visit(schema, 0);
  return out;
}

function defOf(s: AnySchema): Record<string, unknown> {
  return (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
}

/** The bounds a number, string or list schema declares (the tightest of its checks). */
interface Bounds {
  min?: number;
  minInclusive: boolean;
  max?: number;
  maxInclusive: boolean;
  /** Numbers only: the schema wants a whole number. */
  int: boolean;
}

function boundsOf(schemas: readonly AnySchema[], type: "number" | "string" | "array"): Bounds {
  const b: Bounds = { minInclusive: true, maxInclusive: true, int: false };
  for (const s of schemas) {
    const def = defOf(s);
    if (def.type !== type) continue;
    for (const c of (def.checks as { _zod: { def: Record<string, unknown> } }[] | undefined) ?? []) {
      const cd = c._zod.def;
      if (cd.check === "number_format" && /int/.test(String(cd.format))) b.int = true;
      else if (cd.check === "greater_than" && typeof cd.value === "number" && (b.min === undefined || cd.value > b.min)) {
        b.min = cd.value;
        b.minInclusive = cd.inclusive !== false;
      } else if (cd.check === "less_than" && typeof cd.value === "number" && (b.max === undefined || cd.value < b.max)) {
        b.max = cd.value;
        b.maxInclusive = cd.inclusive !== false;
      } else if ((cd.check === "min_length" || cd.check === "length_equals") && typeof (cd.minimum ?? cd.length) === "number") {
        const n = (cd.minimum ?? cd.length) as number;
        if (b.min === undefined || n > b.min) b.min = n;
      }
      if ((cd.check === "max_length" || cd.check === "length_equals") && typeof (cd.maximum ?? cd.length) === "number") {
        const n = (cd.maximum ?? cd.length) as number;
        if (b.max === undefined || n < b.max) b.max = n;
      }
    }
  }
  return b;
}

/** "from 1 to 100", "of at least 0", "above 0", "" — the allowed range in words. */
function rangeWords(b: Bounds): string {
  const lo = b.min === undefined ? undefined : b.minInclusive ? `at least ${b.min}` : `above ${b.min}`;
  const hi = b.max === undefined ? undefined : b.maxInclusive ? `at most ${b.max}` : `below ${b.max}`;
  if (b.min !== undefined && b.max !== undefined && b.minInclusive && b.maxInclusive) return b.min === b.max ? `of exactly ${b.min}` : `from ${b.min} to ${b.max}`;
  if (lo && hi) return `${lo} and ${hi}`;
  return lo ? (b.minInclusive ? `of ${lo}` : lo) : hi ? (b.maxInclusive ? `of ${hi}` : hi) : "";
}

/** The fix for a number: "use a whole number from 0 to 1000". */
function numberFix(b: Bounds): string {
  const range = rangeWords(b);
  return `use a ${b.int ? "whole number" : "finite number"}${range ? ` ${range}` : ""}`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** The fix for a string's length or a list's size: "use 1 to 64 characters", "list at least 1 item". */
function sizeFix(b: Bounds, what: "character" | "item"): string {
  const verb = what === "item" ? "list" : "use";
  if (b.min !== undefined && b.max !== undefined) return b.min === b.max ? `${verb} exactly ${plural(b.min, what)}` : `${verb} ${b.min} to ${b.max} ${what}s`;
  if (b.min !== undefined) return `${verb} at least ${plural(b.min, what)}`;
  if (b.max !== undefined) return `${verb} at most ${plural(b.max, what)}`;
  return "";
}

/** Messages zod writes itself (a schema's own message, e.g. "ports are 1-65535", is kept). */
const ZOD_DEFAULT_BOUND = /^Too (small|big):/;

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg as string];
  }
  return cur;
}

/**
 * Path segments and keys that may hold a secret: values under them are never echoed. `value` is
 * included because `{ name, value }` is how people write a secret they should not write.
 */
const SECRET_LIKE = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY|CONN_?STR|AUTH|^value$/i;
/** Strings that are credentials whatever their key: a URL with a password, a PEM block. */
const CREDENTIAL_TEXT = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@|-----BEGIN /i;

/** True when a value at `segments` may be a secret (any segment looks like one). */
export function isSecretPath(segments: readonly (string | number)[]): boolean {
  return segments.some((s) => typeof s === "string" && SECRET_LIKE.test(s));
}

/**
 * A bad value for a message. Lists and maps are never echoed (their type and keys are: a map's
 * values may be secrets); scalars under a secret-like path, and strings that look like
 * credentials, are described by type only; other scalars are shown, cut to 60 characters.
 */
export function describeValue(v: unknown, segments: readonly (string | number)[]): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `a list of ${v.length} item${v.length === 1 ? "" : "s"}`;
  if (typeof v === "object") {
    const keys = Object.keys(v).map((k) => (k.length > 30 ? `${k.slice(0, 27)}...` : k));
    return keys.length === 0 ? "an empty object" : `an object with keys ${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", ..." : ""}`;
  }
  const type = typeof v === "string" ? "a string" : typeof v === "number" || typeof v === "bigint" ? "a number" : typeof v === "boolean" ? "a boolean" : `a ${typeof v}`;
  if (typeof v === "function" || typeof v === "symbol") return type;
  if (isSecretPath(segments)) return `${type} (not shown: this path may hold a secret)`;
  if (typeof v === "string" && CREDENTIAL_TEXT.test(v)) return `${type} (not shown: it looks like a credential)`;
  if (typeof v === "number") return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** An allowed value from the schema (never user input), for "use one of ..." hints. */
function showAllowed(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/**
 * Turns zod's issues into envkit issues: `file:line: path: message`, naming the bad value and the
 * fix; unknown keys get a "did you mean" hint from the schema's known keys.
 */
export function fromZod(
  error: z.core.$ZodError,
  schema: AnySchema,
  data: unknown,
  locate: (segments: (string | number)[]) => { file?: string; line?: number },
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const issue of expandNumberUnions(error.issues, data)) {
    const segs = namedPath(data, issue.path);
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const at = [...segs, key];
        issues.push({ ...locate(at), path: pathKey(at), message: `unknown key "${key}"${didYouMean(key, known)}; allowed keys: ${known.sort().join(", ")}` });
      }
      continue;
    }
    const value = valueAt(data, issue.path);
    const show = (v: unknown): string => describeValue(v, segs);
    let message = issue.message;
    const bound = boundMessage(issue, value, schemasAt(schema, issue.path), show, isSecretPath(segs));
    if (bound !== undefined) {
      message = bound;
    } else if (issue.code === "invalid_type" && issue.expected === "never") {
      message = `is not accepted here: ${issue.message}`;
    } else if (issue.code === "invalid_type") {
      message = value === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${show(value)}`;
    } else if (issue.code === "invalid_value") {
      message = `${show(value)} is not allowed; use one of ${issue.values.map(showAllowed).join(", ")}`;
    } else if (issue.code === "invalid_union" && /Expected /.test(issue.message)) {
      // Discriminated unions (e.g. backend.type) list the allowed values in their message.
      const allowed = (issue.message.split("Expected ")[1] ?? "").split("|").map((s) => `"${s.trim().replace(/^'|'$/g, "")}"`);
      message = `unknown type ${show(value)}; use one of ${allowed.join(", ")}`;
    } else if (issue.code !== "custom" && value !== undefined) {
      message = `${message} (got ${show(value)})`;
    }
    // Two zod checks can fail for one value (the safe-integer range and an explicit minimum): say it once.
    const key = `${pathKey(segs)}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ ...locate(segs), path: pathKey(segs), message });
  }
  return issues;
}

/**
 * A number that fails every option of a union (e.g. `maxUnavailable: 1.5`) is reported by the
 * option of its type (the number one), so the message can name that option's range.
 */
function expandNumberUnions(issues: readonly z.core.$ZodIssue[], data: unknown): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    const value = valueAt(data, issue.path);
    if (issue.code === "invalid_union" && typeof value === "number" && Number.isFinite(value)) {
      const typed = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.code !== "invalid_type" || i.expected === "int"));
      if (typed) {
        out.push(...typed.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue));
        continue;
      }
    }
    out.push(issue);
  }
  return out;
}

/** The fix a union gives for a string (e.g. a CPU quantity's "write cores ... or millicores ..."). */
function stringFix(schemas: readonly AnySchema[], v: number): string | undefined {
  const union = schemas.find((s) => defOf(s).type === "union");
  if (!union || !schemas.some((s) => defOf(s).type === "string")) return undefined;
  const r = (union as unknown as z.ZodType).safeParse(String(v));
  const m = r.success ? undefined : r.error.issues.find((i) => i.code === "custom" || i.code === "invalid_format")?.message;
  if (!m) return undefined;
  // Parser messages are "<value> is not ...; <fix>": keep the fix (the value quoted is the string, not the user's number).
  return m.includes("; ") ? m.slice(m.indexOf("; ") + 2) : m;
}

/**
 * envkit's message for a value outside a declared range, a non-integer where a whole number is
 * wanted, and NaN/Infinity where a number is wanted: the value (through `show`, so secrets and
 * lists are never echoed), the range and the fix. Undefined when the issue is none of those, or
 * carries the schema's own message (kept as written).
 */
function boundMessage(
  issue: z.core.$ZodIssue,
  value: unknown,
  schemas: readonly AnySchema[],
  show: (v: unknown) => string,
  secret: boolean,
): string | undefined {
  const numeric = typeof value === "number";
  if (numeric && !Number.isFinite(value) && (issue.code === "invalid_type" || issue.code === "invalid_union")) {
    const what = Number.isNaN(value) ? "is not a number (.nan in YAML)" : `is not a finite number (${value > 0 ? "" : "-"}.inf in YAML)`;
    const b = boundsOf(schemas, "number");
    const fix = stringFix(schemas, value) ?? numberFix(b);
    return `${show(value)} ${what}; ${fix}`;
  }
  if (numeric && issue.code === "invalid_type" && issue.expected === "int") {
    return `${show(value)} is not a whole number; ${numberFix({ ...boundsOf(schemas, "number"), int: true })}`;
  }
  if ((issue.code !== "too_small" && issue.code !== "too_big") || !ZOD_DEFAULT_BOUND.test(issue.message)) return undefined;
  const small = issue.code === "too_small";
  const limit = Number(small ? issue.minimum : issue.maximum);
  if (issue.origin === "number" || issue.origin === "int") {
    if (!numeric) return undefined;
    const b = boundsOf(schemas, "number");
    if (issue.origin === "int") b.int = true;
    // The safe-integer range is no declared bound: name it only when it is the one crossed.
    if (small && b.min === undefined) Object.assign(b, { min: limit, minInclusive: issue.inclusive !== false });
    if (!small && b.max === undefined) Object.assign(b, { max: limit, maxInclusive: issue.inclusive !== false });
    const crossed = small ? (b.minInclusive ? `is below the minimum ${b.min}` : `is not above ${b.min}`) : b.maxInclusive ? `is above the maximum ${b.max}` : `is not below ${b.max}`;
    return `${show(value)} ${crossed}; ${numberFix(b)}`;
  }
  if (issue.origin === "string" || issue.origin === "array") {
    const unit = issue.origin === "string" ? "character" : "item";
    const b = boundsOf(schemas, issue.origin === "string" ? "string" : "array");
    if (small && b.min === undefined) b.min = limit;
    if (!small && b.max === undefined) b.max = limit;
    const length = typeof value === "string" && !secret ? ` (${plural(value.length, unit)})` : "";
    const crossed = small ? `is shorter than the minimum of ${plural(b.min ?? limit, unit)}` : `is longer than the maximum of ${plural(b.max ?? limit, unit)}`;
    return `${show(value)}${length} ${crossed}; ${sizeFix(b, unit)}`;
  }
  return undefined;
}

/** Locator for a single document. */
export function locateIn(doc: SourceDocument): (segments: (string | number)[]) => { file?: string; line?: number } {
  return (segs) => ({ file: doc.file, line: lineAt(doc, segs) });
}
