/*
 * The text cdktf writes a stack document as (json-stable-stringify with `space: 2`: keys sorted by
 * UTF-16 code units, two-space indentation, an empty object or array opened and closed on two
 * lines), produced faster and with far less garbage: json-stable-stringify builds every level as
 * an array of strings joined into the level above, which for a 15 MB document leaves hundreds of
 * megabytes for the collector (most of a 1,000-service synth's peak memory). Here the document is
 * copied once with its keys in sorted order and handed to the engine's JSON.stringify; the empty
 * containers are then opened up to match. A document the engine would order differently (an
 * object with an array-index key such as "0", which JavaScript enumerates first, whatever the
 * insertion order) is written by {@link stableJson}, a plain port of the original. Tested byte for
 * byte against cdktf's own json-stable-stringify (__tests__/facade/canonical-json.test.ts).
 * A stack is written in pieces ({@link writeCanonicalJson}): each resource is copied and
 * stringified on its own, so the whole document never exists as a sorted copy or one string
 * (a 1,000-service × 2-environment synth: peak 426–436 → 283–287 MB, time unchanged; 2026-12-02).
 */

import * as fs from "node:fs";
import { setOwn } from "../model/own-key";

/** A key JavaScript enumerates before the others, in numeric order: an array index. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;
const isArrayIndex = (k: string): boolean => ARRAY_INDEX.test(k) && Number(k) < 4294967295;

class NeedsStable extends Error {}

/**
 * `Object.keys(v).sort()`, without the sort when the keys already are in order: the engine's sort
 * copies the array into a work area however short it is, and many objects of a stack document
 * come from the provider classes with their attributes in the schema's (sorted) order. In a
 * 1,000-service × 2-environment synth those copies were ~110 MB of the ~950 MB allocated, ~50 MB
 * with this (2026-12-02).
 */
function sortedKeys(v: object): string[] {
  const keys = Object.keys(v);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.length <= INSERTION_SORT_MAX ? insertionSorted(keys, i) : keys.sort();
  return keys;
}

/**
 * Longest key list sorted in place by {@link insertionSorted} rather than the engine's sort, which
 * copies the array into a work area however short it is: after the sorted-order check, those copies
 * were still ~50 MB of a 1,000-service × 2-environment synth's ~905 MB of allocation (2026-12-02).
 * A resource's objects have a few to a few dozen keys.
 */
const INSERTION_SORT_MAX = 64;

/**
 * `keys` sorted in place by UTF-16 code units, as `Array.prototype.sort()` sorts strings (keys are
 * distinct), given that `keys[0..from)` already is.
 */
function insertionSorted(keys: string[], from: number): string[] {
  for (let i = from; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

/**
 * `v` with every object's keys in sorted order, for JSON.stringify: copied only where something
 * differs — an object whose keys are out of order, a toJSON() to call, a changed member — and
 * otherwise `v` itself, which JSON.stringify writes the same way (own enumerable keys in
 * insertion order). Most of a stack document is already in order (the provider classes write
 * attributes in the schema's sorted order), so much of it is not copied again. Measured on a
 * 1,000-service × 2-environment synth (2026-12-03, 4 alternated rounds): peak RSS 1.5–2 MB lower
 * in each, allocation and wall time unchanged within the noise; output byte-identical.
 */
function sortedCopy(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  // json-stable-stringify calls toJSON() (without a key) before anything else.
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return sortedCopy((v as { toJSON: () => unknown }).toJSON());
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      const c = sortedCopy(item);
      if (out === undefined && c !== item) out = v.slice(0, i);
      if (out !== undefined) out[i] = c;
    }
    return out ?? v;
  }
  const keys = Object.keys(v);
  let ordered = true;
  for (let i = 0; i < keys.length; i++) {
    if (isArrayIndex(keys[i])) throw new NeedsStable();
    if (i > 0 && keys[i - 1] > keys[i]) ordered = false;
  }
  const values = v as Record<string, unknown>;
  const sorted = ordered ? keys : keys.length <= INSERTION_SORT_MAX ? insertionSorted(keys, 1) : keys.sort();
  // Each member is visited once; the copy starts at the first difference, with the members before it as they are.
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const item = values[sorted[i]];
    const c = sortedCopy(item);
    if (out === undefined && (c !== item || !ordered)) {
      out = {};
      for (let j = 0; j < i; j++) setOwn(out, sorted[j], values[sorted[j]]);
    }
    if (out !== undefined) setOwn(out, sorted[i], c);
  }
  return out ?? v;
}

/**
 * Opens every empty `{}` / `[]` of two-space JSON as json-stable-stringify writes it: `{`, a
 * newline, the line's own indentation, `}`. In JSON.stringify's output such a pair ending a line
 * (before an optional comma) is an empty container: a string never holds a raw newline, and a
 * string ending in `{}` ends its line with a quote.
 */
function openEmpty(text: string): string {
  const parts: string[] = [];
  let from = 0;
  // The next "{}" and "[]" at or after the cursor, each searched again only once passed.
  let a = text.indexOf("{}");
  let b = text.indexOf("[]");
  while (a >= 0 || b >= 0) {
    const at = a < 0 ? b : b < 0 ? a : Math.min(a, b);
    if (at === a) a = text.indexOf("{}", at + 2);
    else b = text.indexOf("[]", at + 2);
    const end = at + 2;
    const after = text.charCodeAt(end) === 44 ? end + 1 : end;
    if (after < text.length && text.charCodeAt(after) !== 10) continue;
    const lineStart = text.lastIndexOf("\n", at) + 1;
    let indent = 0;
    while (text.charCodeAt(lineStart + indent) === 32) indent++;
    parts.push(text.slice(from, at + 1), "\n", " ".repeat(indent));
    from = at + 1;
  }
  parts.push(text.slice(from));
  return parts.join("");
}

/** json-stable-stringify(value, { space: 2 }) for any JSON value (a port; no cycle check, no replacer). */
export function stableJson(value: unknown): string {
  const write = (node: unknown, level: number): string | undefined => {
    const indent = `\n${"  ".repeat(level)}`;
    if (node && typeof (node as { toJSON?: unknown }).toJSON === "function") node = (node as { toJSON: () => unknown }).toJSON();
    if (node === undefined) return undefined;
    if (typeof node !== "object" || node === null) return JSON.stringify(node);
    const out: string[] = [];
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) out.push(`${indent}  ${write(node[i], level + 1) || "null"}`);
      return `[${out.join(",")}${indent}]`;
    }
    for (const key of Object.keys(node).sort()) {
      const v = write((node as Record<string, unknown>)[key], level + 1);
      if (v) out.push(`${indent}  ${JSON.stringify(key)}: ${v}`);
    }
    return `{${out.join(",")}${indent}}`;
  };
  return write(value, 0) as string;
}

/**
 * `value` as cdktf writes a stack document (json-stable-stringify, `space: 2`), byte for byte.
 * Cycles are not supported (a stack document has none).
 */
export function canonicalJson(value: unknown): string {
  let copy: unknown;
  try {
    copy = sortedCopy(value);
  } catch (e) {
    if (e instanceof NeedsStable) return stableJson(value);
    throw e;
  }
  const text = JSON.stringify(copy, null, 2);
  return text === undefined ? (undefined as unknown as string) : openEmpty(text);
}

/** Whether JSON.stringify drops the value as an object member (json-stable-stringify skips it). */
const dropped = (v: unknown): boolean => v === undefined || typeof v === "function" || typeof v === "symbol";

/**
 * canonicalJson(node) as it reads `level` levels down in a document: every line after the first
 * indented by `level` steps. The engine indents it: the copy is stringified inside `level` arrays
 * (`[[[node]]]`), whose lines are then cut off — no second pass over the text to indent it.
 */
function canonicalAt(node: unknown, level: number): string | undefined {
  if (level === 0) return canonicalJson(node);
  let copy: unknown;
  try {
    copy = sortedCopy(node);
  } catch (e) {
    if (!(e instanceof NeedsStable)) throw e;
    const text = stableJson(node);
    return text === undefined ? undefined : text.split("\n").join(`\n${"  ".repeat(level)}`);
  }
  if (copy === undefined) return undefined;
  let wrapped = copy;
  for (let i = 0; i < level; i++) wrapped = [wrapped];
  const text = openEmpty(JSON.stringify(wrapped, null, 2));
  let head = 0;
  for (let k = 0; k < level; k++) head += 2 * k + 2;
  return text.slice(head + 2 * level, text.length - head);
}

/**
 * {@link canonicalJson}(value), handed to `emit` in pieces whose concatenation is its bytes: the
 * plain objects of the first `depth` levels (a stack document's sections, resource types and ids)
 * are written key by key, and each value below them whole, indented to its place. A 15 MB stack
 * is then never one sorted copy and one string (and the engine's string and the opened-up copy):
 * at most one resource's, which the young generation collects. A value the whole-document writer
 * would hand to the port (an array-index key) is written by it where it lies, with the same bytes.
 */
export function canonicalJsonPieces(value: unknown, emit: (piece: string) => void, depth = 3): void {
  const write = (node: unknown, level: number): void => {
    const structural = level < depth && typeof node === "object" && node !== null && !Array.isArray(node) && typeof (node as { toJSON?: unknown }).toJSON !== "function";
    if (!structural) {
      const text = canonicalAt(node, level);
      if (text !== undefined) emit(text);
      return;
    }
    const indent = `\n${"  ".repeat(level)}`;
    emit("{");
    let first = true;
    for (const key of sortedKeys(node)) {
      let v = (node as Record<string, unknown>)[key];
      // json-stable-stringify calls toJSON first, once: a member whose toJSON gives undefined is dropped too.
      if (typeof v === "object" && v !== null && typeof (v as { toJSON?: unknown }).toJSON === "function") v = (v as { toJSON: () => unknown }).toJSON();
      if (dropped(v)) continue;
      emit(`${first ? "" : ","}${indent}  ${JSON.stringify(key)}: `);
      first = false;
      write(v, level + 1);
    }
    emit(`${indent}}`);
  };
  write(value, 0);
}

/** Bytes gathered before each write. */
const WRITE_CHUNK = 1 << 20;

/**
 * Writes `value` to `file` as {@link canonicalJson} would, from {@link canonicalJsonPieces} in
 * chunks of about 1 MB (the bytes of one `fs.writeFileSync(file, canonicalJson(value))`). Each
 * piece is encoded straight into one reused buffer: joining the pieces of a chunk into a string
 * first and encoding that copied every byte of a 1,000-service × 2-environment synth's 30 MB of
 * output twice more (37 MB of its ~810 MB of allocation, 2026-12-03). A piece never splits a
 * UTF-16 surrogate pair (pieces end at JSON punctuation), so encoding piece by piece gives the
 * bytes the whole text would.
 */
export function writeCanonicalJson(file: string, value: unknown): void {
  const fd = fs.openSync(file, "w");
  try {
    const buffer = Buffer.allocUnsafe(WRITE_CHUNK);
    let used = 0;
    const writeAll = (bytes: Buffer, length: number): void => {
      for (let at = 0; at < length; ) at += fs.writeSync(fd, bytes, at, length - at);
    };
    const flush = (): void => {
      writeAll(buffer, used);
      used = 0;
    };
    canonicalJsonPieces(value, (piece) => {
      // At most 3 bytes of UTF-8 per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
      const most = piece.length * 3;
      if (used + most > WRITE_CHUNK) {
        flush();
        if (most > WRITE_CHUNK) {
          const bytes = Buffer.from(piece, "utf8");
          writeAll(bytes, bytes.length);
          return;
        }
      }
      used += buffer.write(piece, used, "utf8");
    });
    flush();
  } finally {
    fs.closeSync(fd);
  }
}
