/*
 * NUMBER_IN_STRING (lib/facade/independent-stack.ts) decides which strings fastResolve hands to
 * cdktf's resolve because they may hold a number token. It must match exactly the strings cdktf's
 * own pattern matches (tokens/private/encoding.js, copied here as cdktf writes it).
 */
import fc from "fast-check";
import { Lazy } from "../../lib/facade/cdktf";
import { NUMBER_IN_STRING } from "../../lib/facade/independent-stack";

const CDKTF_NUMBER_TOKEN = new RegExp("[-|\\d|.\\+]+(e[-|\\d|.|e|E|\\+]+)");

describe("the test for number tokens in strings", () => {
  it("matches exactly the strings cdktf's pattern matches (generated from the characters that matter)", () => {
    const text = fc.string({ unit: fc.constantFrom("1", "0", "9", "e", "E", "-", "+", ".", "|", "a", " ", "x", "\u00e9"), maxLength: 12 });
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ maxLength: 12 })), (s) => {
        expect(NUMBER_IN_STRING.test(s)).toBe(CDKTF_NUMBER_TOKEN.test(s));
      }),
      { numRuns: 20000 },
    );
  });

  it("matches the text of real number tokens, alone and inside other text, and not ordinary values", () => {
    const token = String(Lazy.numberValue({ produce: () => 1 }));
    expect(token).toMatch(/e\+/);
    for (const s of [token, `port ${token}`, `${token}:80`, "1e3", "2.5e-3", "x1ee"]) expect({ s, ours: NUMBER_IN_STRING.test(s) }).toEqual({ s, ours: true });
    for (const s of ["ghcr.io/acme/web:1.0.0", "sha256:" + "e".repeat(64), "release", "10.0.0.0/16", "e1", "1e", "eee"]) {
      expect({ s, ours: NUMBER_IN_STRING.test(s), cdktf: CDKTF_NUMBER_TOKEN.test(s) }).toEqual({ s, ours: false, cdktf: false });
    }
  });
});
