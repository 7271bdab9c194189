/*
 * The fast path of config parsing: plain YAML (maps, lists and scalars, one document, no tags,
 * anchors or aliases) read from js-yaml's event stream into data and the line of every value in
 * one pass, about seven times faster than the yaml package's parser, composer and walk (a
 * 1,000-service app.yaml of 219 KiB: 65–76 ms against ~480 ms, best of 7 on the build machine).
 * parseYaml reads without the lines first, and again with them when a message first needs one.
 *
 * It yields exactly what the careful path in yaml-source.ts yields — the same data (the yaml
 * package's YAML 1.2 core schema, reproduced below) and the same lines — or nothing: anything it
 * does not cover, and every error, goes to the careful path, which reads it again and reports
 * it with its own messages and hostile-input bounds. A differential property test holds the two
 * equal on generated documents and on every YAML file in the repository.
 */
import { COLLECTION_STYLE, EVENT_ID, SCALAR_STYLE, getScalarValue, parseEvents } from "js-yaml";
import type { Event, ScalarEvent } from "js-yaml";
import { setOwn } from "../model/own-key";

/** A document read by the fast path: its data and, when asked for, the line of every key and list item. */
export interface FastDocument {
  readonly data: unknown;
  /** Absent unless {@link parseFast} was asked for lines. */
  readonly lines?: Map<string, number>;
  /** See {@link SourceDocument.numberTexts}: plain scalars read as numbers that print otherwise. Absent when there is none. */
  readonly numberTexts?: Map<string, string>;
}

/** Bounds the fast path shares with the careful one (which reports them when they are passed). */
export interface FastBounds {
  readonly maxDepth: number;
  readonly maxValues: number;
}

/** Thrown inside the reader: the careful path must read this document. */
class NotPlain extends Error {}

// The yaml package's core schema (yaml/dist/schema/core), in its order: the first test a plain
// scalar passes decides its value; a plain scalar that passes none is a string.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the yaml package's core schema. */
export function corePlainScalar(s: string): unknown {
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === "t" || s[0] === "T";
  if (INT_OCT.test(s)) return parseInt(s.substring(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.substring(2), 16);
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === "nan" ? NaN : s[0] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

/** What may follow a closing quote: a separator, an indicator that ends the scalar, or a comment after a space. */
const AFTER_QUOTE = new Set([" ", "\n", "\r", ":", ",", "]", "}"]);

/** 1-based line of an offset, for offsets met mostly in increasing order. */
function lineFinder(text: string): (offset: number) => number {
  const starts: number[] = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  let last = 0;
  return (offset) => {
    if (starts[last] <= offset && (last + 1 === starts.length || offset < starts[last + 1])) return last + 1;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    last = lo;
    return lo + 1;
  };
}

/**
 * Reads `text` the fast way, or returns undefined when the careful path must read it: a syntax
 * error, a tab anywhere, a line starting with `---` (past a first line of its own) or `...`, more than one document, a tag, an anchor or alias, a key that is not a scalar, a key
 * written twice, nesting past `maxDepth` or more than `maxValues` values. With `withLines`, also
 * the line of every key and list item; whether a text is read does not depend on it.
 */
export function parseFast(text: string, bounds: FastBounds, withLines = true): FastDocument | undefined {
  // Tabs are where YAML parsers disagree most (indentation, separation): the careful path reads them.
  if (text.includes("\t")) return undefined;
  // So are document markers (`---` past a first line of its own, `...`), indented look-alikes
  // included: the careful path decides how many documents there are.
  const body = text.startsWith("---\n") ? text.slice(4) : text;
  if (/^ *(?:---|\.\.\.)(?:\s|$)/m.test(body)) return undefined;
  let events: Event[];
  try {
    events = parseEvents(text, { maxDepth: bounds.maxDepth + 2 });
  } catch {
    return undefined;
  }
  const lineOf = withLines ? lineFinder(text) : undefined;
  const lines = withLines ? new Map<string, number>() : undefined;
  let values = 0;
  let i = 0;
  const segs: (string | number)[] = [];
  let numberTexts: Map<string, string> | undefined;

  const scalarValue = (e: ScalarEvent): unknown => {
    // js-yaml reads `"a"b: c` as a key; the yaml package (and the spec) refuse text right after a
    // closing quote.
    if (e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED) {
      const after = text[e.valueEnd + 1];
      if (after !== undefined && !AFTER_QUOTE.has(after)) throw new NotPlain();
    }
    const s = getScalarValue(text, e);
    return e.style === SCALAR_STYLE.PLAIN ? corePlainScalar(s) : s;
  };
  /** Where the yaml package starts a node: a block scalar at its `|` or `>` header. */
  const startOf = (e: Event): number => {
    if (e.type === EVENT_ID.SCALAR) {
      if (e.style !== SCALAR_STYLE.LITERAL_BLOCK && e.style !== SCALAR_STYLE.FOLDED_BLOCK) return e.valueStart;
      let at = e.valueStart - 1;
      while (at >= 0 && text[at] !== "|" && text[at] !== ">") at--;
      return Math.max(at, 0);
    }
    return e.type === EVENT_ID.MAPPING || e.type === EVENT_ID.SEQUENCE ? e.start : -1;
  };

  /**
   * Throws NotPlain unless the flow collection opening at `start` closes with only blanks or a
   * comment after it on its line. The scan knows quotes ('' and \ escapes) and comments.
   */
  const endsItsLine = (start: number): void => {
    let depth = 0;
    let at = start;
    for (; at < text.length; at++) {
      const c = text[at];
      if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") {
        if (--depth === 0) break;
      } else if (c === '"') {
        for (at++; at < text.length && text[at] !== '"'; at++) if (text[at] === "\\") at++;
      } else if (c === "'") {
        for (at++; at < text.length; at++) if (text[at] === "'") {
          if (text[at + 1] === "'") at++;
          else break;
        }
      } else if (c === "#" && (at === 0 || text[at - 1] === " " || text[at - 1] === "\n")) {
        while (at < text.length && text[at] !== "\n") at++;
      }
    }
    if (depth !== 0) throw new NotPlain();
    const rest = text.slice(at + 1, (text.indexOf("\n", at) + 1 || text.length + 1) - 1);
    if (!/^(?: *| +#.*)\r?$/.test(rest)) throw new NotPlain();
  };
  /** The `name` of the map item starting at events[at], when it is a string (found without reading the item). */
  const itemName = (at: number): string | undefined => {
    let j = at + 1;
    let found: string | undefined;
    while (events[j] && events[j].type !== EVENT_ID.POP) {
      const k = events[j];
      const v = events[j + 1];
      if (k.type === EVENT_ID.SCALAR && v?.type === EVENT_ID.SCALAR && found === undefined && scalarValue(k) === "name") {
        const value = scalarValue(v);
        if (typeof value === "string") found = value;
      }
      j = skip(skip(j));
    }
    return found;
  };
  /** The index just past the node at events[at]. */
  const skip = (at: number): number => {
    const e = events[at];
    if (!e) throw new NotPlain();
    if (e.type !== EVENT_ID.MAPPING && e.type !== EVENT_ID.SEQUENCE) return at + 1;
    let depth = 0;
    let j = at;
    do {
      const t = events[j++];
      if (!t) throw new NotPlain();
      if (t.type === EVENT_ID.MAPPING || t.type === EVENT_ID.SEQUENCE) depth++;
      else if (t.type === EVENT_ID.POP) depth--;
    } while (depth > 0);
    return j;
  };

  // Reads the node at events[i], advancing i past it, recording the line of every key and item
  // under `segs` as the careful walk does (items of named lists by name).
  const node = (depth: number, inFlow = false): unknown => {
    const e = events[i++];
    // A flow collection in block context ends its line (`[a]  b: c` is no YAML the careful path
    // reads, but js-yaml does): check what follows its closing bracket.
    if ((e?.type === EVENT_ID.MAPPING || e?.type === EVENT_ID.SEQUENCE) && e.style === COLLECTION_STYLE.FLOW && !inFlow) endsItsLine(e.start);
    if (!e || e.type === EVENT_ID.ALIAS || e.type === EVENT_ID.POP || e.type === EVENT_ID.DOCUMENT) throw new NotPlain();
    if (e.anchorStart !== -1 || e.tagStart !== -1) throw new NotPlain();
    if (++values > bounds.maxValues) throw new NotPlain();
    if (e.type === EVENT_ID.SCALAR) return scalarValue(e);
    // Near the nesting bound the careful path decides (and reports) instead.
    if (depth >= bounds.maxDepth - 2) throw new NotPlain();
    if (e.type === EVENT_ID.MAPPING) {
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      while (events[i] && events[i].type !== EVENT_ID.POP) {
        const k = events[i++];
        if (k.type !== EVENT_ID.SCALAR || k.anchorStart !== -1 || k.tagStart !== -1) throw new NotPlain();
        // An empty plain key (`: value`) is no key at all to the yaml package.
        if (k.style === SCALAR_STYLE.PLAIN && k.valueStart === k.valueEnd) throw new NotPlain();
        if (++values > bounds.maxValues) throw new NotPlain();
        const keyValue = scalarValue(k);
        // The careful path's names: String(key) for paths and duplicates, the yaml package's
        // toJS key (null becomes "") for data.
        const name = String(keyValue);
        if (seen.has(name)) throw new NotPlain();
        seen.add(name);
        segs.push(name);
        if (lines) lines.set(segs.join("."), lineOf!(k.valueStart));
        const valueEvent = events[i];
        const value = node(depth + 1, inFlow || e.style === COLLECTION_STYLE.FLOW);
        // A map value read as a number that prints otherwise keeps its text (SourceDocument.numberTexts).
        if (typeof value === "number" && valueEvent.type === EVENT_ID.SCALAR && valueEvent.style === SCALAR_STYLE.PLAIN) {
          const written = getScalarValue(text, valueEvent);
          if (String(value) !== written) (numberTexts ??= new Map()).set(segs.join("."), written);
        }
        segs.pop();
        const dataKey = keyValue === null ? "" : name;
        setOwn(out, dataKey, value);
      }
      i++; // its POP
      return out;
    }
    const out: unknown[] = [];
    while (events[i] && events[i].type !== EVENT_ID.POP) {
      const item = events[i];
      const key = (lines && item.type === EVENT_ID.MAPPING ? itemName(i) : undefined) ?? out.length;
      segs.push(key);
      // An empty item (`-` alone) has no offset here; the careful path places it.
      const start = startOf(item);
      if (start < 0) throw new NotPlain();
      if (lines) lines.set(segs.join("."), lineOf!(start));
      out.push(node(depth + 1, inFlow || e.style === COLLECTION_STYLE.FLOW));
      segs.pop();
    }
    i++; // its POP
    return out;
  };

  try {
    let data: unknown = undefined;
    let documents = 0;
    while (i < events.length) {
      const e = events[i++];
      if (e.type !== EVENT_ID.DOCUMENT) throw new NotPlain();
      if (++documents > 1 || e.directives.length > 0) throw new NotPlain();
      if (events[i] && events[i].type !== EVENT_ID.POP) data = node(0);
      if (!events[i] || events[i].type !== EVENT_ID.POP) throw new NotPlain();
      i++;
    }
    return { data: data ?? {}, ...(lines ? { lines } : {}), ...(numberTexts ? { numberTexts } : {}) };
  } catch (err) {
    if (err instanceof NotPlain) return undefined;
    throw err;
  }
}
