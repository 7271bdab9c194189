/*
 * synthesizeProject collects the garbage of an environment before building the next one, when the
 * heap is large enough for it to pay (lib/facade/collect-garbage.ts). What is checked here: the
 * collection reclaims what is unreachable, leaves no `gc` global behind, runs only above its
 * threshold, and synthesizeProject asks for it between environments, never after the last. The
 * memory it saves is a benchmark figure (npm run bench:cdk8s, peak MB), not asserted here.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as gc from "../../lib/facade/collect-garbage";
import { synthesizeProject, validateDir } from "../../lib/pipeline";
import { REFERENCE_APP } from "../helpers";

const used = (): number => v8.getHeapStatistics().used_heap_size;

/** Allocates ~`mb` MB of small objects reachable only from the returned holder. */
function garbage(mb: number): { data?: unknown[] } {
  const data: unknown[] = [];
  for (let i = 0; i < mb * 16384; i++) data.push({ i, s: `x${i}` });
  return { data };
}

describe("collectGarbage", () => {
  it("reclaims what became unreachable, at once", () => {
    const holder = garbage(64);
    const before = used();
    holder.data = undefined;
    gc.collectGarbage();
    expect(before - used()).toBeGreaterThan(32 * 1024 * 1024);
  });

  it("leaves no gc global behind, in this context or in one made afterwards", () => {
    gc.collectGarbage();
    expect(typeof (globalThis as { gc?: unknown }).gc).toBe("undefined");
    expect(vm.runInNewContext("typeof gc")).toBe("undefined");
  });
});

describe("collectGarbage on an engine that ignores --expose-gc", () => {
  it("does nothing rather than fail (a collection only saves memory)", () => {
    jest.isolateModules(() => {
      jest.doMock("node:vm", () => ({ ...jest.requireActual("node:vm"), runInNewContext: () => undefined }));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const fresh = require("../../lib/facade/collect-garbage") as typeof gc;
      expect(() => fresh.collectGarbage()).not.toThrow();
      expect(() => fresh.collectGarbage()).not.toThrow();
    });
    jest.dontMock("node:vm");
  });
});

describe("collectGarbageIfLarge", () => {
  it("collects only when more of the heap than the threshold is in use", () => {
    expect(gc.collectGarbageIfLarge(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(gc.collectGarbageIfLarge(0)).toBe(true);
    expect(gc.COLLECT_ABOVE_BYTES).toBe(64 * 1024 * 1024);
  });
});

describe("synthesizeProject", () => {
  const project = validateDir(REFERENCE_APP);
  const dirs: string[] = [];
  const outDir = (): string => {
    dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-gc-")));
    return path.join(dirs[dirs.length - 1], "out");
  };
  afterEach(() => jest.restoreAllMocks());
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("asks for a collection before each environment after the first, never after the last", () => {
    const spy = jest.spyOn(gc, "collectGarbageIfLarge").mockReturnValue(false);
    const result = synthesizeProject(project, outDir());
    expect(result.stacks).toHaveLength(5);
    expect(spy).toHaveBeenCalledTimes(4);
  });

  it("does not ask for one with a single environment", () => {
    const spy = jest.spyOn(gc, "collectGarbageIfLarge").mockReturnValue(false);
    const result = synthesizeProject({ ...project, environments: project.environments.slice(0, 1) }, outDir());
    expect(result.stacks).toEqual(["dev"]);
    expect(spy).not.toHaveBeenCalled();
  });
});
