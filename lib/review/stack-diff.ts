import { ConfigIssue, EnvkitError } from "../errors";
import { AttributeChange, RefNamer, attributeChanges as diffAttributes } from "./attr-diff";
import { addConsequences } from "./consequences";
import { holdsData, knowsType } from "./replacement";
import { SettingChange, diffSettings } from "./settings-diff";
import { sameJson } from "./same-json";
import { RawBody, mentions, resourcesOf, sameRaw } from "./stack-text";

/** A resource as the diff reads it: its text, while unparsed, compares it without parsing. */
type Resource = { readonly type: string; readonly body: Json; readonly raw: RawBody | undefined };

export type { AttributeChange, LineHunk, RefNamer } from "./attr-diff";
export type { SettingChange } from "./settings-diff";

/** What Terraform will do to one resource (`move`: a `moved` block renames it, nothing else changes). */
export type Action = "create" | "update" | "replace" | "delete" | "move";

/** One resource's change. */
export interface ResourceChange {
  /** `type.logicalId`, as in `terraform plan`. */
  readonly address: string;
  readonly type: string;
  /** A readable name: the resource's `name` or `metadata.name` when known. */
  readonly name?: string;
  readonly action: Action;
  readonly attributes: readonly AttributeChange[];
  /** Destroying/replacing it loses data (volumes, claims, namespaces; not a stateful set, whose claims are retained). */
  readonly dataLoss: boolean;
  /** envkit has no replacement knowledge for this type; the action is a best guess. */
  readonly unknownType?: boolean;
  /** What will really happen, from the providers' semantics (restart, ignored resize, retained claims…). */
  readonly consequences?: readonly string[];
  /** Why `terraform apply` will fail on this change ("network has active endpoints"). */
  readonly failures?: readonly string[];
  /** A `moved` block: the address it had in base. */
  readonly movedFrom?: string;
  /** Not changed itself: replaced because of `lifecycle.replace_triggered_by`. */
  readonly triggeredBy?: string;
  /** Resource changes found only by refreshing (`--plan` resource_drift): made outside Terraform. */
  readonly drift?: boolean;
}

/** The service graph of a stack (from the envkit-model.json sidecar). */
export interface StackModel {
  readonly target?: string;
  readonly connections: readonly { readonly from: string; readonly to: string; readonly port: number; readonly protocol: string }[];
  readonly services: readonly { readonly name: string; readonly public: boolean; readonly kind: string; readonly ports: readonly number[] }[];
}

/** One environment's change between base and head. */
export interface EnvironmentChange {
  readonly env: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  readonly target?: string;
  readonly changes: readonly ResourceChange[];
  /** Non-resource blocks (backend, providers, variables, outputs, moved, data) that changed. */
  readonly settings?: readonly SettingChange[];
  /** Changes made outside Terraform (`--plan` resource_drift). */
  readonly drift?: readonly ResourceChange[];
  readonly connectionsChanged: boolean;
  /** Connections (`from->to:port`) only in head / only in base. */
  readonly edgesAdded?: readonly string[];
  readonly edgesRemoved?: readonly string[];
  /** Head's (or, when removed, base's) service graph. */
  readonly model?: StackModel;
}

/** Where the review comes from, for the header. */
export interface ReviewMeta {
  readonly commit?: string;
  readonly base?: string;
  readonly head?: string;
  readonly runUrl?: string;
}

/** Totals across environments: what a CI step reads first. */
export interface ReviewSummary {
  readonly hasDataLoss: boolean;
  /** Some change cannot apply as planned (`failures`). */
  readonly hasFailures: boolean;
  readonly counts: Record<Action, number>;
  /** Environments compared, and those with any change. */
  readonly environments: number;
  readonly changed: readonly string[];
  /** Settings with a caution banner (state moves, another cluster). */
  readonly cautions: number;
}

/** The whole review: every environment of base ∪ head, in name order. */
export interface DiffReport {
  readonly summary?: ReviewSummary;
  readonly meta?: ReviewMeta;
  readonly environments: readonly EnvironmentChange[];
}

type Json = Record<string, unknown>;

/** The readable name of a resource body: `name`, else `metadata.name`, when literal. */
export function readableName(body: Json | undefined): string | undefined {
  if (!body) return undefined;
  const lit = (v: unknown): string | undefined => (typeof v === "string" && !v.includes("${") ? v : undefined);
  if (lit(body.name)) return lit(body.name);
  const meta = Array.isArray(body.metadata) ? (body.metadata[0] as Json) : (body.metadata as Json | undefined);
  return lit(meta?.name);
}

/** Names referenced resources by their readable name in head, else base. */
export function refNamer(...stacks: (Json | undefined)[]): RefNamer {
  const maps = stacks.map(resourcesOf);
  return (type, id) => {
    for (const m of maps) {
      const n = readableName(m.get(`${type}.${id}`)?.body);
      if (n) return n;
    }
    return undefined;
  };
}

/**
 * Attribute-level difference of two synthesized resource bodies (metadata comments ignored): the
 * literal text of uploaded files is shown, references to secrets stay masked.
 */
export function attributeChanges(type: string, before: Json | undefined, after: Json | undefined, namer?: RefNamer): AttributeChange[] {
  return diffAttributes(type, before, after, namer, { literalContent: true });
}

function moves(head: Json | undefined): Map<string, string> {
  const m = head?.moved;
  const list = Array.isArray(m) ? m : m === undefined ? [] : [m];
  return new Map(list.filter((x): x is Json => typeof x === "object" && x !== null).map((x) => [String(x.to), String(x.from)]));
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `body` with every reference to a moved resource (`from` → `to`) written as its new address, as
 * Terraform reads it once the move is applied: otherwise a container that mounts a moved volume
 * would show a changed (ForceNew) reference, a fake replacement.
 */
function renameReferences(body: Json, renames: ReadonlyMap<string, string>): Json {
  if (renames.size === 0) return body;
  // An address is a whole word: not preceded or followed by more of an address.
  const pattern = new RegExp(`(?<![A-Za-z0-9_.-])(${[...renames.keys()].map(escapeRegExp).join("|")})(?![A-Za-z0-9_-])`, "g");
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.replace(pattern, (m) => renames.get(m) ?? m);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(body) as Json;
}

/** Resource-level changes of one stack, with their consequences. */
/**
 * Parses, up front, every resource body of `base` and `head` that the diff will read (those whose
 * bytes differ, or that one side lacks), so that every body that is not valid JSON is reported at
 * once, not just the first one met. Throws an {@link EnvkitError} listing them. Returns the
 * addresses whose bytes are the same on both sides (the diff skips them).
 */
function parseChangedBodies(base: ReadonlyMap<string, Resource>, head: ReadonlyMap<string, Resource>): ReadonlySet<string> {
  const unchanged = new Set<string>();
  const issues: ConfigIssue[] = [];
  const read = (r: Resource | undefined): void => {
    try {
      void r?.body;
    } catch (e) {
      if (!(e instanceof EnvkitError)) throw e;
      issues.push(...e.issues);
    }
  };
  for (const [address, after] of head) {
    const before = base.get(address);
    if (before?.raw && after.raw && sameRaw(before.raw, after.raw)) {
      unchanged.add(address);
      continue;
    }
    read(before);
    read(after);
  }
  for (const [address, before] of base) if (!head.has(address)) read(before);
  if (issues.length > 0) throw new EnvkitError(issues);
  return unchanged;
}

export function diffStacks(base: Json | undefined, head: Json | undefined): ResourceChange[] {
  // The same parsed text on both sides (see readOutputDir): nothing changed.
  if (base !== undefined && base === head) return [];
  const h = resourcesOf(head);
  const original = resourcesOf(base);
  const unchanged = parseChangedBodies(original, h);
  const namer = refNamer(head, base);
  const moved = moves(head);
  const movedAway = new Set([...moved].filter(([to, from]) => h.has(to) && original.has(from) && !original.has(to) && !h.has(from)).map(([, from]) => from));
  // Base as it reads after the moves: its references to moved resources name their new addresses.
  const renames = new Map([...moved].filter(([, from]) => movedAway.has(from)).map(([to, from]) => [from, to]));
  // Only bodies that mention a moved address are read and rewritten; the rest keep their text.
  const renamed = (r: Resource): boolean => [...renames.keys()].some((from) => mentions(r, from));
  const b: ReadonlyMap<string, Resource> = renames.size === 0 ? original : new Map([...original].map(([address, r]) => [address, renamed(r) ? { type: r.type, body: renameReferences(r.body, renames), raw: undefined } : r]));
  const out: ResourceChange[] = [];
  for (const address of [...new Set([...b.keys(), ...h.keys()])].sort()) {
    if (movedAway.has(address)) continue;
    const from = moved.get(address);
    const before = from && movedAway.has(from) ? b.get(from) : b.get(address);
    const after = h.get(address);
    const type = (before ?? after)!.type;
    const movedFrom = from && movedAway.has(from) ? from : undefined;
    if (!before || !after) {
      const action: Action = before ? "delete" : "create";
      out.push({ address, type, name: readableName((before ?? after)!.body), action, attributes: before ? [] : attributeChanges(type, undefined, after!.body, namer), dataLoss: action === "delete" && holdsData(type) });
      continue;
    }
    // The same bytes are the same JSON: most resources of a review are compared without being parsed.
    const same = (unchanged.has(address) && before === original.get(address)) || (before.raw !== undefined && after.raw !== undefined && sameRaw(before.raw, after.raw)) || sameJson(before.body, after.body);
    const attributes = same ? [] : attributeChanges(type, before.body, after.body, namer);
    if (attributes.length === 0 && !movedFrom) continue;
    const replace = attributes.some((a) => a.forcesReplacement);
    const action: Action = replace ? "replace" : attributes.length ? "update" : "move";
    out.push({ address, type, name: readableName(after.body), action, attributes, dataLoss: replace && holdsData(type), unknownType: !knowsType(type) || undefined, movedFrom });
  }
  return addConsequences(base, head, out);
}

const edgeList = (m?: StackModel): string[] => (m?.connections ?? []).map((c) => `${c.from}->${c.to}:${c.port}`).sort();

/** Totals of a report. */
export function summarize(environments: readonly EnvironmentChange[]): ReviewSummary {
  const c: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0, move: 0 };
  for (const e of environments) for (const r of e.changes) c[r.action]++;
  return {
    hasDataLoss: environments.some((e) => e.changes.some((r) => r.dataLoss)),
    hasFailures: environments.some((e) => e.changes.some((r) => (r.failures ?? []).length > 0)),
    counts: c,
    environments: environments.length,
    changed: environments.filter((e) => e.status !== "unchanged").map((e) => e.env),
    cautions: environments.reduce((n, e) => n + (e.settings ?? []).filter((s) => s.severity === "caution").length, 0),
  };
}

/** Diffs every environment of base against head. */
export function diffOutputs(base: ReadonlyMap<string, { json: Json; model?: StackModel }>, head: ReadonlyMap<string, { json: Json; model?: StackModel }>, meta?: ReviewMeta): DiffReport {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  // Every environment's broken bodies are reported together (see parseChangedBodies).
  const broken: ConfigIssue[] = [];
  const environments = names.map((env): EnvironmentChange => {
    const b = base.get(env);
    const h = head.get(env);
    let changes: ResourceChange[] = [];
    try {
      changes = diffStacks(b?.json, h?.json);
    } catch (e) {
      if (!(e instanceof EnvkitError)) throw e;
      broken.push(...e.issues);
    }
    const replaced = new Set(changes.filter((c) => c.action === "replace").map((c) => c.address));
    const settings = b && h ? diffSettings(b.json, h.json, replaced) : [];
    const eb = edgeList(b?.model);
    const eh = edgeList(h?.model);
    const connectionsChanged = JSON.stringify(eb) !== JSON.stringify(eh);
    const status = !b ? "added" : !h ? "removed" : changes.length || settings.length || connectionsChanged ? "changed" : "unchanged";
    const model = h?.model ?? b?.model;
    const inBase = new Set(eb);
    const inHead = new Set(eh);
    const edgesAdded = b ? eh.filter((e) => !inBase.has(e)) : [];
    const edgesRemoved = h ? eb.filter((e) => !inHead.has(e)) : [];
    return { env, status, target: model?.target, changes, settings, connectionsChanged, edgesAdded, edgesRemoved, model };
  });
  if (broken.length > 0) throw new EnvkitError(broken);
  return { summary: summarize(environments), meta: meta && Object.values(meta).some(Boolean) ? meta : undefined, environments };
}

/** Counts per action of one environment. */
export function counts(e: EnvironmentChange): Record<Action, number> {
  const c: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0, move: 0 };
  for (const r of e.changes) c[r.action]++;
  return c;
}
