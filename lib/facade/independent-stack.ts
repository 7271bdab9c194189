/*
 * A faster TerraformStack for stacks that never reference each other (envkit's design: every
 * environment stack stands alone, so `cdktf diff <env>` works before other stacks exist).
 *
 * Profiling stock cdktf 0.21 on 1,000 services showed where synth time goes: capturing a full
 * stack trace for every token (~5 s of 17 s; see token-stack-traces.ts, used around envkit's own
 * constructs), a "preparing" resolve pass over every element that only exists to discover
 * cross-stack references (~2.5 s), a final resolve of the whole, already-resolved document
 * (~1.5 s), and a resolution context allocated for every value, token or not (~2 s). This module
 * removes the last three and nothing else; tests compare the bytes `app.synth()` writes with
 * stock cdktf's.
 *
 * Skipping the preparing pass means cdktf never wires a reference to another stack (an output
 * there, a remote-state data source here), so such a reference would be written verbatim and
 * point at nothing. The one resolve pass that remains checks every token for that and refuses.
 *
 * It reaches into cdktf internals, behind the version check in cdktf-internals.ts: on any other
 * cdktf it behaves exactly like TerraformStack.
 */
import { DefaultTokenResolver, IPostProcessor, IResolvable, IResolveContext, StringConcat, TerraformElement, TerraformOutput, TerraformResource, TerraformStack, Token, Tokenization } from "cdktf";
import { Construct } from "constructs";
import { ConfigIssue, EnvkitError } from "../errors";
import * as path from "node:path";
import { writeCanonicalJson } from "./canonical-json";
import { CdktfInternals, cdktfInternals } from "./cdktf-internals";

/** cdktf marks a TerraformDynamicBlock with this symbol (terraform-dynamic-block.js). */
const DYNAMIC_BLOCK = Symbol.for("cdktf/TerraformDynamicBlock");

/** Thrown inside {@link fastResolve} when it meets a dynamic block, which only the stock path places. */
class DynamicBlockMet extends Error {}

/** Substring of every encoded string and list token (`${TfToken[…]}`, `#{TfToken[…]}`). */
const TOKEN_MARK = "TfToken[";
/**
 * Whether a string matches cdktf's pattern for number tokens embedded in strings,
 * `/[-|\d|.+]+(e[-|\d|.|e|E|+]+)/` (tokens/private/encoding.js); a match is resolved the stock
 * way. The pattern matches exactly where one of its first class, an "e" and one of its second
 * class stand in a row, and that three-character test runs ~3× faster, with no backtracking over
 * runs of digits: ~10 ms per pass over the 133,000 strings of a 1,000-service environment
 * (2026-12-02). Property-tested against cdktf's pattern.
 */
export const NUMBER_IN_STRING = /[-|\d.+]e[-|\d.eE+]/;

/** A reference to an element of another stack, met while resolving this one. */
interface ForeignReference {
  /** The Terraform address it stands for, e.g. `docker_network.net_1a2b3c.name`. */
  readonly identifier: string;
  /** The stack that owns the referenced element. */
  readonly origin: TerraformStack;
}

/**
 * cdktf's token resolver, noting every reference whose element lives in another stack. Every
 * nested token (a reference inside an expression, a `dependsOn`, a lazy value) is resolved
 * through the same resolver, so none escapes. cdktf's `Reference` (tfExpression.js) is the only
 * token that carries an `originStack`; it is what the preparing pass turns into remote state.
 */
class ReferenceGuard extends DefaultTokenResolver {
  public readonly found: ForeignReference[] = [];
  /**
   * A string that is one cdktf Reference token, resolved once per guard (one stack's document):
   * in a 1,000-service environment the namespace's name alone is ~7,000 of its ~9,500 resolves.
   * A Reference resolves outside the preparing pass to the same `${address}` whatever the place
   * (tfExpression.js), so a repeat returns that string and notes the same foreign references.
   * null: the string is not such a token (resolved the stock way each time).
   */
  private readonly memo = new Map<string, { readonly value: string; readonly found: readonly ForeignReference[] } | null>();

  constructor(
    private readonly stack: TerraformStack,
    private readonly referenceClass?: CdktfInternals["referenceClass"],
  ) {
    super(new StringConcat());
  }

  public resolveToken(t: IResolvable, context: IResolveContext, postProcessor: IPostProcessor): unknown {
    const origin = (t as { originStack?: unknown }).originStack;
    if (origin !== undefined && origin !== this.stack && TerraformStack.isStack(origin)) {
      this.found.push({ identifier: String((t as { identifier?: unknown }).identifier), origin });
    }
    return super.resolveToken(t, context, postProcessor);
  }

  /** Resolves like cdktf's own (non-preparing) resolve. */
  public resolve(value: unknown): unknown {
    if (typeof value !== "string" || !this.referenceClass || !value.startsWith("${TfToken[") || !value.endsWith("]}") || value.lastIndexOf("${") !== 0) return this.stock(value);
    const known = this.memo.get(value);
    if (known) {
      for (const f of known.found) this.found.push(f);
      return known.value;
    }
    if (known === null) return this.stock(value);
    const fragments = Tokenization.reverseString(value);
    const before = this.found.length;
    const resolved = this.stock(value);
    const cacheable = fragments.length === 1 && fragments.firstToken instanceof this.referenceClass && typeof resolved === "string";
    this.memo.set(value, cacheable ? { value: resolved, found: this.found.slice(before) } : null);
    return resolved;
  }

  private stock(value: unknown): unknown {
    return Tokenization.resolve(value, { scope: this.stack, preparing: false, resolver: this });
  }
}

/** True when a value needs cdktf's resolve (it is or holds a token), for a leaf of a plain structure. */
function isTokenLeaf(value: unknown): boolean {
  if (typeof value === "string") return value.includes(TOKEN_MARK) || NUMBER_IN_STRING.test(value);
  if (typeof value === "number") return Token.isUnresolved(value);
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype;
}

/** True for an element that encodes a whole list (cdktf resolves only the list, never the element alone). */
function isListToken(value: unknown): boolean {
  return (typeof value === "string" && value.includes(`#{${TOKEN_MARK}`)) || (typeof value === "number" && Token.isUnresolved(value));
}

/**
 * Resolves like cdktf's resolve, but walks token-free parts of the document itself instead of
 * creating a resolution context for every value: strings without a token marker, plain numbers,
 * booleans, and plain objects and arrays of those are copied (dropping undefined, as cdktf does);
 * everything else — token strings, token numbers, list and map tokens, resolvable objects — is
 * handed to cdktf's own resolve. Only plain containers are walked here, and they set no
 * resolution context, so handing a sub-value to cdktf resolves it exactly as in place.
 */
function fastResolve(guard: ReferenceGuard, value: unknown, refuseDynamic = false): unknown {
  if (value === undefined || value === null || typeof value === "boolean") return value;
  if (typeof value === "string") return value.includes(TOKEN_MARK) || NUMBER_IN_STRING.test(value) ? guard.resolve(value) : value;
  if (typeof value === "number") return Token.isUnresolved(value) ? guard.resolve(value) : value;
  if (Array.isArray(value)) {
    // A list token among the elements makes cdktf resolve the list as a whole.
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if ((typeof v === "string" && v.includes(TOKEN_MARK)) || (typeof v === "number" && Token.isUnresolved(v))) return guard.resolve(value);
    }
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const r = fastResolve(guard, value[i], refuseDynamic);
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) if (keys[i].includes(TOKEN_MARK)) return guard.resolve(value);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      const r = fastResolve(guard, v, refuseDynamic);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  // Resolvable objects (tokens, lazy values, references) and anything unusual: the stock path.
  if (refuseDynamic && typeof value === "object" && DYNAMIC_BLOCK in value) throw new DynamicBlockMet();
  return guard.resolve(value);
}

/** TerraformResource's meta-argument names as its toTerraform writes them (cdktf's keysToSnakeCase of terraformMetaArguments). */
const META_ARGUMENTS: ReadonlyArray<readonly [string, string]> = [
  ["dependsOn", "depends_on"],
  ["count", "count"],
  ["provider", "provider"],
  ["lifecycle", "lifecycle"],
  ["forEach", "for_each"],
  ["connection", "connection"],
];

/** The parts of TerraformResource (0.21.0) that its toTerraform reads. */
interface ResourceInternals {
  readonly terraformResourceType: string;
  readonly friendlyUniqueId: string;
  readonly rawOverrides: Record<string, unknown>;
  readonly provisioners?: unknown;
  readonly terraformMetaArguments: Record<string, unknown>;
  readonly constructNodeMetadata: Record<string, unknown>;
  readonly _hasMoved?: boolean;
  readonly _imported?: unknown;
  synthesizeAttributes(): Record<string, unknown>;
  hasResourceMove(): unknown;
}

/**
 * One resource's resolved attributes, built the way stock cdktf builds them — TerraformResource's
 * toTerraform (processDynamicAttributes, deepMerge with the snake-cased meta-arguments, the node
 * metadata) followed by the stack's resolve — in one copy instead of four. Undefined (the caller
 * takes the stock path) for anything that path does not cover exactly: a subclass with its own
 * toTerraform, raw overrides, provisioners, a moved or imported resource, a dynamic block, an
 * attribute that shares its name with a meta-argument.
 */
function resourceAttributes(guard: ReferenceGuard, e: TerraformElement, keysToSnakeCase: (v: unknown) => unknown): Record<string, unknown> | undefined {
  if (!TerraformResource.isTerraformResource(e) || (e as { toTerraform: unknown }).toTerraform !== TerraformResource.prototype.toTerraform) return undefined;
  const r = e as unknown as ResourceInternals;
  if (r._hasMoved || r._imported || r.hasResourceMove() || r.provisioners !== undefined || Object.keys(r.rawOverrides).length > 0) return undefined;
  let attributes: Record<string, unknown>;
  try {
    attributes = fastResolve(guard, r.synthesizeAttributes(), true) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof DynamicBlockMet) return undefined;
    throw err;
  }
  if (Object.hasOwn(attributes, "provisioner") || Object.hasOwn(attributes, "//")) return undefined;
  const meta = r.terraformMetaArguments;
  for (const [from, to] of META_ARGUMENTS) {
    if (Object.hasOwn(attributes, to)) return undefined;
    const value = meta[from];
    if (value === undefined) continue;
    const resolved = fastResolve(guard, typeof value === "object" && value !== null ? keysToSnakeCase(value) : value);
    if (resolved !== undefined) attributes[to] = resolved;
  }
  attributes["//"] = fastResolve(guard, r.constructNodeMetadata);
  return attributes;
}

/** True for a fragment that adds nothing when merged (a plain object whose values are all undefined). */
function isEmptyFragment(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const v of Object.values(value)) if (v !== undefined) return false;
  return true;
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

/** An element (or the stack, for its own overrides) whose unresolved fragment held a foreign reference. */
interface Offender {
  readonly construct: Construct;
  readonly fragment: unknown;
  readonly refs: readonly ForeignReference[];
}

/** What cdktf's session hands a stack synthesizer (cdktf/lib/synthesize/types). */
type Session = Parameters<TerraformStack["synthesizer"]["synthesize"]>[0];

/**
 * The stock synthesizer, writing the stack's document with writeCanonicalJson (canonical-json.ts) instead of
 * json-stable-stringify (the same bytes; a fraction of the time and garbage). Everything else —
 * aspects, validations, annotations, the manifest entry — is the stock synthesizer's own: it runs
 * as always, given an empty document to write, and the real one is written in its place. HCL
 * output (SYNTH_HCL_OUTPUT) keeps the stock synthesizer.
 */
function canonicalWriting(stack: TerraformStack, stock: TerraformStack["synthesizer"]): TerraformStack["synthesizer"] {
  if ((stock as unknown as { hclOutput?: boolean }).hclOutput) return stock;
  return {
    synthesize(session: Session): void {
      const own = stack as unknown as { toTerraform?: () => unknown };
      const real = Object.getPrototypeOf(stack).toTerraform as () => unknown;
      let document: unknown;
      own.toTerraform = () => {
        document = real.call(stack);
        return {};
      };
      try {
        stock.synthesize(session);
      } finally {
        delete own.toTerraform;
      }
      if (document === undefined) return;
      writeCanonicalJson(path.join(session.outdir, session.manifest.forStack(stack).synthesizedStackPath), document);
    },
  };
}

/**
 * A TerraformStack that may not reference elements of other stacks, and synthesizes faster. A
 * reference to another stack's resource, data source, variable or output fails synthesis with an
 * {@link EnvkitError} (stock cdktf would wire it through remote state). Other stacks may still
 * consume this one's values: that wiring happens in the consumer's stock preparing pass.
 */
export class IndependentStack extends TerraformStack {
  /**
   * Whether this stack takes envkit's shortcuts: false when the installed cdktf is not the
   * version they were written against, and the stack then synthesizes exactly as TerraformStack.
   */
  public readonly fastSynthesis: boolean;
  private readonly internals?: CdktfInternals;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.internals = cdktfInternals();
    this.fastSynthesis = this.internals !== undefined;
    if (this.internals) this.synthesizer = canonicalWriting(this, this.synthesizer);
  }

  /** Skips the preparing resolve pass: it only discovers (and wires) cross-stack references. */
  public prepareStack(): void {
    if (!this.internals) return super.prepareStack();
    this.ensureBackendExists();
    // HCL output does not go through toTerraform, whose resolve pass checks references: check them
    // here, with one resolve pass like the preparing pass stock cdktf runs in its place.
    if ((this.synthesizer as unknown as { hclOutput?: boolean }).hclOutput) {
      const guard = new ReferenceGuard(this);
      const offenders: Offender[] = [];
      for (const e of elementsOf(this)) this.guarded(guard, offenders, e, e.toTerraform(), (v) => guard.resolve(v));
      this.refuseForeignReferences(offenders);
    }
  }

  /** Same document as TerraformStack.toTerraform, resolving each element once. */
  public toTerraform(): Record<string, unknown> {
    const internals = this.internals;
    if (!internals) return super.toTerraform();
    const self = this as unknown as { cdktfVersion: string; rawOverrides: Record<string, unknown> };
    const guard = new ReferenceGuard(this, internals.referenceClass);
    const offenders: Offender[] = [];
    const overrides = Object.keys(self.rawOverrides);
    const metadata: Record<string, unknown> = {
      version: self.cdktfVersion,
      stackName: this.node.id,
      backend: "local",
      cloud: undefined,
      ...(overrides.length > 0 ? { overrides: { stack: overrides } } : {}),
    };
    const elements = elementsOf(this);
    for (const e of elements) {
      const fragment = e.toMetadata();
      if (!isEmptyFragment(fragment)) internals.deepMerge(metadata, this.guarded(guard, offenders, e, fragment, (v) => guard.resolve(v)));
    }
    const outputs: Record<string, unknown> = {};
    for (const item of elements) {
      if (!TerraformOutput.isTerraformOutput(item)) continue;
      internals.deepMerge(
        outputs,
        item.node.path.split("/").reduceRight<Record<string, unknown>>((inner, part) => (Object.keys(inner).length === 0 ? { [part]: item.friendlyUniqueId } : { [part]: inner }), {}),
      );
    }
    const tf: Record<string, unknown> = { "//": { metadata, outputs } };
    for (const e of elements) {
      // A resource's attributes go straight into the document (they are a fresh copy already);
      // when the shortcut does not apply, or found a reference to another stack (to be located and
      // reported from the stock fragment), the stock fragment is resolved and merged instead.
      const before = guard.found.length;
      const attributes = resourceAttributes(guard, e, internals.keysToSnakeCase);
      if (attributes && guard.found.length === before) {
        const r = e as unknown as ResourceInternals;
        const section = tf.resource as Record<string, Record<string, unknown>> | undefined;
        const byId = section?.[r.terraformResourceType];
        if (!byId || !Object.hasOwn(byId, r.friendlyUniqueId)) {
          if (!section) tf.resource = { [r.terraformResourceType]: { [r.friendlyUniqueId]: attributes } };
          else if (!byId) section[r.terraformResourceType] = { [r.friendlyUniqueId]: attributes };
          else byId[r.friendlyUniqueId] = attributes;
          continue;
        }
      }
      guard.found.length = before;
      internals.deepMerge(tf, this.guarded(guard, offenders, e, e.toTerraform(), (v) => fastResolve(guard, v)));
    }
    // Stock cdktf merges the raw overrides (an undefined value deletes a key) and then resolves
    // the whole document again. Everything else is resolved already, so only the sections the
    // overrides touched are resolved here; keys left undefined (metadata.cloud) vanish when the
    // JSON is written.
    internals.deepMerge(tf, self.rawOverrides);
    for (const key of overrides) {
      const before = guard.found.length;
      tf[key] = guard.resolve(tf[key]);
      if (guard.found.length > before) offenders.push({ construct: this, fragment: { [key]: self.rawOverrides[key] }, refs: guard.found.slice(before) });
    }
    this.refuseForeignReferences(offenders);
    return tf;
  }

  /** Resolves one element's fragment, noting the element when it referenced another stack. */
  private guarded(guard: ReferenceGuard, offenders: Offender[], construct: Construct, fragment: unknown, resolve: (v: unknown) => unknown): unknown {
    const before = guard.found.length;
    const resolved = resolve(fragment);
    if (guard.found.length > before) offenders.push({ construct, fragment, refs: guard.found.slice(before) });
    return resolved;
  }

  /**
   * Throws one error for every foreign reference, each naming the construct, the field and both
   * stacks. Runs only when something was found, so finding the field (resolving each token-
   * carrying leaf of the offending fragments again) costs nothing on the normal path.
   */
  private refuseForeignReferences(offenders: readonly Offender[]): void {
    if (offenders.length === 0) return;
    const issues: ConfigIssue[] = [];
    const seen = new Set<string>();
    for (const { construct, fragment, refs } of offenders) {
      const located: Array<{ field: string; ref: ForeignReference }> = [];
      const walk = (value: unknown, at: readonly string[]): void => {
        if (isTokenLeaf(value) || (Array.isArray(value) && value.some(isListToken))) {
          const guard = new ReferenceGuard(this);
          guard.resolve(value);
          for (const ref of guard.found) located.push({ field: at.join("."), ref });
        } else if (Array.isArray(value)) {
          value.forEach((v, i) => walk(v, [...at, String(i)]));
        } else if (typeof value === "object" && value !== null) {
          for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
        }
      };
      walk(fragment, []);
      // Not found again leaf by leaf (a token in a map key, say): name the construct without a field.
      if (located.length === 0) for (const ref of refs) located.push({ field: "", ref });
      for (const { field, ref } of located) {
        const key = `${construct.node.path}\0${field}\0${ref.identifier}\0${ref.origin.node.path}`;
        if (seen.has(key)) continue;
        seen.add(key);
        issues.push({
          file: construct.node.path,
          path: field,
          message:
            `references ${ref.identifier} of stack "${ref.origin.node.path}", but stack "${this.node.path}" is an IndependentStack (every envkit EnvironmentStack is one), ` +
            `which does not wire references to other stacks (cdktf would add an output to "${ref.origin.node.path}" and a remote-state data source to "${this.node.path}"). ` +
            `EnvironmentStacks never reference each other: pass the value in through the configuration or a TerraformVariable, ` +
            `or build the stacks that need cross-stack wiring on a plain TerraformStack`,
        });
      }
    }
    throw new EnvkitError(issues);
  }
}
