import fc from "fast-check";
import { stableJson } from "../../lib/facade/stable-json";

// The oracle: the library cdktf 0.21.0 writes every stack with (synthesizer.js:78).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const libraryStringify = require(require.resolve("json-stable-stringify", { paths: [require.resolve("cdktf")] })) as (v: unknown, o: { space: number }) => string | undefined;
const library = (v: unknown) => libraryStringify(v, { space: 2 });

describe("stableJson writes what cdktf's json-stable-stringify writes, byte for byte", () => {
  it("on random JSON values (keys of every kind, unicode, nesting, numbers)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => stableJson(v) === library(v)),
      { numRuns: 3000 },
    );
  });

  it("on what JSON cannot hold: undefined and functions in objects and arrays, toJSON, -0, empty containers at every depth", () => {
    const cases: unknown[] = [
      { a: undefined, b: () => 1, c: [undefined, () => 1, null], d: {} },
      { nested: { deeper: { empty: [], also: {} } } },
      [[], {}, [[]], [{}]],
      { date: new Date(0), custom: { toJSON: () => ({ z: 1, a: [2] }) } },
      { "-0": -0, big: 1e21, small: 5e-7, nan: Number.NaN, inf: Number.POSITIVE_INFINITY },
      { "é": 1, e: 2, E: 3, "10": 4, "9": 5, "": 6, "\u0000": 7, "__proto__": 8 },
      "top-level string",
      42,
      null,
    ];
    for (const v of cases) expect(stableJson(v)).toBe(library(v));
  });

  it("refuses a cycle, as the library does, instead of looping", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => library(a)).toThrow(TypeError);
    expect(() => stableJson(a)).toThrow(TypeError);
  });
});
