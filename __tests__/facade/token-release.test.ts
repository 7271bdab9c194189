/*
 * releasingTokens (lib/facade/token-release.ts): the tokens cdktf registered while a piece of work
 * ran leave cdktf's process-wide token map afterwards, and only those; synthesizeProject and
 * checkEachStack use it per environment, so a synth or a validate leaves the map as it found it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, Lazy, TerraformOutput, TerraformStack, Testing } from "../../lib/facade/cdktf";
import { cdktfInternals } from "../../lib/facade/cdktf-internals";
import { releasingTokens } from "../../lib/facade/token-release";
import { checkEachStack, checkStacks, memoryScope, synthesizeProject, validateDir } from "../../lib/pipeline";
import { REFERENCE_APP, copyReferenceApp, edit } from "../helpers";

const map = () => cdktfInternals()!.tokenMap();
const size = () => map().stringTokenMap.size + map().numberTokenMap.size;
/** A value as a stack's output writes it (cdktf resolves it on synth). */
const resolve = (v: unknown): unknown => {
  const stack = new TerraformStack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "envkit-token-release-app-")) }), "s");
  new TerraformOutput(stack, "o", { value: v });
  return (JSON.parse(Testing.synth(stack)) as { output: { o: { value: unknown } } }).output.o.value;
};

describe("releasingTokens", () => {
  it("removes the string, list and number tokens registered inside, and keeps the ones registered before", () => {
    const before = Lazy.stringValue({ produce: () => "kept" });
    const beforeNumber = Lazy.numberValue({ produce: () => 7 });
    const count = size();
    let inside = "";
    let insideNumber = 0;
    let insideList: string[] = [];
    const value = releasingTokens(() => {
      inside = Lazy.stringValue({ produce: () => "gone" });
      insideNumber = Lazy.numberValue({ produce: () => 8 });
      insideList = Lazy.listValue({ produce: () => ["x"] });
      expect(size()).toBe(count + 3);
      return "returned";
    });
    expect(value).toBe("returned");
    expect(size()).toBe(count);
    expect(inside).toContain("TfToken[");
    // A released token fails loudly, never resolves to something else.
    expect(() => resolve(inside)).toThrow(/Unrecognized token key/i);
    expect(() => resolve(insideNumber)).toThrow(/number token/i);
    expect(() => resolve(insideList)).toThrow(/Unrecognized token key/i);
    expect(resolve(before)).toBe("kept");
    expect(resolve(beforeNumber)).toBe(7);
  });

  it("releases them when the work throws too, and rethrows", () => {
    const count = size();
    expect(() =>
      releasingTokens(() => {
        Lazy.stringValue({ produce: () => "x" });
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(size()).toBe(count);
  });
});

describe("envkit synth (synthesizeProject)", () => {
  it("leaves cdktf's token map as it found it: no environment's constructs stay reachable through it", () => {
    const project = validateDir(REFERENCE_APP);
    const count = size();
    const counter = map().tokenCounter;
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-token-release-")), "out");
    const result = synthesizeProject(project, out);
    expect(result.stacks).toEqual(["dev", "prod", "staging", "swarm", "test"]);
    expect(size()).toBe(count);
    expect(map().tokenCounter).toBeGreaterThan(counter + 100); // tokens were made, and released
  });
});

describe("envkit validate and envkit policy (checkEachStack)", () => {
  it("judge as checkStacks does, keep no stack, and leave cdktf's token map as they found it", () => {
    const project = validateDir(REFERENCE_APP);
    const kept = checkStacks(project, memoryScope());
    const count = size();
    const counter = map().tokenCounter;
    const each = checkEachStack(project);
    expect(size()).toBe(count);
    expect(map().tokenCounter).toBeGreaterThan(counter + 100);
    expect(each.stacks).toEqual([]);
    expect(kept.stacks.length).toBe(5);
    expect({ issues: each.issues, policy: each.policy, environments: each.environments.map((e) => e.model.name) }).toEqual({ issues: kept.issues, policy: kept.policy, environments: kept.environments.map((e) => e.model.name) });
    // The reference app's findings are suppressed, with reasons: the comparison is not of two empty reports.
    expect(each.policy.suppressed.length).toBeGreaterThan(10);
  });

  it("report a refused environment and a mandatory finding as checkStacks does", () => {
    const dir = copyReferenceApp();
    // A Kubernetes prod without a digest-pinned image is refused by a mandatory guardrail.
    edit(path.join(dir, "environments", "prod.yaml"), /@sha256:[0-9a-f]{64}/, "");
    const project = validateDir(dir);
    const kept = checkStacks(project, memoryScope());
    const each = checkEachStack(project);
    expect(each.issues).toEqual(kept.issues);
    expect(each.issues.filter((i) => i.severity !== "warning").length).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
