/*
 * The fast YAML path (js-yaml events) must yield exactly what the careful path (the yaml package)
 * yields — the same data and the same line for every path — or hand the document over. These
 * tests compare the two on every YAML file in the repository, on generated documents in every
 * scalar and collection style, and on randomly damaged text (where the fast path may refuse, but
 * must never accept something the careful path reads differently or rejects).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { stringify } from "yaml";
import type { ToStringOptions } from "yaml";
import { corePlainScalar, parseFast } from "../../lib/config/yaml-fast";
import { MAX_DEPTH, MAX_VALUES, parseCarefully, parseYaml } from "../../lib/config/yaml-source";

const bounds = { maxDepth: MAX_DEPTH, maxValues: MAX_VALUES };
const ROOT = path.join(__dirname, "..", "..");

/** Sorted entries, so that two line maps compare regardless of insertion order. */
const sorted = (lines: ReadonlyMap<string, number>): [string, number][] => [...lines].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The property: when the fast path reads `text`, parseYaml (which then takes it) gives what the
 * careful path gives: the same issues, or the same data and lines (which parseYaml finds only
 * when asked for, with a second fast read). The fast path reads the same texts, into the same
 * data, with its lines and without.
 */
function agrees(text: string): { fast: boolean } {
  const fast = parseFast(text, bounds);
  const withoutLines = parseFast(text, bounds, false);
  expect({ text, read: withoutLines !== undefined, data: withoutLines?.data, lines: withoutLines?.lines, numbers: withoutLines?.numberTexts }).toEqual({ text, read: fast !== undefined, data: fast?.data, lines: undefined, numbers: fast?.numberTexts });
  if (!fast) return { fast: false };
  const viaFast = parseYaml("f.yaml", text);
  const careful = parseCarefully("f.yaml", text);
  const shown = (r: ReturnType<typeof parseYaml>) => ({ text, issues: r.issues, data: r.doc?.data, lines: r.doc && sorted(r.doc.lines), numbers: r.doc?.numberTexts && [...r.doc.numberTexts].sort() });
  expect(shown(viaFast)).toEqual(shown(careful));
  return { fast: true };
}

describe("the fast YAML path reads what the careful path reads", () => {
  it("on every YAML file in the repository (all of them take the fast path)", () => {
    const files = execFileSync("git", ["ls-files", "*.yaml", "*.yml"], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").filter(Boolean);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) expect({ f, ...agrees(fs.readFileSync(path.join(ROOT, f), "utf8")) }).toEqual({ f, fast: true });
  });

  // Keys and strings that stress the scalar rules: every core-schema form, near misses of them,
  // indicators, quotes, escapes and line breaks.
  const tricky = fc.constantFrom("name", "port", "1", "0x1F", "0o17", "017", "+1", "-0", "1e3", "1.", ".5", ".inf", "-.Inf", ".NaN", "nan", "true", "True", "TRUE", "tRUE", "yes", "no", "on", "~", "null", "Null", "NULL", "", " ", "a b", "a: b", "a #b", "#x", "- x", "[x]", "{x}", "'q'", '"q"', "x\\y", "tab\there", "line\nbreak", "trail ", "\u00e9\u4e2d", "@x", "`x", "%x", "!x", "&x", "*x", "|", ">", "?", "<<", "0000", "1_000", "12:30", "2026-12-01", "${x}");
  const key = fc.oneof(tricky, fc.string({ maxLength: 6 }));
  const scalar = fc.oneof(tricky, fc.string({ maxLength: 12 }), fc.integer(), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null));
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("list"), tie("map"), tie("named")),
    list: fc.array(tie("node"), { maxLength: 4 }),
    map: fc.dictionary(key, tie("node"), { maxKeys: 4 }),
    // Lists of named maps: their lines are addressed by name.
    named: fc.array(fc.record({ name: fc.oneof(tricky, fc.string({ maxLength: 5 })), v: tie("node") }), { maxLength: 3 }),
  })).node;
  const options = fc.record({
    defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL", "BLOCK_FOLDED"),
    defaultKeyType: fc.constantFrom(null, "PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE"),
    collectionStyle: fc.constantFrom("any", "block", "flow"),
    indent: fc.constantFrom(2, 4),
    lineWidth: fc.constantFrom(0, 20, 80),
    indentSeq: fc.boolean(),
  });

  it("keeps the text of each map value read as a number that prints otherwise (3.10, 0755, 0x1F, 1e3), the same on both paths, in block and flow style", () => {
    const token = fc.constantFrom("3.10", "0755", "0x1F", "0o17", "1e3", "1.0", "+1", "-0", ".inf", "12345678901234567890", "8080", "1.5", "-3", "0", "true", "abc", "'3.10'", '"0755"');
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.constantFrom("A", "B", "C", "D", "E"), token), { selector: ([k]) => k, minLength: 1, maxLength: 5 }), fc.boolean(), (pairs, flow) => {
        const body = flow ? `env: { ${pairs.map(([k, t]) => `${k}: ${t}`).join(", ")} }\n` : `env:\n${pairs.map(([k, t]) => `  ${k}: ${t}\n`).join("")}`;
        expect(agrees(body).fast).toBe(true);
        const lossy = pairs.filter(([, t]) => typeof corePlainScalar(t) === "number" && String(corePlainScalar(t)) !== t);
        const numbers = parseYaml("f.yaml", body).doc?.numberTexts;
        expect(numbers && [...numbers].sort()).toEqual(lossy.length ? lossy.map(([k, t]) => [`env.${k}`, t]).sort() : undefined);
        // A document the careful path reads (an anchor) keeps them too.
        expect(parseCarefully("f.yaml", `x: &a 1\n${body}`).doc?.numberTexts && [...parseCarefully("f.yaml", `x: &a 1\n${body}`).doc!.numberTexts!].sort()).toEqual(lossy.length ? lossy.map(([k, t]) => [`env.${k}`, t]).sort() : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("on generated documents in every scalar and collection style (and the fast path takes nearly all)", () => {
    let taken = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), options, (doc, opts) => {
        let text: string;
        try {
          text = stringify(doc, opts as ToStringOptions);
        } catch {
          return; // an option set the yaml package cannot write
        }
        runs++;
        if (agrees(text).fast) taken++;
      }),
      { numRuns: 1500, seed: 20261201 },
    );
    // Generated plain YAML is what the fast path is for: a path that refused most of it would be no path.
    expect(taken / runs).toBeGreaterThan(0.8);
  });

  it("on damaged text: whatever the fast path accepts, the careful path reads the same", () => {
    const damage = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.oneof(fc.string({ maxLength: 3 }), fc.string({ maxLength: 2, unit: "binary" }), fc.constantFrom("", ":", " ", "\n", "-", "'", '"', "[", "]", "{", "}", ",", "#", "|", ">", "\t", "? ", "&a ", "*a", "!t ", "---\n", "...\n", "%YAML 1.2\n", "\\", "x", "0", "\u00a0"))), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 4 }), options, damage, (doc, opts, edits) => {
        let text: string;
        try {
          text = stringify(doc, opts as ToStringOptions);
        } catch {
          return;
        }
        for (const [at, cut, insert] of edits) {
          const p = text.length === 0 ? 0 : at % (text.length + 1);
          text = text.slice(0, p) + insert + text.slice(p + cut);
        }
        agrees(text);
      }),
      // ENVKIT_FUZZ_RUNS=40000 for a longer hunt (about 35 s per 40,000 runs).
      { numRuns: Number(process.env.ENVKIT_FUZZ_RUNS ?? 3000), seed: Number(process.env.ENVKIT_FUZZ_SEED ?? 1201) },
    );
  });
});

describe("the fast path hands over what only the careful path reads", () => {
  it.each([
    ["a tag", "a: !!str 1\n"],
    ["an anchor and alias", "a: &x 1\nb: *x\n"],
    ["a second document", "a: 1\n---\nb: 2\n"],
    ["a directive", "%YAML 1.2\n---\na: 1\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["keys equal as strings (1 and \"1\")", 'a:\n  1: x\n  "1": y\n'],
    ["a collection as a key", "? [a]\n: 1\n"],
    ["an empty key", ": 1\n"],
    ["a syntax error", "a: [1\n"],
    ["nesting near the bound", `${"[".repeat(MAX_DEPTH)}${"]".repeat(MAX_DEPTH)}\n`],
  ])("%s", (_what, text) => {
    expect(parseFast(text, bounds)).toBeUndefined();
    // parseYaml still reads or reports it, the careful way.
    const viaParseYaml = parseYaml("f.yaml", text);
    const careful = parseCarefully("f.yaml", text);
    expect(viaParseYaml).toEqual(careful);
  });
});

describe("plain scalars follow the yaml package's core schema", () => {
  it("for every form and near miss", () => {
    const forms = ["~", "null", "Null", "NULL", "nULL", "", "true", "True", "TRUE", "tRue", "false", "0o17", "0o8", "017", "+12", "-0", "0x1F", "0X1F", "0x", ".inf", "+.inf", "-.Inf", ".INF", ".nan", ".NaN", "nan", "1e3", "1E-3", ".5e1", "1.", ".5", "1.5.2", "1_000", "0b101", "12:30", "yes"];
    for (const s of forms) {
      const careful = parseCarefully("f.yaml", `v: ${s}\n`).doc!.data as { v: unknown };
      expect({ s, v: corePlainScalar(s) }).toEqual({ s, v: careful.v });
    }
  });
});
