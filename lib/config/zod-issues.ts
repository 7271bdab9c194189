import type { z } from "zod";
import { ConfigIssue } from "../errors";
import { didYouMean } from "./suggest";
import { SourceDocument, lineAt, namedPath, pathKey } from "./yaml-source";

type AnySchema = z.core.$ZodType;

/** The keys an object schema accepts at `path` (empty when the path is not an object). */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  const out = new Set<string>();
  const visit = (s: AnySchema, i: number): void => {
    const def = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    switch (def.type) {
      case "optional":
      case "nullable":
      case "default":
      case "readonly":
        return visit(def.innerType as AnySchema, i);
      case "pipe":
        return visit(def.in as AnySchema, i);
      case "union":
        for (const o of def.options as AnySchema[]) visit(o, i);
        return;
      case "object": {
        const shape = def.shape as Record<string, AnySchema>;
        if (i === path.length) Object.keys(shape).forEach((k) => out.add(k));
        else if (shape[String(path[i])]) visit(shape[String(path[i])], i + 1);
        return;
      }
      case "record":
        if (i < path.length) visit(def.valueType as AnySchema, i + 1);
        return;
      case "array":
        if (i < path.length) visit(def.element as AnySchema, i + 1);
        return;
      default:
        return;
    }
  };
  visit(schema, 0);
  return [...out];
}

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
  for (const issue of error.issues) {
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
    if (issue.code === "invalid_type" && issue.expected === "never") {
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
    issues.push({ ...locate(segs), path: pathKey(segs), message });
  }
  return issues;
}

/** Locator for a single document. */
export function locateIn(doc: SourceDocument): (segments: (string | number)[]) => { file?: string; line?: number } {
  return (segs) => ({ file: doc.file, line: lineAt(doc, segs) });
}
