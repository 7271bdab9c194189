import { ChangeKind, classify, isSensitivePath } from "./replacement";
import { sameJson } from "./same-json";

/** One changed attribute (values masked when sensitive). */
export interface AttributeChange {
  /** Readable path: element keys in brackets (`spec.template.spec.container[web].image`). */
  readonly path: string;
  /** The schema path the provider rules are matched on (element keys removed). */
  readonly schemaPath?: string;
  readonly before?: string;
  readonly after?: string;
  readonly forcesReplacement: boolean;
  /** Planned in place, but the provider never applies it to the existing resource (it drifts until replaced). */
  readonly notApplied?: boolean;
  /** Of a plain list: the elements only after / only before (an added env var is `APP_ENV=dev`). */
  readonly added?: readonly string[];
  readonly removed?: readonly string[];
  /** A whole element of a list of blocks that appears or disappears. */
  readonly element?: "added" | "removed";
  /**
   * Of a multi-line string (a rules file, a config file in a ConfigMap): the lines that differ,
   * as hunks of a line diff (see {@link changedLines}). At most {@link MAX_CHANGED_LINES} lines
   * are listed in all; `more` counts the changed lines left out.
   */
  readonly lines?: { readonly hunks: readonly LineHunk[]; readonly more?: number };
}

/**
 * One run of changed lines: `removed` are lines `line`, `line + 1`… of the old value (1-based),
 * replaced by `added`; a pure insertion has no removed lines and goes before old line `line`.
 */
export interface LineHunk {
  readonly line: number;
  readonly removed: readonly string[];
  readonly added: readonly string[];
}

/** Changed lines of a multi-line string listed in a review, removed and added together. */
export const MAX_CHANGED_LINES = 40;

/** Largest span of differing lines given to the line diff; a longer one is shown as one hunk. */
const MAX_DIFFED_LINES = 4000;
/** Most edits the line diff looks for before it shows the span as one hunk. */
const MAX_EDITS = 200;

/**
 * The shortest edit script from `b` to `a` (Myers' O(ND) diff): "=" keeps a line, "-" removes
 * one of `b`, "+" adds one of `a`; undefined when it takes more than `maxEdits` edits.
 */
function editScript(b: readonly string[], a: readonly string[], maxEdits: number): string[] | undefined {
  const n = b.length;
  const m = a.length;
  const off = n + m + 1;
  const v = new Int32Array(2 * off + 1);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(n + m, maxEdits); d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && b[x] === a[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m, off);
    }
  }
  return undefined;
}

function backtrack(trace: readonly Int32Array[], n: number, m: number, off: number): string[] {
  const ops: string[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const v = trace[d];
    const k = x - y;
    const down = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]);
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[off + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push("=");
      x--;
      y--;
    }
    ops.push(down ? "+" : "-");
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push("=");
    x--;
    y--;
  }
  return ops.reverse();
}

/** Length of the longest common prefix of `a` and `b`, found by binary search over native comparisons. */
function commonPrefix(a: string, b: string): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Length of the longest common suffix of `a` and `b`, found the same way. */
function commonSuffix(a: string, b: string): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (a.slice(a.length - mid, a.length - lo) === b.slice(b.length - mid, b.length - lo)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The lines that differ between two multi-line strings (see {@link AttributeChange.lines}). The
 * whole lines both share at the start and at the end are found on the text (native comparisons)
 * and cut off first; only the lines between are split and compared: a rules file is ~30,000 lines.
 */
export function changedLines(before: string, after: string, readable: (line: string) => string = (l) => l): AttributeChange["lines"] {
  // Whole shared lines at the start: everything up to the last newline of the common prefix.
  // (lastIndexOf clamps a negative start to 0: an empty prefix has no shared line.)
  const prefix = commonPrefix(before, after);
  const head = prefix === 0 ? 0 : before.lastIndexOf("\n", prefix - 1) + 1;
  let startLine = 0;
  for (let i = before.indexOf("\n"); i >= 0 && i < head; i = before.indexOf("\n", i + 1)) startLine++;
  const bRest = before.slice(head);
  const aRest = after.slice(head);
  // Whole shared lines at the end: from the first newline of the common suffix. before is then
  // head + bMid + tail with tail = "\n" + shared lines, so its lines are head's, bMid's, tail's.
  const nl = bRest.indexOf("\n", bRest.length - commonSuffix(bRest, aRest));
  const tail = nl < 0 ? 0 : bRest.length - nl;
  return changedLinesOf(bRest.slice(0, bRest.length - tail).split("\n"), aRest.slice(0, aRest.length - tail).split("\n"), startLine, readable);
}

function changedLinesOf(b: string[], a: string[], startLine: number, readable: (line: string) => string): AttributeChange["lines"] {
  const script = b.length + a.length <= MAX_DIFFED_LINES ? editScript(b, a, MAX_EDITS) : undefined;
  // Too long or too different to diff line by line: the whole span, as one hunk.
  const ops = script ?? [...b.map(() => "-"), ...a.map(() => "+")];
  const hunks: LineHunk[] = [];
  let shown = 0;
  let more = 0;
  let bi = 0;
  let ai = 0;
  for (let i = 0; i < ops.length; ) {
    if (ops[i] === "=") {
      bi++;
      ai++;
      i++;
      continue;
    }
    const line = startLine + bi + 1;
    const removed: string[] = [];
    const added: string[] = [];
    for (; i < ops.length && ops[i] !== "="; i++) {
      const list = ops[i] === "-" ? removed : added;
      const text = ops[i] === "-" ? b[bi++] : a[ai++];
      if (shown < MAX_CHANGED_LINES) {
        list.push(readable(text));
        shown++;
      } else more++;
    }
    if (removed.length + added.length > 0) hunks.push({ line, removed, added });
  }
  return { hunks, ...(more > 0 ? { more } : {}) };
}

type Json = Record<string, unknown>;

/** What a reference `${type.id.attr}` reads as: the referenced resource's name, if it has one. */
export type RefNamer = (type: string, id: string) => string | undefined;

const MASK = "(sensitive)";
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const REF = /\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}/g;

/** `${docker_network.docker_network-front_A20E8733.name}` → `docker_network "shop-dev-front"`, or `docker_network.<id>`. */
export function readableRefs(text: string, namer: RefNamer): string {
  // Most values hold no expression: one native search instead of a regex pass (a rules file is a megabyte).
  if (!text.includes("${")) return text;
  return text.replace(REF, (_m, type: string, id: string, rest: string) => {
    const name = type === "var" || type === "local" || type === "data" ? undefined : namer(type, id);
    const attr = rest.replace(/\[\d+\]/g, "");
    if (type === "var") return `var.${id}`;
    if (name === undefined) return `${type}.${id}${attr}`;
    return /^(\.metadata)?\.name$/.test(attr) ? `${type} "${name}"` : `${type} "${name}"${attr}`;
  });
}

/** The key an element of a list of blocks is matched by across base and head, if unique. */
const KEY_FIELDS: readonly ((o: Json) => unknown)[] = [
  (o) => o.name,
  (o) => (isObject(o.metadata) ? o.metadata.name : Array.isArray(o.metadata) && isObject(o.metadata[0]) ? o.metadata[0].name : undefined),
  (o) => o.label,
  (o) => o.file,
  (o) => o.target,
  (o) => o.key,
];

function keysOf(list: readonly Json[], pick: (o: Json) => unknown): string[] | undefined {
  const keys = list.map(pick);
  if (!keys.every((k) => typeof k === "string" || typeof k === "number")) return undefined;
  const s = keys.map(String);
  return new Set(s).size === s.length ? s : undefined;
}

/** Whether a value is literal text: a string Terraform interpolates nothing into (no `${`), so no reference to a secret. */
const isLiteralText = (v: unknown): boolean => typeof v === "string" && !v.includes("${");

/**
 * Masks values under secret-like keys (and KEY=value strings with such a key) inside a value.
 * With `literalContent`, an upload's `content` that is literal text is shown (see {@link AttributeOptions}).
 */
function maskDeep(v: unknown, path: string, literalContent: boolean): unknown {
  if (isSensitivePath(path, { literalContent: literalContent && isLiteralText(v) })) return MASK;
  if (typeof v === "string") return maskAssignment(v);
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, path, literalContent));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "//").map(([k, x]) => [k, maskDeep(x, `${path}.${k}`, literalContent)]));
  return v;
}

/**
 * Makes `obj[key]` (already present, so its place among the keys is kept) computed on first read
 * and then a plain value; JSON.stringify and spreading read it like any property.
 */
function lazy<T extends object, K extends keyof T>(obj: T, key: K, make: () => T[K]): void {
  const settle = (value: T[K]): void => void Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      const value = make();
      settle(value);
      return value;
    },
    set: settle,
  });
}

/** Options of {@link attributeChanges}. */
export interface AttributeOptions {
  /**
   * The bodies are synthesized stacks, whose secrets are references (`${var.…}`) by construction:
   * an upload's `content` that is literal text (a rules file, a dashboard, a proxy config) is
   * shown, line by line; one holding a reference stays masked. Not for plan values, where a
   * reference has become its value. @default false: every `content` is masked
   */
  readonly literalContent?: boolean;
}

/** `DB_PASSWORD=x` → `DB_PASSWORD=(sensitive)`; `DB_PASSWORD_FILE=/run/…` stays. */
function maskAssignment(s: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=/.exec(s);
  return m && isSensitivePath(m[1]) ? `${m[1]}=${MASK}` : s;
}

const rank: Record<ChangeKind, number> = { "in-place": 0, "not-applied": 1, replace: 2 };

/**
 * Attribute-level difference of two resource bodies (cdktf metadata comments ignored), element by
 * element: plain lists report the elements added and removed, lists of blocks are matched by a
 * unique key (name, metadata.name, label, file, target, key; else position), and references read
 * as the referenced resource's name.
 */
export function attributeChanges(type: string, before: Json | undefined, after: Json | undefined, namer: RefNamer = () => undefined, opts: AttributeOptions = {}): AttributeChange[] {
  const out: AttributeChange[] = [];
  const literal = opts.literalContent === true;
  const text = (v: unknown, path: string): string | undefined => {
    if (v === undefined) return undefined;
    const m = maskDeep(v, path, literal);
    return m === MASK ? MASK : readableRefs(JSON.stringify(m), namer);
  };

  const leaf = (path: string, schema: string, b: unknown, a: unknown, kind: ChangeKind, extra: Partial<AttributeChange> = {}): void => {
    if (!extra.lines) {
      out.push({ path, schemaPath: schema, before: text(b, path), after: text(a, path), forcesReplacement: kind === "replace", notApplied: kind === "not-applied" || undefined, ...extra });
      return;
    }
    // A multi-line value shows its changed lines; its whole text (JSON-quoted: ~10 ms per
    // megabyte of rules file) is made only when read — by the JSON report, not by the markdown.
    const change = { path, schemaPath: schema, before: undefined as string | undefined, after: undefined as string | undefined, forcesReplacement: kind === "replace", notApplied: kind === "not-applied" || undefined, ...extra };
    lazy(change, "before", () => text(b, path));
    lazy(change, "after", () => text(a, path));
    out.push(change);
  };

  // Leaves inside a block element never change the block's count: their own rule decides.
  const walk = (b: unknown, a: unknown, path: string, schema: string): void => {
    if (sameJson(b, a)) return;
    const join = (p: string, k: string): string => (p ? `${p}.${k}` : k);
    if ((isObject(b) || b === undefined) && (isObject(a) || a === undefined) && (isObject(b) || isObject(a)) && Object.keys({ ...(b as Json), ...(a as Json) }).some((k) => k !== "//")) {
      const bo = (b ?? {}) as Json;
      const ao = (a ?? {}) as Json;
      for (const k of [...new Set([...Object.keys(bo), ...Object.keys(ao)])].sort()) {
        if (k === "//") continue;
        walk(Object.hasOwn(bo, k) ? bo[k] : undefined, Object.hasOwn(ao, k) ? ao[k] : undefined, join(path, k), join(schema, k));
      }
      return;
    }
    const bl = Array.isArray(b) ? b : b === undefined ? [] : undefined;
    const al = Array.isArray(a) ? a : a === undefined ? [] : undefined;
    if (bl && al && bl.length + al.length > 0 && [...bl, ...al].every(isObject)) {
      blocks(bl as Json[], al as Json[], path, schema);
      return;
    }
    if (bl && al && [...bl, ...al].every((x) => !isObject(x) && !Array.isArray(x))) {
      const el = (x: unknown): string => (isSensitivePath(path) ? MASK : typeof x === "string" ? readableRefs(maskAssignment(x), namer) : JSON.stringify(x));
      const bs = bl.map(el);
      const as = al.map(el);
      const removed = bs.filter((x) => !as.includes(x));
      const added = as.filter((x) => !bs.includes(x));
      // A plain list is one attribute for the provider (its ForceNew covers the elements).
      leaf(path, schema, b, a, classify(type, schema, false), { added: added.length || removed.length ? added : undefined, removed: added.length || removed.length ? removed : undefined });
      return;
    }
    // A multi-line string (not masked) shows its changed lines: its start alone, cut to fit a
    // line, rarely shows what changed.
    const multiLine = typeof b === "string" && typeof a === "string" && (b.includes("\n") || a.includes("\n")) && !isSensitivePath(path, { literalContent: literal && isLiteralText(b) && isLiteralText(a) });
    leaf(path, schema, b, a, classify(type, schema, false), multiLine ? { lines: changedLines(b, a, (l) => readableRefs(maskAssignment(l), namer)) } : {});
  };

  const blocks = (bl: Json[], al: Json[], path: string, schema: string): void => {
    const pick = KEY_FIELDS.find((f) => keysOf(bl, f) && keysOf(al, f) && (bl.length > 0 || al.length > 0));
    // A single block (metadata, spec) has no element segment; nor has one whose key changed
    // (a renamed single element is an attribute change to the provider).
    if (bl.length <= 1 && al.length <= 1 && (!pick || (bl.length === 1 && al.length === 1 && String(pick(bl[0])) !== String(pick(al[0]))))) {
      walk(bl[0], al[0], path, schema);
      return;
    }
    const bk = pick ? keysOf(bl, pick)! : bl.map((_x, i) => String(i));
    const ak = pick ? keysOf(al, pick)! : al.map((_x, i) => String(i));
    const label = (k: string): string => `${path}[${readableRefs(k, namer)}]`;
    const countChanged = bl.length !== al.length;
    // Same count: the provider diffs the nested attributes (a ForceNew block forces only on its count).
    const elementKind = (o: Json): ChangeKind =>
      countChanged
        ? classify(type, schema, true)
        : Object.keys(o)
            .filter((k) => k !== "//")
            .map((k) => classify(type, `${schema}.${k}`, false))
            .reduce<ChangeKind>((m, k) => (rank[k] > rank[m] ? k : m), "in-place");
    for (const [i, k] of bk.entries()) if (!ak.includes(k)) leaf(label(k), schema, bl[i], undefined, elementKind(bl[i]), { element: "removed" });
    for (const [i, k] of ak.entries()) {
      const j = bk.indexOf(k);
      if (j < 0) leaf(label(k), schema, undefined, al[i], elementKind(al[i]), { element: "added" });
      else walk(bl[j], al[i], label(k), schema);
    }
  };

  walk(before ?? {}, after ?? {}, "", "");
  return out;
}
