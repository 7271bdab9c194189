import { EnvkitError } from "../errors";
import { setOwn } from "../model/own-key";
import { jsonErrorOffset } from "./json-error-offset";

/*
 * Reading a synthesized stack for review without parsing what did not change. cdktf writes
 * `cdk.tf.json` canonically (json-stable-stringify: sorted keys, two-space indentation, one value
 * per line), so every resource body is one run of lines between `      "<id>": {` and the next line
 * that is exactly `      }`: a JSON string never holds a raw newline, so no line of a string can
 * pass for one. {@link parseStack} cuts the resource bodies out of the file's bytes and parses each
 * one only when the review reads it; two bodies with the same bytes are the same JSON, so a
 * 1,000-service review parses the few resources that changed instead of 60 MB of JSON.
 * Anything not laid out that way (minified, indented otherwise, an empty body on one line) is
 * parsed whole, as before.
 */

type Json = Record<string, unknown>;

/** Deepest JSON nesting accepted from an output folder (cdktf stacks nest ~15 levels). */
export const MAX_JSON_DEPTH = 200;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The bytes of a resource body not parsed yet: `buf[start, end)` of the file's bytes. Reading the
 * file as bytes spares decoding 15 MB of text per side; only what the review reads is decoded.
 */
export class RawBody {
  constructor(
    public readonly buf: Buffer,
    public readonly start: number,
    public readonly end: number,
  ) {}
}

/** Whether two unparsed bodies have the same bytes (then the same JSON). */
export function sameRaw(a: RawBody, b: RawBody): boolean {
  return a.end - a.start === b.end - b.start && a.buf.compare(b.buf, b.start, b.end, a.start, a.end) === 0;
}

/** Where `needle` occurs in each file's bytes, found once per file and needle (ascending). */
const OCCURRENCES = new WeakMap<Buffer, Map<string, number[]>>();

function occurrences(buf: Buffer, needle: string): number[] {
  let byNeedle = OCCURRENCES.get(buf);
  if (!byNeedle) OCCURRENCES.set(buf, (byNeedle = new Map()));
  let at = byNeedle.get(needle);
  if (!at) {
    at = [];
    const bytes = Buffer.from(needle);
    for (let i = buf.indexOf(bytes); i >= 0; i = buf.indexOf(bytes, i + 1)) at.push(i);
    byNeedle.set(needle, at);
  }
  return at;
}

/**
 * Whether an unparsed body's bytes contain `needle`: one search of the whole file per needle, then
 * a binary search per body (a review asks this of every resource).
 */
export function rawIncludes(raw: RawBody, needle: string): boolean {
  if (needle === "") return true;
  const at = occurrences(raw.buf, needle);
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at[mid] < raw.start) lo = mid + 1;
    else hi = mid;
  }
  return lo < at.length && at[lo] + Buffer.byteLength(needle) <= raw.end;
}

/**
 * False when no resource of `json` can mention `needle` (see {@link mentions}): a document cut by
 * {@link parseStack} whose file never holds it, nor an escape. True otherwise (then ask each one).
 */
export function mayMention(json: Json | undefined, needle: string): boolean {
  const buf = json && CUT.get(json);
  return !buf || needle === "" || occurrences(buf, needle).length > 0 || occurrences(buf, "\\u").length > 0 || occurrences(buf, "\\/").length > 0;
}

/**
 * Whether the body's JSON, as JSON.stringify writes it, contains `needle`, where the needle can
 * only lie inside one token: text with no whitespace, quote or JSON punctuation (`,:[]{}`), that
 * text in quotes (a whole key or string), or `${` and such text (an expression). Read from the
 * bytes while unparsed: they write each token as JSON.stringify does, except a `\u` or `\/`
 * escape, and a body holding one is parsed instead.
 */
export function mentions(r: { readonly body: Json; readonly raw: RawBody | undefined }, needle: string): boolean {
  const raw = r.raw;
  if (raw && !rawIncludes(raw, "\\u") && !rawIncludes(raw, "\\/")) return rawIncludes(raw, needle);
  return JSON.stringify(r.body).includes(needle);
}

/** The object behind each lazily parsed `resource[type]`: id → its body, or its bytes while unparsed. */
const TARGETS = new WeakMap<object, Record<string, unknown>>();
/** Documents whose resources are lazily parsed, and the bytes they were cut from (their shape was checked then). */
const CUT = new WeakMap<object, Buffer>();

/** Nesting of `value` deeper than `max` levels, found without recursing (a stack has millions of values). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const values: unknown[] = [value];
  const depths: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const depth = depths.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > max) return true;
    if (Array.isArray(v)) {
      for (const child of v) {
        if (typeof child === "object" && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      for (const key in v) {
        const child = (v as Json)[key];
        if (typeof child === "object" && child !== null) {
          values.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}

/** Why parsed JSON is not a cdktf stack the review tools can read, or undefined. */
export function stackShapeProblem(json: unknown): { path: string; message: string } | undefined {
  if (!isObject(json)) return { path: "", message: "expected a JSON object" };
  if (CUT.has(json)) return undefined;
  if (json.resource !== undefined) {
    if (!isObject(json.resource)) return { path: "resource", message: "expected an object" };
    for (const [type, byId] of Object.entries(json.resource)) {
      if (!isObject(byId)) return { path: `resource.${type}`, message: "expected an object" };
      for (const [id, body] of Object.entries(byId)) if (!isObject(body)) return { path: `resource.${type}.${id}`, message: "expected an object" };
    }
  }
  // Review code walks values recursively: bound the nesting.
  if (nestsDeeperThan(json, MAX_JSON_DEPTH)) return { path: "", message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
  return undefined;
}

/** The key of a canonical key line, indentation cut off: `"<key>": {`; undefined when it is not one. */
function keyOf(line: string): string | undefined {
  if (line.length < 5 || !line.endsWith('": {')) return undefined;
  const raw = line.slice(0, -3);
  if (!raw.includes("\\") && raw.indexOf('"', 1) === raw.length - 1) return raw.slice(1, -1);
  try {
    const key = JSON.parse(raw) as unknown;
    return typeof key === "string" ? key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `resource[type]` of a cut document: reading a resource (`byId[id]`, Object.entries, spread,
 * JSON.stringify) parses its bytes, once; Object.keys and `in` see the ids without parsing. (No
 * descriptor trap: Object.keys would call it for every id. A raw property descriptor shows the
 * placeholder.) A body that turns out not to be JSON, or to
 * nest too deep, throws an EnvkitError naming the file and the resource.
 */
function lazyResources(target: Record<string, unknown>, file: string, type: string): Json {
  const proxy = new Proxy(target, {
    get(t, id) {
      const v = t[id as string];
      if (!(v instanceof RawBody)) return v;
      const text = v.buf.toString("utf8", v.start, v.end);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        // Where, never what: the line of the error in the file (V8's message may quote the text).
        const at = jsonErrorOffset(text);
        const line = at === undefined ? undefined : lineOfOffset(v.buf, v.start + Buffer.byteLength(text.slice(0, at)));
        throw new EnvkitError([{ file, line, path: `resource.${type}.${String(id)}`, message: "is not valid JSON; it is not a synthesized output (synthesize it again with envkit synth)" }]);
      }
      // The depth bound counts from the document's root: resource.type.id is three levels down.
      if (!isObject(body) || nestsDeeperThan(body, MAX_JSON_DEPTH - 3)) {
        throw new EnvkitError([{ file, path: `resource.${type}.${String(id)}`, message: `is not a synthesized stack: this resource is ${isObject(body) ? `nested deeper than ${MAX_JSON_DEPTH} levels` : "not an object"}; synthesize it again with envkit synth` }]);
      }
      setOwn(t, id as string, body);
      return body;
    },
  });
  TARGETS.set(proxy, target);
  return proxy;
}

/** The 1-based line of byte `offset` of `buf`. */
function lineOfOffset(buf: Buffer, offset: number): number {
  let line = 1;
  for (let i = buf.indexOf(NL); i >= 0 && i < offset; i = buf.indexOf(NL, i + 1)) line++;
  return line;
}

const RESOURCE_OPEN = Buffer.from('\n  "resource": {\n');
const NL = 10;
const SPACE = 32;
const COMMA = 44;
const QUOTE = 34;
const CLOSE = 125;

/** Whether `buf[i]` starts a line of `indent` spaces followed by `char`. */
function lineAt(buf: Buffer, i: number, indent: number, char: number): boolean {
  for (let k = 0; k < indent; k++) if (buf[i + k] !== SPACE) return false;
  return buf[i + indent] === char;
}

/** Index of the `}` of the first line at or after `from` that is exactly `indent` spaces and `}`. */
function closingLine(buf: Buffer, from: number, indent: number): number {
  // One byte searched natively, then its line checked: a multi-byte pattern full of spaces makes
  // Buffer#indexOf crawl through indentation a byte at a time.
  for (let i = buf.indexOf(CLOSE, from); i >= 0; i = buf.indexOf(CLOSE, i + 1)) {
    if (i > indent && buf[i - indent - 1] === NL && lineAt(buf, i - indent, indent, CLOSE)) return i;
  }
  return -1;
}

/** The key of the canonical line `<indent>"<key>": {` starting at `start`, and where the line ends. */
function keyLine(buf: Buffer, start: number, indent: number): { key: string; end: number } | undefined {
  const end = buf.indexOf(NL, start);
  if (end < 0 || !lineAt(buf, start, indent, QUOTE)) return undefined;
  // utf8Slice: Buffer#toString without its argument checks, ~7,000 times per stack.
  const key = keyOf((buf as unknown as { utf8Slice(start: number, end: number): string }).utf8Slice(start + indent, end));
  return key === undefined ? undefined : { key, end };
}

/** The resource bodies of a canonical stack, cut from its bytes; undefined when it is not laid out canonically. */
function cutResources(buf: Buffer, file: string): { resource: Record<string, Json>; rest: string } | undefined {
  if (buf[0] !== 123 || buf[1] !== NL) return undefined;
  const open = buf.indexOf(RESOURCE_OPEN);
  if (open < 0) return undefined;
  const resource: Record<string, Json> = {};
  // p: the newline that ends the previous line.
  let p = open + RESOURCE_OPEN.length - 1;
  while (!lineAt(buf, p + 1, 2, CLOSE)) {
    const typeLine = keyLine(buf, p + 1, 4);
    if (!typeLine || Object.hasOwn(resource, typeLine.key)) return undefined;
    const target: Record<string, unknown> = {};
    let q = typeLine.end;
    while (!lineAt(buf, q + 1, 4, CLOSE)) {
      const idLine = keyLine(buf, q + 1, 6);
      if (!idLine || Object.hasOwn(target, idLine.key)) return undefined;
      // An empty body closes on the very next line: search from the end of its own line.
      const close = closingLine(buf, idLine.end, 6);
      if (close < 0) return undefined;
      setOwn(target, idLine.key, new RawBody(buf, idLine.end - 1, close + 1));
      q = close + 1;
      if (buf[q] === COMMA) q++;
      if (buf[q] !== NL) return undefined;
    }
    setOwn(resource, typeLine.key, lazyResources(target, file, typeLine.key));
    p = q + 6;
    if (buf[p] === COMMA) p++;
    if (buf[p] !== NL) return undefined;
  }
  const before = buf.toString("utf8", 0, open);
  const after = buf.toString("utf8", p + 4);
  const rest = after.startsWith(",") ? before + after.slice(1) : (before.endsWith(",") ? before.slice(0, -1) : before) + after;
  return { resource, rest };
}

/**
 * Parses a stack file's bytes. A canonical stack (as cdktf writes it) gets its resource bodies
 * parsed on first read, each from its own bytes (see {@link rawBodyOf}); a body that then turns
 * out not to be JSON throws an {@link EnvkitError} naming `file` and the resource. Anything else
 * is decoded and parsed whole with JSON.parse, which throws on invalid JSON.
 */
export function parseStack(buf: Buffer, file: string): unknown {
  const cut = cutResources(buf, file);
  if (cut) {
    let rest: unknown;
    try {
      rest = JSON.parse(cut.rest);
    } catch {
      rest = undefined;
    }
    if (isObject(rest) && rest.resource === undefined && stackShapeProblem(rest) === undefined) {
      const doc: Json = {};
      let placed = false;
      for (const key of Object.keys(rest)) {
        if (!placed && key > "resource") {
          doc.resource = cut.resource;
          placed = true;
        }
        setOwn(doc, key, rest[key]);
      }
      if (!placed) doc.resource = cut.resource;
      CUT.set(doc, buf);
      return doc;
    }
  }
  return JSON.parse(buf.toString("utf8")) as unknown;
}

/** A Terraform resource type or name as cdktf writes them: safe to print (no data of the stack). */
const TERRAFORM_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,199}$/;

/**
 * The resource (`resource.<type>.<id>`) that offset `at` of a JSON text lies in, read from the
 * text before it (valid JSON up to a parse error, or all of a truncated file); "" when it lies
 * outside the resources or a name is not a Terraform identifier. Only these names are ever
 * reported: keys deeper in a body may hold data.
 */
export function resourceAt(text: string, at: number): string {
  // Per open container: whether it is a list, and the key (object) or index (list) being read.
  const open: { list: boolean; key?: string; index: number; wantKey: boolean }[] = [];
  const end = Math.min(at, text.length);
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      let j = i + 1;
      while (j < end && text.charCodeAt(j) !== 34) j += text.charCodeAt(j) === 92 ? 2 : 1;
      const top = open[open.length - 1];
      if (top && !top.list && top.wantKey && j < end) {
        try {
          top.key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          top.key = undefined;
        }
        top.wantKey = false;
      }
      i = j;
    } else if (c === 123 || c === 91) open.push({ list: c === 91, index: 0, wantKey: c === 123 });
    else if (c === 125 || c === 93) open.pop();
    else if (c === 44) {
      const top = open[open.length - 1];
      if (top?.list) top.index++;
      else if (top) {
        top.wantKey = true;
        top.key = undefined;
      }
    }
  }
  const [root, byType, byId] = open;
  const ok = root && !root.list && root.key === "resource" && byType && !byType.list && byType.key !== undefined && byId && !byId.list && byId.key !== undefined;
  return ok && TERRAFORM_ID.test(byType.key!) && TERRAFORM_ID.test(byId.key!) ? `resource.${byType.key}.${byId.key}` : "";
}

/** The bytes of a resource body not parsed yet (from {@link parseStack}), else undefined. */
export function rawBodyOf(byId: Json, id: string): RawBody | undefined {
  const v = TARGETS.get(byId)?.[id];
  return v instanceof RawBody ? v : undefined;
}

/** One resource of a stack: its body is parsed when first read. */
export class StackResource {
  constructor(
    public readonly type: string,
    public readonly id: string,
    private readonly byId: Json,
  ) {}

  /** The resource's body (parsed now, when it was not yet). */
  public get body(): Json {
    return this.byId[this.id] as Json;
  }

  /** Its bytes while it is not parsed (see {@link rawBodyOf}). */
  public get raw(): RawBody | undefined {
    return rawBodyOf(this.byId, this.id);
  }
}

const RESOURCES = new WeakMap<object, ReadonlyMap<string, StackResource>>();

/** Every resource of a stack by address (`type.id`), bodies unread; one map per document. */
export function resourcesOf(json: Json | undefined): ReadonlyMap<string, StackResource> {
  // Only documents cut by parseStack are remembered: nothing else holds them, nothing changes them.
  const known = json && RESOURCES.get(json);
  if (known) return known;
  const out = new Map<string, StackResource>();
  const res = (json?.resource ?? {}) as Record<string, Json>;
  for (const type of Object.keys(res)) {
    const byId = res[type];
    for (const id of Object.keys(byId)) out.set(`${type}.${id}`, new StackResource(type, id, byId));
  }
  if (json && CUT.has(json)) RESOURCES.set(json, out);
  return out;
}
