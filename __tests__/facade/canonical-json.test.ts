import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { canonicalJson, stableJson } from "../../lib/facade/canonical-json";
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
