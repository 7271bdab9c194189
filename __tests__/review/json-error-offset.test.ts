import fc from "fast-check";
import { jsonErrorOffset } from "../../lib/review/json-error-offset";

/*
 * jsonErrorOffset locates a JSON error when V8's message gives no position. Its answer is checked
 * against V8's own JSON.parse: valid exactly when JSON.parse accepts the text, at V8's position
 * when V8 gives one, at the token V8 names when it names one, at the end when V8 says the input
 * ended.
 */

/** What V8 says of `text`: accepted, a position, an unexpected token, or the end of the input. */
function v8Verdict(text: string): { ok: true } | { ok: false; position?: number; token?: string; end?: boolean; message: string } {
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (e) {
    const message = (e as Error).message;
    const position = /at position (\d+)/.exec(message);
    const token = /^Unexpected token '(.)'/su.exec(message);
    return { ok: false, message, position: position ? Number(position[1]) : undefined, token: token?.[1], end: /Unexpected end of JSON input/.test(message) };
  }
}

/** Checks jsonErrorOffset against V8 on one text; returns how V8 located the error (for coverage counts). */
function agreesWithV8(text: string): "valid" | "position" | "token" | "end" {
  const v8 = v8Verdict(text);
  const at = jsonErrorOffset(text);
  if (v8.ok) {
    expect(at).toBeUndefined();
    return "valid";
  }
  expect(at).toBeDefined();
  if (v8.position !== undefined) {
    expect(at).toBe(v8.position);
    return "position";
  }
  if (v8.end) {
    expect(at).toBe(text.length);
    return "end";
  }
  // Every other V8 message names the unexpected character (as a UTF-16 code unit).
  expect(v8.token).toBeDefined();
  expect(text[at!]).toBe(v8.token);
  return "token";
}

/** One edit of a text: a character inserted, removed or replaced, or the text cut off. */
const edited = (base: fc.Arbitrary<string>): fc.Arbitrary<string> =>
  fc
    .tuple(base, fc.nat(), fc.constantFrom("insert", "remove", "replace", "cut"), fc.constantFrom(..."{}[]:,\"\\ \n\tetrufalsn0123456789.-+Ex<=>\u0001\u00e9"))
    .map(([t, n, kind, c]) => {
      const i = t.length === 0 ? 0 : n % t.length;
      if (kind === "insert") return t.slice(0, i) + c + t.slice(i);
      if (kind === "remove") return t.slice(0, i) + t.slice(i + 1);
      if (kind === "replace") return t.slice(0, i) + c + t.slice(i + 1);
      return t.slice(0, i);
    });

describe("jsonErrorOffset", () => {
  it("finds no error in valid JSON, compact or indented", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, "\t"), (v, space) => {
        expect(jsonErrorOffset(JSON.stringify(v, null, space))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("agrees with V8 on texts one edit away from valid JSON: valid, its position, the token it names, or the end", () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(edited(fc.jsonValue().map((v) => JSON.stringify(v, null, 1))), (text) => {
        const how = agreesWithV8(text);
        seen.set(how, (seen.get(how) ?? 0) + 1);
      }),
      { numRuns: 3000 },
    );
    // The property reached every kind of V8 verdict (else it checked less than it says).
    expect([...seen.keys()].sort()).toEqual(["end", "position", "token", "valid"]);
  });

  it("agrees with V8 on hand-picked errors of every kind", () => {
    const cases = [
      "hunter2",
      '{"a": hunter2}',
      '{"a": 1,}',
      "[1,2",
      '{"a":\n tru}',
      '{"x": "a\nb"}',
      "",
      "   ",
      "{} x",
      '"abc',
      "01",
      "[1.]",
      "-",
      "1e",
      "1e+",
      '["\\u12"]',
      '["\\x"]',
      "tr",
      "nul",
      "trux",
      '{"a" 1}',
      '{"a":1 "b":2}',
      "[1 2]",
      "]",
      "{]",
      '{"a":[}',
      "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> branch",
    ];
    for (const text of cases) agreesWithV8(text);
  });

  it("locates a merge-conflict marker in a stack by its offset", () => {
    const text = '{\n  "resource": {\n<<<<<<< HEAD\n  }\n}\n';
    expect(jsonErrorOffset(text)).toBe(text.indexOf("<"));
  });

  it("reads 100,000 levels of nesting without using the call stack", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect(jsonErrorOffset(deep)).toBeUndefined();
    const broken = `${"[".repeat(100_000)}x${"]".repeat(100_000)}`;
    expect(jsonErrorOffset(broken)).toBe(100_000);
  });
});
