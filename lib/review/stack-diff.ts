import { flatten } from "./flatten";
import { forcesReplacement, holdsData, isSensitivePath, knowsType, notAppliedInPlace } from "./replacement";

/** What Terraform will do to one resource. */
export type Action = "create" | "update" | "replace" | "delete";

/** One changed attribute (values masked when sensitive). */
export interface AttributeChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
  readonly forcesReplacement: boolean;
  /** Planned in place, but the provider never applies it to the existing resource (it drifts until replaced). */
  readonly notApplied?: boolean;
}

/** One resource's change. */
export interface ResourceChange {
  /** `type.logicalId`, as in `terraform plan`. */
  readonly address: string;
  readonly type: string;
  /** A readable name: the resource's `name` or `metadata.name` when known. */
  readonly name?: string;
  readonly action: Action;
  readonly attributes: readonly AttributeChange[];
  /** Destroying/replacing it loses data (volumes, PVCs, StatefulSets, namespaces). */
  readonly dataLoss: boolean;
  /** envkit has no replacement knowledge for this type; the action is a best guess. */
  readonly unknownType?: boolean;
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
  readonly connectionsChanged: boolean;
  /** Head's (or, when removed, base's) service graph. */
  readonly model?: StackModel;
}

/** The whole review: every environment of base ∪ head, in name order. */
export interface DiffReport {
  readonly environments: readonly EnvironmentChange[];
}

type Json = Record<string, unknown>;
type Resources = Record<string, Record<string, Json>>;

const MASK = "(sensitive)";

function readableName(body: Json): string | undefined {
  if (typeof body.name === "string") return body.name;
  const meta = Array.isArray(body.metadata) ? (body.metadata[0] as Json) : (body.metadata as Json | undefined);
  return typeof meta?.name === "string" ? meta.name : undefined;
}

function all(json: Json | undefined): Map<string, { type: string; body: Json }> {
  const out = new Map<string, { type: string; body: Json }>();
  const res = (json?.resource ?? {}) as Resources;
  for (const type of Object.keys(res)) for (const id of Object.keys(res[type])) out.set(`${type}.${id}`, { type, body: res[type][id] });
  return out;
}

/** Attribute-level difference of two resource bodies (metadata comments ignored). */
export function attributeChanges(type: string, before: Json | undefined, after: Json | undefined): AttributeChange[] {
  const fb = before ? flatten(before) : new Map<string, string>();
  const fa = after ? flatten(after) : new Map<string, string>();
  const out: AttributeChange[] = [];
  for (const p of [...new Set([...fb.keys(), ...fa.keys()])].sort()) {
    const b = fb.get(p);
    const a = fa.get(p);
    if (a === b) continue;
    const mask = isSensitivePath(p);
    out.push({ path: p, before: b === undefined ? undefined : mask ? MASK : b, after: a === undefined ? undefined : mask ? MASK : a, forcesReplacement: forcesReplacement(type, p), notApplied: notAppliedInPlace(type, p) || undefined });
  }
  return out;
}

/** Resource-level changes of one stack. */
export function diffStacks(base: Json | undefined, head: Json | undefined): ResourceChange[] {
  const b = all(base);
  const h = all(head);
  const out: ResourceChange[] = [];
  for (const address of [...new Set([...b.keys(), ...h.keys()])].sort()) {
    const before = b.get(address);
    const after = h.get(address);
    const type = (before ?? after)!.type;
    if (!before || !after) {
      const action: Action = before ? "delete" : "create";
      out.push({ address, type, name: readableName((before ?? after)!.body), action, attributes: before ? [] : attributeChanges(type, undefined, after!.body), dataLoss: action === "delete" && holdsData(type) });
      continue;
    }
    const attributes = attributeChanges(type, before.body, after.body);
    if (attributes.length === 0) continue;
    const replace = attributes.some((a) => a.forcesReplacement);
    out.push({ address, type, name: readableName(after.body), action: replace ? "replace" : "update", attributes, dataLoss: replace && holdsData(type), unknownType: !knowsType(type) || undefined });
  }
  return out;
}

function edgeSet(m?: StackModel): string {
  return JSON.stringify((m?.connections ?? []).map((c) => `${c.from}->${c.to}:${c.port}`).sort());
}

/** Diffs every environment of base against head. */
export function diffOutputs(base: ReadonlyMap<string, { json: Json; model?: StackModel }>, head: ReadonlyMap<string, { json: Json; model?: StackModel }>): DiffReport {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort();
  return {
    environments: names.map((env) => {
      const b = base.get(env);
      const h = head.get(env);
      const changes = diffStacks(b?.json, h?.json);
      const status = !b ? "added" : !h ? "removed" : changes.length ? "changed" : "unchanged";
      const model = h?.model ?? b?.model;
      return { env, status, target: model?.target, changes, connectionsChanged: edgeSet(b?.model) !== edgeSet(h?.model), model };
    }),
  };
}

/** Counts per action. */
export function counts(e: EnvironmentChange): Record<Action, number> {
  const c: Record<Action, number> = { create: 0, update: 0, replace: 0, delete: 0 };
  for (const r of e.changes) c[r.action]++;
  return c;
}
