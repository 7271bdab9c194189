/*
 * synthesizeProject collects the garbage of an environment before building the next one, when the
 * heap is large and the synth grew it enough for that to pay (lib/facade/collect-garbage.ts). What
 * is checked here: the collection reclaims what is unreachable, leaves no `gc` global behind, runs
 * only past both thresholds (not for a small app in a process holding a large heap of its own),
 * and synthesizeProject asks for it between environments, never after the last. The
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

describe("collectGarbageIfGrown", () => {
  it("collects only when the heap in use is above one threshold and grew by more than the other since the work began", () => {
    expect(gc.collectGarbageIfGrown(0, { aboveBytes: 0, grownBytes: 0 })).toBe(true);
    // Not grown: a caller's large heap of its own is not the work's garbage.
    expect(gc.collectGarbageIfGrown(gc.heapInUse(), { aboveBytes: 0, grownBytes: 16 * 1024 * 1024 })).toBe(false);
    // Grown, but a small heap: left to V8.
    expect(gc.collectGarbageIfGrown(0, { aboveBytes: Number.MAX_SAFE_INTEGER, grownBytes: 0 })).toBe(false);
    expect([gc.COLLECT_ABOVE_BYTES, gc.COLLECT_GROWN_BYTES]).toEqual([64 * 1024 * 1024, 24 * 1024 * 1024]);
  });

  it("with the defaults, collects after the work allocated what stays in use past both thresholds", () => {
    const since = gc.heapInUse();
    const held = garbage(96);
    expect(gc.collectGarbageIfGrown(since)).toBe(true);
    expect(held.data).toHaveLength(96 * 16384);
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
    const spy = jest.spyOn(gc, "collectGarbageIfGrown").mockReturnValue(false);
    const result = synthesizeProject(project, outDir());
    expect(result.stacks).toHaveLength(5);
    expect(spy).toHaveBeenCalledTimes(4);
    // Each time against the heap in use when the synth began.
    expect(new Set(spy.mock.calls.map((c) => c[0])).size).toBe(1);
  });

  it("does not collect for a small app in a process that holds a large heap of its own", () => {
    synthesizeProject(project, outDir()); // every module loaded first, as in a long-lived process
    const own = garbage(96); // the caller's data, live throughout
    const spy = jest.spyOn(gc, "collectGarbageIfGrown");
    const result = synthesizeProject(project, outDir());
    expect(result.stacks).toHaveLength(5);
    expect(gc.heapInUse()).toBeGreaterThan(gc.COLLECT_ABOVE_BYTES);
    expect(spy.mock.results.map((r) => r.value)).toEqual([false, false, false, false]);
    expect(own.data).toHaveLength(96 * 16384);
  });

  it("does not ask for one with a single environment", () => {
    const spy = jest.spyOn(gc, "collectGarbageIfGrown").mockReturnValue(false);
    const result = synthesizeProject({ ...project, environments: project.environments.slice(0, 1) }, outDir());
    expect(result.stacks).toEqual(["dev"]);
    expect(spy).not.toHaveBeenCalled();
  });
});
