/*
 * synthesizeProject collects the garbage of an environment before building the next one, when that
 * environment was large enough for it to pay (lib/facade/collect-garbage.ts). What is checked here:
 * the collection reclaims what is unreachable, leaves no `gc` global behind, runs only past both
 * thresholds (never for a small app, even in a process holding a large heap of its own), and
 * synthesizeProject asks for it between environments, never after the last. The
 * memory it saves is a benchmark figure (npm run bench:cdk8s, peak MB), not asserted here.
 */
import { spawnSync } from "node:child_process";
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

describe("collectGarbageAfter", () => {
  it("collects only after an environment of at least the threshold's services, with more of the heap in use than the other threshold", () => {
    expect(gc.collectGarbageAfter(400, { aboveBytes: 0 })).toBe(true);
    expect(gc.collectGarbageAfter(399, { aboveBytes: 0 })).toBe(false);
    expect(gc.collectGarbageAfter(10_000, { aboveBytes: Number.MAX_SAFE_INTEGER })).toBe(false);
    expect(gc.collectGarbageAfter(5, { services: 5, aboveBytes: 0 })).toBe(true);
    expect([gc.COLLECT_AFTER_SERVICES, gc.COLLECT_ABOVE_BYTES]).toEqual([400, 64 * 1024 * 1024]);
  });

  it("with the defaults, collects after a 1,000-service environment once the heap is past 64 MiB", () => {
    const held = garbage(96);
    expect(gc.collectGarbageAfter(1000)).toBe(true);
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
    const spy = jest.spyOn(gc, "collectGarbageAfter").mockReturnValue(false);
    const result = synthesizeProject(project, outDir());
    expect(result.stacks).toHaveLength(5);
    // Each time with the services of the environment just written.
    expect(spy.mock.calls.map((c) => c[0])).toEqual(project.environments.slice(0, 4).map((e) => e.model.services.length));
  });

  it("does not collect for a small app in a process that holds a large heap of its own", () => {
    synthesizeProject(project, outDir()); // every module loaded first, as in a long-lived process
    const own = garbage(96); // the caller's data, live throughout
    const spy = jest.spyOn(gc, "collectGarbageAfter");
    const result = synthesizeProject(project, outDir());
    expect(result.stacks).toHaveLength(5);
    expect(gc.heapInUse()).toBeGreaterThan(gc.COLLECT_ABOVE_BYTES);
    expect(spy.mock.results.map((r) => r.value)).toEqual([false, false, false, false]);
    expect(own.data).toHaveLength(96 * 16384);
  });

  it("does not collect for a small app in a fresh process that holds a large heap of its own (the compiled package, lowering code not loaded yet)", () => {
    // In a new process, as a library caller runs it: the code the first synth loads must not pass
    // for an environment's garbage. The compiled package's own module is wrapped to record answers.
    const dist = path.join(__dirname, "..", "..", "dist", "lib");
    if (!fs.existsSync(path.join(dist, "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does) before this test");
    const script = `
const gcmod = require(${JSON.stringify(path.join(dist, "facade", "collect-garbage.js"))});
const answers = [];
const real = gcmod.collectGarbageAfter;
gcmod.collectGarbageAfter = (...args) => { const r = real(...args); answers.push(r); return r; };
const held = Array.from({ length: 1500000 }, (_, i) => ({ i }));
const envkit = require(${JSON.stringify(path.join(dist, "index.js"))});
const result = envkit.synthesizeProject(envkit.validateDir(${JSON.stringify(REFERENCE_APP)}), ${JSON.stringify(outDir())});
console.log(JSON.stringify({ stacks: result.stacks.length, answers, held: held.length, heap: gc_heap() }));
function gc_heap() { return require("node:v8").getHeapStatistics().used_heap_size; }
`;
    const r = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
    expect(r.stderr).toBe("");
    const seen = JSON.parse(r.stdout.trim().split("\n").pop()!) as { stacks: number; answers: boolean[]; heap: number };
    expect(seen.stacks).toBe(5);
    expect(seen.heap).toBeGreaterThan(gc.COLLECT_ABOVE_BYTES);
    expect(seen.answers).toEqual([false, false, false, false]);
  });

  it("does not ask for one with a single environment", () => {
    const spy = jest.spyOn(gc, "collectGarbageAfter").mockReturnValue(false);
    const result = synthesizeProject({ ...project, environments: project.environments.slice(0, 1) }, outDir());
    expect(result.stacks).toEqual(["dev"]);
    expect(spy).not.toHaveBeenCalled();
  });
});
