import * as v8 from "node:v8";
import * as vm from "node:vm";

let collect: (() => void) | undefined;

/**
 * Runs a full (mark-compact) garbage collection now, as `node --expose-gc`'s `gc()` does, without
 * the flag on the command line and without leaving `gc` exposed: the flag is set only while one
 * new context is made to fetch the function (jest's heap logging does the same), then unset, so no
 * context made afterwards (a consumer's `vm` sandbox, a jest test environment) sees a `gc` global.
 */
export function collectGarbage(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === "function") collect = exposed;
    else {
      v8.setFlagsFromString("--expose-gc");
      try {
        const gc: unknown = vm.runInNewContext("typeof gc === 'function' ? gc : undefined");
        // An engine that ignores the flag: no collection, which costs only memory.
        collect = typeof gc === "function" ? (gc as () => void) : () => undefined;
      } finally {
        v8.setFlagsFromString("--no-expose-gc");
      }
    }
  }
  collect();
}

/** The heap in use now, in bytes (V8's used heap size). */
export function heapInUse(): number {
  return v8.getHeapStatistics().used_heap_size;
}

/** When {@link collectGarbageIfGrown} collects. */
export interface CollectThresholds {
  /**
   * Heap in use above which a collection may pay for itself, in bytes.
   * @default 64 MiB ({@link COLLECT_ABOVE_BYTES})
   */
  readonly aboveBytes?: number;
  /**
   * Growth of the heap in use since the work began above which a collection may pay for itself, in bytes.
   * @default 24 MiB ({@link COLLECT_GROWN_BYTES})
   */
  readonly grownBytes?: number;
}

/** {@link CollectThresholds.aboveBytes}'s default. */
export const COLLECT_ABOVE_BYTES = 64 * 1024 * 1024;
/** {@link CollectThresholds.grownBytes}'s default. */
export const COLLECT_GROWN_BYTES = 24 * 1024 * 1024;

/**
 * Collects garbage (see {@link collectGarbage}) when more than `aboveBytes` of the heap is in use
 * and it grew by more than `grownBytes` since `since` (a {@link heapInUse} taken when the piece of
 * work that just ended began: the last environment), and says whether it did. For the moment between two environments of a synth, when the
 * last one's constructs and document have just become garbage: V8 left to itself runs few full
 * collections in a short process (one in a 1,000-service × 2-environment synth), so the next
 * environment was built on top of the last one's garbage and the heap held both.
 *
 * Both thresholds, because a collection costs time in proportion to what is live and saves memory
 * in proportion to the garbage. Measured on the generated Kubernetes apps × 2 environments, 5
 * paired runs each (2026-12-02; heap in use at the boundary, and its growth since the synth began):
 * - 1,000 services (87 MB, +33 MB): peak RSS 266–270 → 219–230 MB, wall time +3%;
 * - 500 services (79 MB, +42 MB): 187–196 → 161–167 MB, +3%;
 * - 300 services (62 MB, +32 MB): 160–162 → 142–153 MB, but +10% (~70 ms), hence `aboveBytes`;
 * - a process that already holds 150 MB of its own synthesizing the 5-environment reference app
 *   (+4–11 MB each): 4 collections a synth made it 4–7× slower and saved nothing, hence `grownBytes`
 *   — measured per environment and after the lowering code is loaded (synthesizeProject preloads
 *   it): counted from the synth's start, the ~40 MB of code a first synth loads passed for garbage
 *   and that process's first synth still took 1.8–2× as long.
 */
export function collectGarbageIfGrown(since: number, thresholds: CollectThresholds = {}): boolean {
  const used = heapInUse();
  if (used <= (thresholds.aboveBytes ?? COLLECT_ABOVE_BYTES) || used - since <= (thresholds.grownBytes ?? COLLECT_GROWN_BYTES)) return false;
  collectGarbage();
  return true;
}
