/*
 * cdktf records a creation stack trace for every token (a quarter of synthesis time), and envkit
 * switches that off only while it builds its own constructs: importing envkit must not change the
 * process, and a consumer's own tokens keep their traces (they are what points at the consumer's
 * code when a token fails to resolve).
 */
import * as path from "node:path";
import type * as Facade from "../../lib/facade/cdktf";
import { referenceEnv } from "../helpers";

type Capture = (below?: unknown) => string[];
// The module every cdktf token reads `captureStackTrace` from when it is created, and cdktf's own
// capture, read before anything of envkit's facade is loaded (an import-time patch would
// otherwise already be in place here: the facade is required only inside the tests).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackTrace = require("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace: Capture };
const original = stackTrace.captureStackTrace;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { App, Lazy, TerraformStack, withoutTokenStackTraces } = require("../../lib/facade/cdktf") as typeof Facade;

/** A token made the way a consumer's code makes one; its creation stack. */
const consumerTokenTrace = (): string[] => (Lazy.anyValue({ produce: () => "x" }) as unknown as { creationStack: string[] }).creationStack;

/** Counts the traces captured while `run` runs, keeping cdktf's capture working. */
function tracesCapturedBy(run: () => void): number {
  let calls = 0;
  const counting: Capture = (below) => (calls++, original(below));
  stackTrace.captureStackTrace = counting;
  try {
    run();
    expect(stackTrace.captureStackTrace).toBe(counting); // restored to what was in place, not to a saved copy
    return calls;
  } finally {
    stackTrace.captureStackTrace = original;
  }
}

afterEach(() => {
  delete process.env.ENVKIT_TOKEN_STACK_TRACES;
  stackTrace.captureStackTrace = original;
});

describe("token stack traces: off only inside envkit's own constructs", () => {
  it("(the test's reference is cdktf's genuine capture)", () => {
    expect(original.toString()).toContain("Error.captureStackTrace(object, below)");
  });

  it("requiring the public index and touching every construct class leaves cdktf's capture in place (no import-time patch)", () => {
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const isolated = require("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace: Capture };
      const before = isolated.captureStackTrace;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const envkit = require("../../lib/index") as Record<string, unknown>;
      for (const name of ["EnvironmentStack", "DockerEnvironment", "DockerService", "KubernetesEnvironment", "KubernetesService"]) expect(typeof envkit[name]).toBe("function");
      expect(isolated.captureStackTrace).toBe(before);
    });
  });

  it("building an EnvironmentStack leaves cdktf's capture as it found it", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EnvironmentStack } = require("../../stacks/environment-stack") as typeof import("../../stacks/environment-stack");
    new EnvironmentStack(new App({ stackTraces: false }), "staging", { environment: referenceEnv("staging").model, onWarning: () => undefined });
    expect(stackTrace.captureStackTrace).toBe(original);
  });

  it("a token the consumer creates after building an EnvironmentStack still records where it was created", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EnvironmentStack } = require("../../stacks/environment-stack") as typeof import("../../stacks/environment-stack");
    new EnvironmentStack(new App({ stackTraces: false }), "dev", { environment: referenceEnv("dev").model, onWarning: () => undefined });
    expect(consumerTokenTrace().join("\n")).toContain(path.basename(__filename));
  });

  it("the tokens envkit creates while lowering an environment capture no trace (where the time went)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EnvironmentStack } = require("../../stacks/environment-stack") as typeof import("../../stacks/environment-stack");
    const { adapterFor } = jest.requireActual("../../lib/targets/registry") as typeof import("../../lib/targets/registry");
    const env = referenceEnv("staging").model;
    // The same lowering on a plain stack, outside envkit's wrapper, captures one trace per token.
    const plain = tracesCapturedBy(() => adapterFor(env.target)!.lower(new TerraformStack(new App({ stackTraces: false }), "staging"), env));
    expect(plain).toBeGreaterThan(100);
    expect(tracesCapturedBy(() => new EnvironmentStack(new App({ stackTraces: false }), "staging", { environment: env, onWarning: () => undefined }))).toBe(0);
  });

  it("ENVKIT_TOKEN_STACK_TRACES=1 keeps the traces inside envkit's constructs too", () => {
    process.env.ENVKIT_TOKEN_STACK_TRACES = "1";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EnvironmentStack } = require("../../stacks/environment-stack") as typeof import("../../stacks/environment-stack");
    expect(tracesCapturedBy(() => new EnvironmentStack(new App({ stackTraces: false }), "staging", { environment: referenceEnv("staging").model, onWarning: () => undefined }))).toBeGreaterThan(100);
    expect(withoutTokenStackTraces(consumerTokenTrace).length).toBeGreaterThan(0);
  });

  it("inside the wrapper a token records no trace", () => {
    expect(withoutTokenStackTraces(consumerTokenTrace)).toEqual([]);
  });

  it("a throw inside the wrapper still restores the capture", () => {
    expect(() =>
      withoutTokenStackTraces(() => {
        throw new Error("lowering failed");
      }),
    ).toThrow("lowering failed");
    expect(stackTrace.captureStackTrace).toBe(original);
    expect(consumerTokenTrace().length).toBeGreaterThan(0);
  });

  it("nested wrappers restore the outer state, then the original (re-entrant)", () => {
    const seen: boolean[] = [];
    withoutTokenStackTraces(() => {
      withoutTokenStackTraces(() => seen.push(stackTrace.captureStackTrace === original));
      seen.push(stackTrace.captureStackTrace === original);
    });
    seen.push(stackTrace.captureStackTrace === original);
    expect(seen).toEqual([false, false, true]);
  });

  it("the wrapper returns what the wrapped function returns", () => {
    expect(withoutTokenStackTraces(() => 42)).toBe(42);
  });
});
