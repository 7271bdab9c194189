/*
 * A faster TerraformStack for stacks that never reference each other (envkit's design: every
 * environment stack stands alone, so `cdktf diff <env>` works before other stacks exist).
 *
 * Profiling stock cdktf 0.21 on 1,000 services showed where synth time goes: capturing a full
 * stack trace for every token (~5 s of 17 s), a "preparing" resolve pass over every element that
 * only exists to discover cross-stack references (~2.5 s), a final resolve of the whole,
 * already-resolved document (~1.5 s), and a resolution context allocated for every value,
 * token or not (~2 s). This module removes those four costs and nothing else; tests prove the
 * output is byte-identical to stock cdktf.
 *
 * It reaches into cdktf internals. That is safe only because cdktf is archived at 0.21.0 and
 * pinned exactly; a move to the CDK Terrain fork must re-check this file (the test will say so).
 */
import { TerraformElement, TerraformOutput, TerraformStack, Token } from "cdktf";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tokens = require("cdktf/lib/_tokens") as { resolve(scope: unknown, obj: unknown, preparing?: boolean): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const util = require("cdktf/lib/util") as { deepMerge(target: unknown, ...sources: unknown[]): unknown };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stackTrace = require("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace: (below?: unknown) => string[] };

const originalCapture = stackTrace.captureStackTrace;

/**
 * Token creation stack traces are only read when a token fails to resolve, to point at the code
 * that created it. envkit turns them off unless `ENVKIT_TOKEN_STACK_TRACES=1` (set it when
 * debugging a "cannot resolve" error from an escape hatch).
 */
export function configureTokenStackTraces(enabled = process.env.ENVKIT_TOKEN_STACK_TRACES === "1"): void {
  stackTrace.captureStackTrace = enabled ? originalCapture : () => [];
}
configureTokenStackTraces();

/** Substring of every encoded string and list token (`${TfToken[…]}`, `#{TfToken[…]}`). */
const TOKEN_MARK = "TfToken[";
/** cdktf's pattern for number tokens embedded in strings; a match is resolved the stock way. */
const NUMBER_IN_STRING = /[-|\d|.+]+(e[-|\d|.|e|E|+]+)/;

/**
 * Resolves like cdktf's resolve, but walks token-free parts of the document itself instead of
 * creating a resolution context for every value: strings without a token marker, plain numbers,
 * booleans, and plain objects and arrays of those are copied (dropping undefined, as cdktf does);
 * everything else — token strings, token numbers, list and map tokens, resolvable objects — is
 * handed to cdktf's own resolve. Only plain containers are walked here, and they set no
 * resolution context, so handing a sub-value to cdktf resolves it exactly as in place.
 */
function fastResolve(scope: TerraformStack, value: unknown): unknown {
  if (value === undefined || value === null || typeof value === "boolean") return value;
  if (typeof value === "string") return value.includes(TOKEN_MARK) || NUMBER_IN_STRING.test(value) ? tokens.resolve(scope, value) : value;
  if (typeof value === "number") return Token.isUnresolved(value) ? tokens.resolve(scope, value) : value;
  if (Array.isArray(value)) {
    if (value.some((v) => typeof v === "string" && v.includes(TOKEN_MARK)) || value.some((v) => typeof v === "number" && Token.isUnresolved(v))) return tokens.resolve(scope, value);
    const out: unknown[] = [];
    for (const v of value) {
      const r = fastResolve(scope, v);
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value);
    if (keys.some((k) => k.includes(TOKEN_MARK))) return tokens.resolve(scope, value);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const r = fastResolve(scope, (value as Record<string, unknown>)[k]);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  // Resolvable objects (tokens, lazy values, references) and anything unusual: the stock path.
  return tokens.resolve(scope, value);
}

function elementsOf(stack: TerraformStack): TerraformElement[] {
  const out: TerraformElement[] = [];
  const visit = (node: { node: { children: readonly unknown[] } }): void => {
    if (TerraformElement.isTerraformElement(node)) out.push(node);
    for (const child of node.node.children) visit(child as { node: { children: readonly unknown[] } });
  };
  visit(stack);
  return out;
}

/** A TerraformStack that may not take part in cross-stack references, and synthesizes faster. */
export class IndependentStack extends TerraformStack {
  /** Skips the preparing resolve pass: it only discovers cross-stack references. */
  public prepareStack(): void {
    this.ensureBackendExists();
  }

  /** Same document as TerraformStack.toTerraform, resolving each element once. */
  public toTerraform(): Record<string, unknown> {
    const self = this as unknown as { cdktfVersion: string; rawOverrides: Record<string, unknown> };
    const overrides = Object.keys(self.rawOverrides);
    const metadata: Record<string, unknown> = {
      version: self.cdktfVersion,
      stackName: this.node.id,
      backend: "local",
      cloud: undefined,
      ...(overrides.length > 0 ? { overrides: { stack: overrides } } : {}),
    };
    const elements = elementsOf(this);
    for (const e of elements) util.deepMerge(metadata, tokens.resolve(this, e.toMetadata()));
    const outputs: Record<string, unknown> = {};
    for (const item of elements) {
      if (!TerraformOutput.isTerraformOutput(item)) continue;
      util.deepMerge(
        outputs,
        item.node.path.split("/").reduceRight<Record<string, unknown>>((inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
      );
    }
    const tf: Record<string, unknown> = { "//": { metadata, outputs } };
    for (const e of elements) util.deepMerge(tf, fastResolve(this, e.toTerraform()));
    // Stock cdktf merges the raw overrides (an undefined value deletes a key) and then resolves
    // the whole document again. Everything else is resolved already, so only the sections the
    // overrides touched are resolved here; keys left undefined (metadata.cloud) vanish when the
    // JSON is written.
    util.deepMerge(tf, self.rawOverrides);
    for (const key of overrides) tf[key] = tokens.resolve(this, tf[key]);
    return tf;
  }
}
