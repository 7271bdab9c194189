import { ConfigIssue } from "../errors";
import { isPlainObject, layer } from "./merge";
import { didYouMean } from "./suggest";
import { SourceDocument, lineAt, pathKey } from "./yaml-source";

/*
 * `extends: prod` in an environment file: the parent's file is layered under the child's with the
 * same semantics as an environment over app.yaml (merge.ts), after removing what must never be
 * shared between two environments ({@link NOT_INHERITED}). Chains are allowed (dr → prod); a cycle
 * or a missing parent is an issue naming the whole chain.
 */

/**
 * Keys of a parent environment file that its children do not inherit:
 * - `backend`: two environments writing one state would destroy each other's resources;
 * - `network.subnet`: two environments on one range overlap (ENVK-NET-002);
 * - `extends`: the chain is followed explicitly, one parent at a time.
 * Everything else (release, services, quota, target block, policy, promotion…) is inherited.
 */
export const NOT_INHERITED: readonly string[] = ["backend", "network.subnet", "extends"];

function isNotInherited(key: string): boolean {
  return NOT_INHERITED.some((p) => key === p || key.startsWith(`${p}.`));
}

/** A copy of an environment document without the keys children do not inherit. */
export function inheritable(doc: unknown): Record<string, unknown> {
  const out = layer({}, doc) as Record<string, unknown>;
  for (const p of NOT_INHERITED) {
    const segs = p.split(".");
    let cur: unknown = out;
    for (let i = 0; i < segs.length - 1 && isPlainObject(cur); i++) cur = cur[segs[i]];
    if (isPlainObject(cur)) delete cur[segs[segs.length - 1]];
  }
  // `network: {}` left behind says nothing; drop it so an empty child equals the parent's settings.
  if (isPlainObject(out.network) && Object.keys(out.network).length === 0) delete out.network;
  return out;
}

/** The child's document over what it inherits from `parent` (both environment documents). */
export function inherit(parent: unknown, child: unknown): Record<string, unknown> {
  return layer(inheritable(parent), child) as Record<string, unknown>;
}

/** The parent's document as provenance reads it: its lines (and number texts), minus the keys children do not inherit. */
export function inheritedLines(doc: SourceDocument): SourceDocument {
  const lines = new Map<string, number>();
  for (const [k, v] of doc.lines) if (!isNotInherited(k)) lines.set(k, v);
  const numberTexts = doc.numberTexts && new Map([...doc.numberTexts].filter(([k]) => !isNotInherited(k)));
  return { file: doc.file, data: inheritable(doc.data), lines, ...(numberTexts?.size ? { numberTexts } : {}) };
}

/** What a reference (extends, promotion.from) says of an environment whose file could not be read. */
export function unreadableEnvironment(name: string): string {
  return `environment "${name}" could not be read (its file's error is reported with it); fix that file`;
}

/** The value of `extends` in an environment document, when it is a string. */
export function extendsOf(doc: SourceDocument): string | undefined {
  const v = isPlainObject(doc.data) ? doc.data.extends : undefined;
  return typeof v === "string" ? v : undefined;
}

/**
 * The environments `name` extends, nearest first, or the issue that stops the chain (located at
 * the `extends` line of the file where it breaks): a missing parent or a cycle.
 */
export function extendsChain(name: string, environments: ReadonlyMap<string, SourceDocument>, unreadable: ReadonlySet<string> = new Set()): { chain: string[]; issue?: ConfigIssue } {
  const chain: string[] = [];
  const seen = [name];
  let cur = name;
  for (;;) {
    const doc = environments.get(cur)!;
    const parent = extendsOf(doc);
    if (parent === undefined) return { chain };
    const at = { file: doc.file, line: lineAt(doc, ["extends"]), path: pathKey(["extends"]) };
    if (seen.includes(parent)) {
      const cycle = [...seen.slice(seen.indexOf(parent)), parent].join(" → ");
      return { chain, issue: { ...at, message: parent === cur ? `"${parent}" is this environment itself; name the environment this one is a variant of (e.g. prod), or remove extends` : `extends makes a cycle: ${cycle}; remove extends from one of them` } };
    }
    if (unreadable.has(parent)) return { chain, issue: { ...at, message: unreadableEnvironment(parent) } };
    if (!environments.has(parent)) {
      const via = seen.length > 1 ? ` (chain: ${[...seen, parent].join(" → ")})` : "";
      return { chain, issue: { ...at, message: `no environment "${parent}" to extend${didYouMean(parent, environments.keys())}${via}; environments: ${[...environments.keys()].join(", ")}` } };
    }
    chain.push(parent);
    seen.push(parent);
    cur = parent;
  }
}

/** The environment document of `name` with its whole chain layered under it (nearest parent last applied). */
export function inheritedDocument(name: string, chain: readonly string[], environments: ReadonlyMap<string, SourceDocument>): Record<string, unknown> {
  let doc: Record<string, unknown> = {};
  for (const p of [...chain].reverse()) doc = inherit(doc, inheritable(environments.get(p)!.data));
  return layer(doc, environments.get(name)!.data) as Record<string, unknown>;
}
