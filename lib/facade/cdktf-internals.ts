/*
 * The parts of cdktf that are not its public API and that envkit's fast synthesis relies on
 * (lib/facade/independent-stack.ts, lib/facade/token-stack-traces.ts, lib/facade/token-release.ts),
 * behind one version check.
 *
 * On any cdktf other than the one these shortcuts were written against, envkit falls back to
 * stock cdktf behaviour and says so once on stderr, rather than refusing to run: cdktf is a peer
 * dependency, so the consumer picks its version (a patch release, the CDK Terrain fork under the
 * old name); the shortcuts only buy speed, and stock cdktf is the reference their output is
 * tested against, so falling back keeps every synthesized byte right and costs only time.
 * Refusing would turn a performance feature into an outage. Running the shortcuts anyway could
 * write wrong Terraform without a word.
 *
 * Nothing here loads cdktf's main module: the version comes from its package.json, and the
 * internal modules are required only once the version matched.
 */

/** The cdktf release whose internals the shortcuts were written against (and tested with). */
export const SUPPORTED_CDKTF_VERSION = "0.21.0";

/** The cdktf internals the shortcuts use. */
export interface CdktfInternals {
  /** cdktf/lib/util: the merge cdktf uses to build a stack document (an undefined value deletes a key). */
  readonly deepMerge: (target: unknown, ...sources: unknown[]) => unknown;
  /** cdktf/lib/util: how TerraformResource's toTerraform snake-cases its meta-arguments. */
  readonly keysToSnakeCase: (value: unknown) => unknown;
  /** cdktf/lib/tokens/private/stack-trace: every token reads `captureStackTrace` from here when it is created. */
  readonly stackTrace: { captureStackTrace: (below?: unknown) => string[] };
  /** cdktf/lib/tfExpression: the class of `ref()`'s tokens (a resource attribute's reference), which cdktf does not export. */
  readonly referenceClass: abstract new (...args: never[]) => unknown;
  /**
   * cdktf/lib/tokens/private/token-map: the process-wide map from every token's key to the token
   * (a string key ends in `.<counter>`, a number key is the counter), which nothing ever empties.
   */
  readonly tokenMap: () => { readonly stringTokenMap: Map<string, unknown>; readonly numberTokenMap: Map<number, unknown>; readonly tokenCounter: number };
}

/** The installed cdktf's version, from its package.json; undefined when that cannot be read. */
export function installedCdktfVersion(): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const version = (require("cdktf/package.json") as { version?: unknown }).version;
    return typeof version === "string" ? version : undefined;
  } catch {
    return undefined;
  }
}

/** Memo of the check: undefined until first asked, then the internals or null (fall back). */
let memo: CdktfInternals | null | undefined;

/**
 * The internals, or undefined when the installed cdktf is not {@link SUPPORTED_CDKTF_VERSION}
 * (then one warning line is written to stderr, once per process, and callers use stock cdktf).
 */
export function cdktfInternals(): CdktfInternals | undefined {
  if (memo !== undefined) return memo ?? undefined;
  const version = installedCdktfVersion();
  if (version !== SUPPORTED_CDKTF_VERSION) {
    memo = null;
    process.stderr.write(
      `envkit: warning: cdktf ${version ?? "(version unreadable)"} is installed, but envkit's fast synthesis was written against cdktf ${SUPPORTED_CDKTF_VERSION}; ` +
        `using stock cdktf synthesis instead (same output, slower). Install cdktf ${SUPPORTED_CDKTF_VERSION} exactly to restore it\n`,
    );
    return undefined;
  }
  memo = {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    deepMerge: (require("cdktf/lib/util") as CdktfInternals).deepMerge,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    keysToSnakeCase: (require("cdktf/lib/util") as CdktfInternals).keysToSnakeCase,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    stackTrace: require("cdktf/lib/tokens/private/stack-trace") as CdktfInternals["stackTrace"],
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    referenceClass: (require("cdktf/lib/tfExpression") as { ref(identifier: string, stack?: unknown): object }).ref("", undefined).constructor as CdktfInternals["referenceClass"],
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    tokenMap: () => (require("cdktf/lib/tokens/private/token-map") as { TokenMap: { instance(): ReturnType<CdktfInternals["tokenMap"]> } }).TokenMap.instance(),
  };
  return memo;
}
