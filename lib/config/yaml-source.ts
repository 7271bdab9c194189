import type { CST, Document, YAMLError, Node } from "yaml";
import { ConfigIssue } from "../errors";
import { parseFast } from "./yaml-fast";
import { yamlPackage } from "./yaml-package";

/** Where a value came from. */
export interface Source {
  readonly file: string;
  readonly line: number;
}

/** A parsed config file: plain data plus the line of every value, keyed by its {@link pathKey}. */
export interface SourceDocument {
  readonly file: string;
  readonly data: unknown;
  readonly lines: ReadonlyMap<string, number>;
  /**
   * Path → the text of each map value YAML read as a plain number that prints otherwise (`3.10`
   * is 3.1, `0755` is 755, `0x1F` is 31, `1e3` is 1000), for the values that must keep their text
   * (environment variables). List items are not recorded. Absent when there is none (and for
   * objects from TypeScript).
   */
  readonly numberTexts?: ReadonlyMap<string, string>;
}

/**
 * Bounds on every config document, checked before anything else reads it, so that no input can
 * exhaust memory or the stack. They are far above real configurations: the reference app's
 * app.yaml is ~2 KB, the largest generated benchmark app (1,000 services, bench/common.js) ~220 KB
 * and ~25,000 values, nested at most ~6 levels.
 */
/** Largest config file envkit reads, in bytes (checked before parsing). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deepest nesting of lists and maps in a document (the schema needs ~6). */
export const MAX_DEPTH = 64;
/** Most values (scalars, lists, maps) in a document once YAML aliases are expanded. */
export const MAX_VALUES = 250_000;
/** The yaml package's own alias bound (uses × nested aliases; a backstop behind {@link MAX_VALUES}). */
export const MAX_ALIAS_COUNT = 10_000;
/** Most issues reported for one document; a hostile file could otherwise produce millions. */
const MAX_ISSUES_PER_DOCUMENT = 20;
/** cdktf's marker for a token: a string holding it is resolved as a live reference at synth. */
export const TOKEN_MARKER = "TfToken[";

/**
 * The key of a value in a document. Items of lists of named things are addressed by name
 * (`services.web.ports.http.port`), other list items by index, so that the same path means the
 * same thing in app.yaml, an environment file and the merged result.
 */
export function pathKey(segments: readonly (string | number)[]): string {
  return segments.join(".");
}

/** Item key of a list element: its `name` when it has one, else its index. */
export function itemKey(item: unknown, index: number): string | number {
  if (item && typeof item === "object" && !Array.isArray(item)) {
    const name = (item as Record<string, unknown>).name;
    if (typeof name === "string") return name;
  }
  return index;
}

/** Converts a data path with list indices (as zod reports it) to a {@link pathKey} path. */
export function namedPath(data: unknown, path: readonly PropertyKey[]): (string | number)[] {
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === "number") {
      out.push(itemKey(cur[seg], seg));
      cur = cur[seg];
    } else {
      out.push(String(seg));
      cur = cur && typeof cur === "object" ? (cur as Record<string, unknown>)[String(seg)] : undefined;
    }
  }
  return out;
}

/** A path for messages: long (hostile) paths are cut, so a message stays one readable line. */
function shownPath(segs: readonly (string | number)[]): string {
  return segs.length > 8 ? `${pathKey(segs.slice(0, 8))}.…` : pathKey(segs);
}

/**
 * The yaml package's messages, cut to what never quotes the file: positions and source snippets
 * are dropped (the issue has the line), and so is any text after ": " (a token, tag or header
 * copied from the source, which may be a secret).
 */
function yamlMessage(e: YAMLError): string {
  if (e.code === "TAG_RESOLVE_FAILED") return "YAML error: unknown tag; envkit reads plain YAML only (strings, numbers, booleans, null, lists and maps): remove the tag";
  if (e.code === "RESOURCE_EXHAUSTION") return `YAML error: nests or expands too much to read; envkit configuration nests at most ${MAX_DEPTH} levels`;
  if (e.code === "BAD_DIRECTIVE") return "YAML syntax error: unknown or unsupported directive (a line starting with %); remove it";
  if (e.code === "BAD_DQ_ESCAPE") return "YAML syntax error: invalid escape sequence in a double-quoted string; escape \\ as \\\\ or use single quotes";
  if (e.code === "BAD_SCALAR_START") return "YAML syntax error: a plain value cannot start with @ or `; quote the value";
  let m = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  m = m.replace(/^(Anchors and tags must be after the) .* (indicator)$/, "$1 $2").replace(/^Unexpected .* in (flow|collection|.*)$/, "Unexpected indicator in $1");
  const cut = m.indexOf(": ");
  if (cut > 0) m = m.slice(0, cut);
  return `YAML syntax error: ${m.charAt(0).toLowerCase()}${m.slice(1)}`;
}

type CstToken = CST.Token;

/**
 * The deepest point of a token stream past {@link MAX_DEPTH}, found without recursion (before
 * the yaml package composes it: composing deep input recursively overflowed the stack, and at
 * ~100k levels crashed the process out of memory).
 */
function tooDeep(tokens: readonly CstToken[]): { offset: number; segs: (string | number)[] } | undefined {
  const stack: { token: CstToken; depth: number; segs: (string | number)[] }[] = [];
  for (const t of tokens) if (t.type === "document" && t.value) stack.push({ token: t.value, depth: 0, segs: [] });
  while (stack.length > 0) {
    const { token, depth, segs } = stack.pop()!;
    if (token.type !== "block-map" && token.type !== "block-seq" && token.type !== "flow-collection") continue;
    if (depth >= MAX_DEPTH) return { offset: token.offset, segs };
    const isSeqToken = token.type === "block-seq" || (token.type === "flow-collection" && token.start.source === "[");
    token.items.forEach((item, i) => {
      const key = "key" in item && item.key ? item.key : undefined;
      const keyText = key ? scalarText(key) : undefined;
      const seg = isSeqToken || keyText === undefined ? i : keyText;
      if (key) stack.push({ token: key, depth: depth + 1, segs: [...segs, seg] });
      if (item.value) stack.push({ token: item.value, depth: depth + 1, segs: [...segs, seg] });
    });
  }
  return undefined;
}

function scalarText(token: CstToken): string | undefined {
  if (token.type !== "scalar" && token.type !== "single-quoted-scalar" && token.type !== "double-quoted-scalar") return undefined;
  const r = yamlPackage().CST.resolveAsScalar(token, false, () => undefined); // errors are reported by compose
  return r ? r.value : undefined;
}

/**
 * Parses YAML text; on syntax errors returns issues (all of them) with line numbers. Hostile
 * input becomes issues too, never an exception: oversized text, deep nesting, alias bombs and
 * cycles, unknown tags, collection keys, reserved keys and cdktf tokens (see {@link checkDocument}).
 */
export function parseYaml(file: string, text: string): { doc?: SourceDocument; issues: ConfigIssue[] } {
  if (text.length > MAX_CONFIG_BYTES) {
    return { issues: [{ file, path: "", message: `is ${formatBytes(text.length)}, over the ${formatBytes(MAX_CONFIG_BYTES)} limit for a config file; split it, or check that it is the file you meant` }] };
  }
  // Plain YAML (nearly every config) takes the fast path; anything else, and every error, the
  // careful one below, which reads it again and reports it.
  const fast = parseFast(text, FAST_BOUNDS, false);
  if (fast) {
    const source = withLinesOnDemand(file, text, fast.data, fast.numberTexts);
    const checked = checkDocument(source);
    return checked.length > 0 ? { issues: checked } : { doc: source, issues: [] };
  }
  return parseCarefully(file, text);
}

const FAST_BOUNDS = { maxDepth: MAX_DEPTH, maxValues: MAX_VALUES };

/**
 * A document the fast path read, whose lines are found when first asked for, by a second fast
 * read that keeps them: only messages and `envkit explain` need a value's line, and a synth
 * without either asks for none. Finding them as the data is read was ~10 ms of 35 ms for a
 * 1,000-service app's three files, and the map from every path to its line ~1.6 MB of the heap
 * for app.yaml alone (2026-12-02). The text is let go once the lines are found.
 */
function withLinesOnDemand(file: string, text: string, data: unknown, numberTexts?: ReadonlyMap<string, string>): SourceDocument {
  let source: string | undefined = text;
  let lines: ReadonlyMap<string, number> | undefined;
  return {
    file,
    data,
    ...(numberTexts ? { numberTexts } : {}),
    get lines(): ReadonlyMap<string, number> {
      if (!lines) {
        // The first read took this text, and the second reads it the same way (yaml-fast.test.ts);
        // the careful path stands behind it all the same.
        lines = parseFast(source!, FAST_BOUNDS)?.lines ?? parseCarefully(file, source!).doc?.lines ?? new Map<string, number>();
        source = undefined;
      }
      return lines;
    },
  };
}

/**
 * {@link parseYaml} with the yaml package: every YAML feature, every error reported with its line,
 * and the hostile-input bounds (nesting, alias expansion) checked before composing. Exported for
 * the differential test of the fast path.
 */
export function parseCarefully(file: string, text: string): { doc?: SourceDocument; issues: ConfigIssue[] } {
  const { Composer, LineCounter, Parser, isAlias, isMap, isPair, isScalar, isSeq } = yamlPackage();
  const lineCounter = new LineCounter();
  const tokens = withoutStackTraces(() => Array.from(new Parser(lineCounter.addNewLine).parse(text)));
  const lineOfOffset = (offset: number): number => lineCounter.linePos(offset).line;
  const deep = tooDeep(tokens);
  if (deep) {
    return { issues: [{ file, line: lineOfOffset(deep.offset), path: shownPath(deep.segs), message: `nests deeper than ${MAX_DEPTH} levels; envkit configuration needs about 6, so flatten it` }] };
  }
  // Duplicate keys are found by the walk below: the yaml package's check compares every key with
  // every earlier one (72,000 keys in one map took 140 s), and it tells `1` from "1", which
  // become the same key in the data.
  const composer = new Composer({ uniqueKeys: false, resolveKnownTags: false });
  let document: Document.Parsed | undefined;
  const issues: ConfigIssue[] = [];
  withoutStackTraces(() => {
    for (const d of composer.compose(tokens, true, text.length)) {
      if (!document) document = d;
      else {
        issues.push({ file, line: lineOfOffset(d.range[0]), path: "", message: "YAML syntax error: holds more than one document (---); an envkit config file is one document" });
        break;
      }
    }
  });
  const problems = [...document!.errors, ...document!.warnings];
  // A hostile file can hold a problem every few bytes: report the first ones only.
  const yamlIssues: ConfigIssue[] = problems.slice(0, MAX_ISSUES_PER_DOCUMENT).map((e) => ({ file, line: lineOfOffset(e.pos[0]), path: "", message: yamlMessage(e) }));
  if (problems.length > MAX_ISSUES_PER_DOCUMENT) yamlIssues.push({ file, path: "", message: `has ${problems.length - MAX_ISSUES_PER_DOCUMENT} more YAML problems; fix the ones above first` });
  issues.splice(0, 0, ...yamlIssues); // bounded: at most MAX_ISSUES_PER_DOCUMENT + 1
  if (issues.length > 0) return { issues };
  const doc = document!;

  const lines = new Map<string, number>();
  const numberTexts = new Map<string, string>();
  const lineOf = (n: Node | null | undefined): number | undefined => (n?.range ? lineOfOffset(n.range[0]) : undefined);
  // Expanded size of every node visited (aliases count as what they point to), for MAX_VALUES.
  const sizes = new Map<unknown, number>();
  const ancestors = new Set<unknown>();
  let total = 0;
  let stop: ConfigIssue | undefined;
  const duplicates: ConfigIssue[] = [];
  const fail = (n: unknown, segs: (string | number)[], message: string): void => {
    stop ??= { file, line: lineOf(n as Node), path: shownPath(segs), message };
  };
  const grow = (n: unknown, segs: (string | number)[], by: number): void => {
    total += by;
    if (total > MAX_VALUES) fail(n, segs, `holds more than ${MAX_VALUES.toLocaleString("en-US")} values once YAML aliases are expanded (an alias bomb?); write the values out or use fewer aliases`);
  };
  // A map's value (never a key, never a list item: their paths differ between the two readers)
  // that YAML reads as a number that prints otherwise: its text, by path.
  const noteNumberText = (value: unknown, at: (string | number)[]): void => {
    // An alias (`W: *n`) is the value it names, with that value's text.
    const node = isAlias(value) ? value.resolve(doc) : value;
    if (!isScalar(node) || typeof node.value !== "number" || node.type !== "PLAIN" || !node.range) return;
    const written = text.slice(node.range[0], node.range[1]);
    if (String(node.value) !== written) numberTexts.set(pathKey(at), written);
  };
  // Recursion is safe: tooDeep bounded the nesting.
  const walk = (node: unknown, segs: (string | number)[]): number => {
    if (stop) return 0;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) fail(node, segs, "a YAML alias (*name) refers to no anchor (&name) defined before it; define the anchor first or write the value out");
      else if (ancestors.has(target)) fail(node, segs, "a YAML alias refers to a value that contains it (a cycle); envkit configuration cannot be recursive");
      else grow(node, segs, sizes.get(target) ?? 1);
      return sizes.get(target) ?? 1;
    }
    grow(node, segs, 1);
    let size = 1;
    ancestors.add(node);
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (!isScalar(pair.key)) {
          fail(pair.key ?? pair.value ?? node, segs, "YAML error: a key must be a plain name, not a list or map (or an alias or nothing)");
          break;
        }
        const key = String(pair.key.value);
        const at = [...segs, key];
        const line = lineOf(pair.key as Node);
        if (seen.has(key)) {
          if (duplicates.length < MAX_ISSUES_PER_DOCUMENT) duplicates.push({ file, line, path: "", message: `YAML syntax error: map keys must be unique; ${shownPath(at)} is written twice (the later one would silently win): keep one` });
          continue;
        }
        seen.add(key);
        if (line) lines.set(pathKey(at), line);
        noteNumberText(pair.value, at);
        size += walk(pair.key, at) + walk(pair.value, at);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const plain = isMap(item) ? (item.get("name") as unknown) : undefined;
        const at = [...segs, typeof plain === "string" ? plain : i];
        const line = lineOf(item as Node);
        if (line) lines.set(pathKey(at), line);
        size += walk(item, at);
      });
    }
    ancestors.delete(node);
    sizes.set(node, size);
    return size;
  };
  walk(doc.contents, []);
  if (stop) return { issues: [stop] };
  if (duplicates.length > 0) return { issues: duplicates };
  let data: unknown;
  try {
    data = withoutStackTraces(() => doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })) ?? {};
  } catch {
    // The yaml package's alias bound (a backstop: the walk above counts expansion first).
    return { issues: [{ file, path: "", message: `expands YAML aliases too much (more than ${MAX_ALIAS_COUNT.toLocaleString("en-US")} alias uses); write the values out or use fewer aliases` }] };
  }
  const source: SourceDocument = { file, data, lines, ...(numberTexts.size ? { numberTexts } : {}) };
  const checked = checkDocument(source);
  return checked.length > 0 ? { issues: checked } : { doc: source, issues: [] };
}

/**
 * Runs the yaml package with stack traces off: it creates an Error per problem, and a hostile
 * file with 500,000 bad escapes took 4.6 s to report with traces, 0.5 s without. The messages
 * never show those stacks.
 */
function withoutStackTraces<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** `n` bytes for messages: `512 B`, `220.4 KiB`, `1.1 MiB`, `1 MiB`. */
export function formatBytes(n: number): string {
  const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
  if (n >= 1024 * 1024) return `${fmt(n / (1024 * 1024))} MiB`;
  if (n >= 1024) return `${fmt(n / 1024)} KiB`;
  return `${n} B`;
}

const PROTO_KEY_MESSAGE =
  'the key "__proto__" is reserved by JavaScript: assigning it replaces an object\'s prototype instead of adding a key, so envkit would silently drop or misread it; rename or remove it';

/**
 * One scan over a document's data (parsed YAML, or objects from TypeScript) for what no later
 * stage may see: the key `__proto__` (reserved by JavaScript), strings
 * or keys holding cdktf's {@link TOKEN_MARKER} (cdktf would resolve them as live references to
 * other resources, such as a secret variable), objects that are not plain data, cycles, nesting
 * past {@link MAX_DEPTH} and more than {@link MAX_VALUES} values (shared objects counted each
 * time they are used). Each issue names the file, line (when known) and path.
 */
export function checkDocument(doc: SourceDocument): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const sizes = new WeakMap<object, number>();
  const ancestors = new Set<object>();
  let total = 0;
  let stopped = false;
  const add = (segs: (string | number)[], message: string): void => {
    if (issues.length === MAX_ISSUES_PER_DOCUMENT) {
      issues.push({ file: doc.file, path: "", message: `has more problems like these; fix the ones above first` });
      stopped = true;
    } else if (!stopped) issues.push({ file: doc.file, line: lineAt(doc, segs), path: shownPath(segs), message });
  };
  const grow = (segs: (string | number)[], by: number): void => {
    total += by;
    if (total > MAX_VALUES && !stopped) {
      add(segs, `holds more than ${MAX_VALUES.toLocaleString("en-US")} values (shared objects counted at every use); envkit configuration is much smaller, so check what is passed here`);
      stopped = true;
    }
  };
  const tokenMessage = `contains "${TOKEN_MARKER}", cdktf's marker for a reference to another resource: cdktf would replace it in the synthesized stack with that resource's value (a secret variable, for instance); write plain values only`;
  // Recursion is bounded by MAX_DEPTH.
  const scan = (v: unknown, segs: (string | number)[], depth: number): number => {
    if (stopped) return 0;
    if (typeof v === "string") {
      if (v.includes(TOKEN_MARKER)) add(segs, tokenMessage);
      // Container runtimes, Kubernetes and Terraform all refuse NUL in strings (runc: "environment
      // variable value can't contain null"), so it could only fail later, at apply.
      if (v.includes("\u0000")) add(segs, "contains a NUL character (\\0), which no target accepts in a string; remove it");
      grow(segs, 1);
      return 1;
    }
    if (v === null || typeof v !== "object") {
      grow(segs, 1);
      return 1;
    }
    const known = sizes.get(v);
    if (known !== undefined) {
      grow(segs, known);
      return known;
    }
    if (ancestors.has(v)) {
      add(segs, "refers to an object that contains it (a cycle); configuration must be a tree of plain values");
      return 1;
    }
    if (depth >= MAX_DEPTH) {
      add(segs, `nests deeper than ${MAX_DEPTH} levels; envkit configuration needs about 6, so flatten it`);
      stopped = true;
      return 1;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    if (Array.isArray(v) ? proto !== Array.prototype : proto !== Object.prototype && proto !== null) {
      add(segs, "is not a plain object or array (it has a prototype of its own: a class instance, or a `__proto__:` key in an object literal); pass plain data");
      return 1;
    }
    grow(segs, 1);
    ancestors.add(v);
    let size = 1;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length && !stopped; i++) size += scan(v[i], [...segs, itemKey(v[i], i)], depth + 1);
    } else {
      for (const k of Object.keys(v)) {
        if (stopped) break;
        const at = [...segs, k];
        // `constructor`, `toString`... are ordinary own keys: layering and resolving use own keys only.
        if (k === "__proto__") add(at, PROTO_KEY_MESSAGE);
        else if (k.includes(TOKEN_MARKER)) add(at, tokenMessage);
        size += scan((v as Record<string, unknown>)[k], at, depth + 1);
      }
    }
    ancestors.delete(v);
    sizes.set(v, size);
    return size;
  };
  scan(doc.data, [], 0);
  return issues;
}

/** The line of `segments` in `doc`, or of its nearest ancestor that has one. */
export function lineAt(doc: SourceDocument, segments: readonly (string | number)[]): number | undefined {
  for (let n = segments.length; n > 0; n--) {
    const l = doc.lines.get(pathKey(segments.slice(0, n)));
    if (l) return l;
  }
  return undefined;
}
