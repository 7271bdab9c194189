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

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? "nothing" : s.length > 60 ? `${s.slice(0, 57)}...` : s;
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
    let message = issue.message;
    if (issue.code === "invalid_type" && issue.expected === "never") {
      message = `is not accepted here: ${issue.message}`;
    } else if (issue.code === "invalid_type") {
      message = value === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${show(value)}`;
    } else if (issue.code === "invalid_value") {
      message = `${show(value)} is not allowed; use one of ${issue.values.map((v) => show(v)).join(", ")}`;
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
