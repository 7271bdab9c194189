import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { canonicalJson, canonicalJsonPieces, stableJson, writeCanonicalJson } from "../../lib/facade/canonical-json";
import { REFERENCE_APP, cli } from "../helpers";

/*
 * canonicalJson writes a stack document as cdktf's json-stable-stringify does (space: 2), byte for
 * byte; stableJson is its port for the documents the engine would order differently.
 */

// The serializer cdktf writes cdk.tf.json with, from cdktf's own dependencies.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stableStringify = require(require.resolve("json-stable-stringify", { paths: [path.dirname(require.resolve("cdktf"))] })) as (v: unknown, o: { space: number }) => string;
const reference = (v: unknown): string => stableStringify(v, { space: 2 });

const key = fc.oneof(fc.string(), fc.constantFrom("0", "1", "10", "9", "01", "-1", "4294967294", "4294967295", "__proto__", "a{}", "{}", "[]", "", "é", "\u2028"));
const leaf = fc.oneof(fc.string(), fc.constantFrom("{}", "[]", "x{},", "{}\n", "a\n{}"), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 4 }), fc.dictionary(key, tie("v"), { maxKeys: 5 }), fc.constant({}), fc.constant([])),
})).v;

describe("canonicalJson: json-stable-stringify's bytes", () => {
  it("for any JSON-like value: nested empties, array-index keys, __proto__, undefined, strings that look like JSON (fast-check)", () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
        expect(stableJson(v)).toBe(reference(v));
      }),
      { numRuns: 2000 },
    );
  });

  it("for wide objects, their keys in any order: up to 64 sorted in place, more by the engine (fast-check)", () => {
    // Keys of one case (lone surrogates, astral characters, prefixes of each other) compared by code unit.
    const wideKey = fc.oneof(fc.string({ unit: "binary", maxLength: 4 }), fc.string({ maxLength: 3 }), fc.constantFrom("a", "aa", "a_", "A", "Z", "_", "~", "\ud83d\ude00", "\ud83d", "\ufffd"));
    fc.assert(
      fc.property(fc.uniqueArray(wideKey, { maxLength: 130 }), fc.integer(), (keys, seed) => {
        const v = Object.fromEntries(keys.map((k, i) => [k, (i * 31 + seed) % 7 === 0 ? { [k]: i } : i]));
        expect(canonicalJson(v)).toBe(reference(v));
        const pieces: string[] = [];
        canonicalJsonPieces({ resource: { t: { id: v } } }, (p) => pieces.push(p));
        expect(pieces.join("")).toBe(reference({ resource: { t: { id: v } } }));
      }),
      { numRuns: 500 },
    );
  });

  it("for parsed JSON (own __proto__ keys) and values with toJSON", () => {
    const parsed = JSON.parse('{"__proto__": {"a": 1}, "b": [{}, []], "c": {"x": {}}}') as unknown;
    const dated = { at: new Date(0), list: [new Date(1), undefined, () => 1], fn: () => 1 };
    for (const v of [parsed, dated, {}, [], "s", 1, null]) expect(canonicalJson(v)).toBe(reference(v));
  });

  it("for the reference app's synthesized stacks (the files envkit synth writes are json-stable-stringify's)", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-canonical-")), "out");
    const r = cli("synth", "--config", REFERENCE_APP, "--out", out);
    expect(r.code).toBe(0);
    const envs = fs.readdirSync(path.join(out, "stacks"));
    expect(envs.length).toBe(5);
    for (const env of envs) {
      const text = fs.readFileSync(path.join(out, "stacks", env, "cdk.tf.json"), "utf8");
      expect(reference(JSON.parse(text))).toBe(text);
      expect(canonicalJson(JSON.parse(text))).toBe(text);
    }
  });
});

describe("canonicalJsonPieces / writeCanonicalJson: the same bytes, in pieces (a stack is never one string)", () => {
  const joined = (v: unknown, depth?: number): string => {
    const parts: string[] = [];
    canonicalJsonPieces(v, (p) => parts.push(p), depth);
    return parts.join("");
  };

  it("joined, the pieces are json-stable-stringify's bytes for any JSON-like value, at any structural depth (fast-check)", () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 5 }), (v, depth) => {
        expect(joined(v, depth)).toBe(reference(v) ?? "");
      }),
      { numRuns: 2000 },
    );
    const dated = { a: { at: new Date(0), gone: { toJSON: () => undefined }, fn: () => 1, list: [() => 1, undefined] }, b: {}, c: { d: {} } };
    for (const depth of [0, 1, 2, 3]) expect(joined(dated, depth)).toBe(reference(dated));
  });

  it("calls a member's toJSON as often as json-stable-stringify does (once per visit), at any structural depth", () => {
    const counted = (): { doc: unknown; calls: () => number } => {
      let calls = 0;
      const member = (value: unknown) => ({ toJSON: () => (calls++, value) });
      return { doc: { a: { b: member({ c: 1 }), gone: member(undefined) }, d: member([1, 2]) }, calls: () => calls };
    };
    const stock = counted();
    const text = reference(stock.doc);
    for (const depth of [0, 1, 2, 3]) {
      const ours = counted();
      expect(joined(ours.doc, depth)).toBe(text);
      expect(ours.calls()).toBe(stock.calls());
    }
  });

  it("writes a stack's sections, types and ids piece by piece, each resource whole", () => {
    const doc = { resource: { t: { a: { x: [1, {}] }, b: {} } }, terraform: { backend: {} } };
    const parts: string[] = [];
    canonicalJsonPieces(doc, (p) => parts.push(p));
    expect(parts).toContain(canonicalJson({ x: [1, {}] }).split("\n").join("\n      "));
    expect(parts.join("")).toBe(reference(doc));
  });

  it("writeCanonicalJson writes canonicalJson's bytes, across its 1 MB chunks and multi-byte characters", () => {
    const resource: Record<string, unknown> = {};
    for (let i = 0; i < 6000; i++) resource[`r${i}`] = { name: `é€😀 ${i}`.repeat(20), list: [i, { k: "ü" }], empty: {} };
    const doc = { "//": { metadata: {} }, resource: { kubernetes_config_map_v1: resource }, terraform: { required_providers: {} } };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-canonical-write-")), "cdk.tf.json");
    writeCanonicalJson(file, doc);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(bytes.equals(Buffer.from(reference(doc), "utf8"))).toBe(true);
  });

  it("writeCanonicalJson writes a piece larger than its buffer whole, between buffered ones", () => {
    // One resource of ~1.2 MB of UTF-8 (more than the 1 MB buffer can take), between small ones.
    const big = { data: { "rules.yml": "😀€a".repeat(150_000) } };
    const doc = { resource: { kubernetes_config_map_v1: { a: { x: "é" }, big, c: { y: ["😀", {}] } } } };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-canonical-big-")), "cdk.tf.json");
    writeCanonicalJson(file, doc);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBeGreaterThan(1024 * 1024);
    expect(bytes.equals(Buffer.from(reference(doc), "utf8"))).toBe(true);
  });
});
