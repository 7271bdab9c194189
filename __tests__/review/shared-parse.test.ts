import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { EnvkitError, formatIssue } from "../../lib/errors";
import { sameJson } from "../../lib/review/same-json";
import { ParsedTexts, readOutputDir } from "../../lib/review/sources";
import { diffOutputs } from "../../lib/review/stack-diff";

/*
 * The review reads both sides through one parse cache (an unchanged environment is parsed and
 * checked once, and the diff skips it at once) and compares resources without serializing them.
 * These tests pin that the shortcuts never change a verdict.
 */

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

function output(stacks: Record<string, string>): string {
  const dir = tmp("envkit-shared-parse-");
  for (const [env, text] of Object.entries(stacks)) {
    fs.mkdirSync(path.join(dir, "stacks", env), { recursive: true });
    fs.writeFileSync(path.join(dir, "stacks", env, "cdk.tf.json"), text);
  }
  return dir;
}

const stack = (image: string) => JSON.stringify({ resource: { docker_container: { api: { name: "shop-dev-api", image } } } }, null, 2);

function issuesOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof EnvkitError) return e.issues.map(formatIssue);
    throw e;
  }
  return [];
}

describe("one parse for both sides of a review", () => {
  it("an environment byte-identical on both sides is one object and reported unchanged; a changed one is still diffed", () => {
    const parsed: ParsedTexts = new Map();
    const base = readOutputDir(output({ dev: stack("busybox:1"), prod: stack("busybox:1") }), parsed);
    const head = readOutputDir(output({ dev: stack("busybox:1"), prod: stack("busybox:2") }), parsed);
    expect(head.get("dev")!.json).toBe(base.get("dev")!.json);
    expect(head.get("prod")!.json).not.toBe(base.get("prod")!.json);
    const report = diffOutputs(base, head);
    expect(report.environments.map((e) => [e.env, e.status])).toEqual([
      ["dev", "unchanged"],
      ["prod", "changed"],
    ]);
    expect(report.environments[1].changes.map((c) => [c.address, c.action])).toEqual([["docker_container.api", "replace"]]);
  });

  it("a malformed stack shared by both sides is refused on both sides, not accepted the second time from the cache", () => {
    const bad = JSON.stringify({ resource: { docker_container: 7 } });
    const parsed: ParsedTexts = new Map();
    const first = issuesOf(() => readOutputDir(output({ dev: bad }), parsed));
    const second = issuesOf(() => readOutputDir(output({ dev: bad }), parsed));
    expect(first).toEqual([expect.stringMatching(/cdk\.tf\.json: resource\.docker_container: is not a synthesized stack: expected an object/)]);
    expect(second).toEqual([expect.stringMatching(/cdk\.tf\.json: resource\.docker_container: is not a synthesized stack: expected an object/)]);
  });

  it("a stack nested past the depth bound is refused on both sides", () => {
    const deep = `{"resource":{"t":{"x":{"v":${"[".repeat(300)}${"]".repeat(300)}}}}}`;
    const parsed: ParsedTexts = new Map();
    for (let i = 0; i < 2; i++) expect(issuesOf(() => readOutputDir(output({ dev: deep }), parsed))).toEqual([expect.stringMatching(/nests deeper than 200 levels/)]);
  });
});

/** The reference: equal when their canonical serializations (keys sorted) are equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

describe("sameJson (compares resources without serializing them)", () => {
  const json = fc.jsonValue({ maxDepth: 4 });

  it("agrees with comparing canonical serializations, on random pairs and on near-equal pairs", () => {
    fc.assert(fc.property(json, json, (a, b) => sameJson(a, b) === (canonical(a) === canonical(b))), { numRuns: 2000 });
    // Near-equal: a value against a copy with one key reordered or one leaf changed.
    fc.assert(
      fc.property(fc.dictionary(fc.string(), json, { minKeys: 1 }), fc.nat(), (o, n) => {
        const keys = Object.keys(o);
        const reordered = Object.fromEntries([...keys].reverse().map((k) => [k, o[k]]));
        const changed = { ...o, [keys[n % keys.length]]: ["changed", o[keys[n % keys.length]]] };
        return sameJson(o, reordered) && !sameJson(o, changed) && !sameJson(changed, o);
      }),
      { numRuns: 1000 },
    );
  });

  it("a key only one side has, arrays against objects and null against {} are differences", () => {
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson([], {})).toBe(false);
    expect(sameJson(null, {})).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson(JSON.parse('{"__proto__":{"x":1}}'), JSON.parse('{"__proto__":{"x":2}}'))).toBe(false);
  });
});
