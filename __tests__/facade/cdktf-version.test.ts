/*
 * The fast stack reaches into cdktf internals written against one cdktf release. On any other
 * release (cdktf is a peer dependency: the consumer picks it) it must fall back to stock cdktf,
 * with one warning line, and write the same bytes stock cdktf writes.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Facade from "../../lib/facade/cdktf";
import type * as Internals from "../../lib/facade/cdktf-internals";
import type * as Stacks from "../../stacks/environment-stack";
import type * as Registry from "../../lib/targets/registry";
import { EnvironmentModel } from "../../lib/model/environment";
import { referenceEnvironments, filesOf } from "../helpers";

interface Loaded {
  readonly facade: typeof Facade;
  readonly internals: typeof Internals;
  readonly stacks: typeof Stacks;
  readonly registry: typeof Registry;
  readonly stackTrace: { captureStackTrace: unknown };
}

/** Loads envkit's stack code in a fresh module registry where cdktf's package.json is `packageJson` (or unreadable). */
function withCdktfPackage(packageJson: { version: string } | "unreadable", run: (loaded: Loaded) => void): void {
  jest.isolateModules(() => {
    jest.doMock("cdktf/package.json", () => {
      if (packageJson === "unreadable") throw new Error("Cannot find module 'cdktf/package.json'");
      return packageJson;
    });
    // Loaded on access, inside the isolated registry (cdktf itself reads the mocked package.json too).
    /* eslint-disable @typescript-eslint/no-require-imports */
    run({
      get facade() {
        return require("../../lib/facade/cdktf");
      },
      get internals() {
        return require("../../lib/facade/cdktf-internals");
      },
      get stacks() {
        return require("../../stacks/environment-stack");
      },
      get registry() {
        return require("../../lib/targets/registry");
      },
      get stackTrace() {
        return require("cdktf/lib/tokens/private/stack-trace");
      },
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  jest.dontMock("cdktf/package.json");
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
afterEach(() => jest.restoreAllMocks());

/** Every file `app.synth()` writes for the four reference environments, on envkit's stacks or on stock TerraformStacks. */
function synthFiles(loaded: Loaded, kind: "envkit" | "stock"): Map<string, Buffer> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-version-"));
  dirs.push(outdir);
  const app = new loaded.facade.App({ outdir, stackTraces: false });
  for (const { model } of referenceEnvironments()) {
    if (kind === "envkit") {
      new loaded.stacks.EnvironmentStack(app, model.name, { environment: model, onWarning: () => undefined });
    } else {
      const stack = new loaded.facade.TerraformStack(app, model.name);
      loaded.stacks.configureBackend(stack, model.backend);
      loaded.registry.adapterFor(model.target)!.lower(stack, model as EnvironmentModel);
    }
  }
  app.synth();
  return filesOf(outdir);
}

const stderrLines = (spy: jest.SpyInstance): string[] => spy.mock.calls.map((c) => String(c[0]));

describe("the fast stack on a cdktf it was not written for", () => {
  it("the installed cdktf is the one the shortcuts were written against (the pin holds)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { installedCdktfVersion, SUPPORTED_CDKTF_VERSION } = require("../../lib/facade/cdktf-internals") as typeof Internals;
    expect(SUPPORTED_CDKTF_VERSION).toBe("0.21.0");
    expect(installedCdktfVersion()).toBe(SUPPORTED_CDKTF_VERSION);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(installedCdktfVersion()).toBe((require("cdktf/package.json") as { version: string }).version);
  });

  it("on the supported version the stack takes the shortcuts, silently", () => {
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    withCdktfPackage({ version: "0.21.0" }, (loaded) => {
      const prepare = jest.spyOn(loaded.facade.TerraformStack.prototype, "prepareStack");
      const files = synthFiles(loaded, "envkit");
      expect(files.size).toBeGreaterThan(4);
      expect(prepare).not.toHaveBeenCalled();
    });
    expect(stderrLines(stderr).filter((l) => l.includes("cdktf"))).toEqual([]);
  });

  it("on another version it synthesizes the stock way (cdktf's preparing pass runs) and writes stock cdktf's bytes", () => {
    jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    withCdktfPackage({ version: "0.21.1" }, (loaded) => {
      const stock = synthFiles(loaded, "stock");
      const prepare = jest.spyOn(loaded.facade.TerraformStack.prototype, "prepareStack");
      const envkit = synthFiles(loaded, "envkit");
      expect(prepare).toHaveBeenCalledTimes(5);
      expect([...envkit.keys()]).toEqual([...stock.keys()]);
      for (const [file, bytes] of stock) expect({ file, same: envkit.get(file)!.equals(bytes) }).toEqual({ file, same: true });
    });
  });

  it("on another version it says so in one warning line on stderr, once per process, naming both versions and the fix", () => {
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    withCdktfPackage({ version: "0.22.0" }, (loaded) => {
      const app = new loaded.facade.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "envkit-version-")), stackTraces: false });
      dirs.push(app.outdir);
      const stacks = referenceEnvironments().map(({ model }) => new loaded.stacks.EnvironmentStack(app, model.name, { environment: model, onWarning: () => undefined }));
      expect(stacks.map((s) => s.fastSynthesis)).toEqual([false, false, false, false, false]);
    });
    const lines = stderrLines(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^envkit: warning: cdktf 0\.22\.0 is installed, but envkit's fast synthesis was written against cdktf 0\.21\.0; using stock cdktf synthesis instead \(same output, slower\)\. Install cdktf 0\.21\.0 exactly to restore it\n$/);
  });

  it("an unreadable cdktf version counts as another version", () => {
    const stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    withCdktfPackage("unreadable", (loaded) => {
      expect(loaded.internals.installedCdktfVersion()).toBeUndefined();
      expect(loaded.internals.cdktfInternals()).toBeUndefined();
    });
    expect(stderrLines(stderr)).toEqual([expect.stringContaining("cdktf (version unreadable) is installed")]);
  });

  it("on another version token stack traces are left as cdktf keeps them (the internal module may differ)", () => {
    jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    withCdktfPackage({ version: "0.21.1" }, (loaded) => {
      const original = loaded.stackTrace.captureStackTrace;
      expect(loaded.facade.withoutTokenStackTraces(() => loaded.stackTrace.captureStackTrace)).toBe(original);
    });
  });

  it("on another version a reference to another stack is left to cdktf, which wires it (no refusal)", () => {
    jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    withCdktfPackage({ version: "0.21.1" }, (loaded) => {
      const app = new loaded.facade.App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "envkit-version-")), stackTraces: false });
      dirs.push(app.outdir);
      const producer = new loaded.facade.TerraformStack(app, "shared");
      const region = new loaded.facade.TerraformVariable(producer, "region", { type: "string" });
      const consumer = new loaded.facade.IndependentStack(app, "dev");
      new loaded.facade.TerraformOutput(consumer, "region", { value: region.stringValue });
      app.synth();
      const dev = JSON.parse(fs.readFileSync(path.join(app.outdir, "stacks", "dev", "cdk.tf.json"), "utf8"));
      expect(dev.output.region.value).toMatch(/^\$\{data\.terraform_remote_state\./);
    });
  });
});
