import { AttributeChange, attributeChanges } from "./attr-diff";
import { codeSpan } from "./md-text";
import type * as Registry from "../targets/registry";

/** The top-level blocks other than `resource` that change what Terraform does. */
export type SettingBlock = "terraform" | "provider" | "variable" | "output" | "moved" | "data" | "locals" | "import" | "removed" | "check";

/** One changed non-resource block. */
export interface SettingChange {
  readonly block: SettingBlock;
  /** `terraform.backend`, `provider.kubernetes`, `variable.db_password`, `moved: a → b`, … */
  readonly address: string;
  readonly action: "create" | "update" | "delete";
  readonly attributes: readonly AttributeChange[];
  /** What the change really does, said loudly ("state moves to …", "points at another cluster"). */
  readonly banner?: string;
  readonly severity: "caution" | "warning" | "note";
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const BLOCKS: readonly SettingBlock[] = ["terraform", "provider", "variable", "output", "moved", "data", "locals", "import", "removed", "check"];

let targetKeys: ReadonlyMap<string, { readonly keys: readonly string[]; readonly noun: string }> | undefined;

/**
 * Provider settings that choose which cluster or engine the state's objects live in: each target
 * says which. Asked only when a provider block changed, so a review loads the targets only then.
 */
function targetEndpoints(): ReadonlyMap<string, { readonly keys: readonly string[]; readonly noun: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { adapterFor, supportedTargets } = require("../targets/registry") as typeof Registry;
  targetKeys ??= new Map(
    supportedTargets()
      .map((t) => adapterFor(t)!)
      .map((a) => [a.providerType, a.providerEndpoint]),
  );
  return targetKeys;
}

const str = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/** Where a backend keeps state, in a few words (never credentials). */
function where(type: string, cfg: Json): string {
  const s = (k: string): string => (typeof cfg[k] === "string" ? (cfg[k] as string) : "");
  switch (type) {
    case "s3":
      return `s3://${s("bucket")}/${s("workspace_key_prefix") ? `${s("workspace_key_prefix")}/` : ""}${s("key")}`;
    case "gcs":
      return `gs://${s("bucket")}/${s("prefix")}`;
    case "azurerm":
      return `azurerm ${s("storage_account_name")}/${s("container_name")}/${s("key")}`;
    case "local":
      return `local file ${s("path") || "terraform.tfstate"}`;
    default:
      return type;
  }
}

function backend(t: Json | undefined): { type: string; cfg: Json } | undefined {
  const b = t?.backend;
  if (!isObject(b)) return undefined;
  const type = Object.keys(b)[0];
  return type === undefined ? undefined : { type, cfg: (isObject(b[type]) ? b[type] : {}) as Json };
}

function change(block: SettingBlock, address: string, b: unknown, a: unknown, severity: SettingChange["severity"], banner?: string): SettingChange | undefined {
  if (JSON.stringify(b) === JSON.stringify(a)) return undefined;
  const attributes = attributeChanges(block, isObject(b) ? b : b === undefined ? undefined : { value: b }, isObject(a) ? a : a === undefined ? undefined : { value: a });
  return { block, address, action: b === undefined ? "create" : a === undefined ? "delete" : "update", attributes, banner, severity };
}

function terraformBlock(b: Json | undefined, a: Json | undefined): SettingChange[] {
  const out: (SettingChange | undefined)[] = [];
  const bb = backend(b);
  const ab = backend(a);
  if (JSON.stringify(bb) !== JSON.stringify(ab)) {
    const from = bb ? where(bb.type, bb.cfg) : "local file terraform.tfstate (no backend)";
    const to = ab ? where(ab.type, ab.cfg) : "local file terraform.tfstate (no backend)";
    const banner =
      from === to
        ? `state backend settings change (${codeSpan(to)}): \`terraform init -reconfigure\` is needed`
        : `state moves to ${codeSpan(to)} (was ${codeSpan(from)}): \`terraform init -migrate-state\` copies it there; without the migration Terraform starts from empty state and the next apply creates every resource again next to the existing ones`;
    out.push(change("terraform", "terraform.backend", b?.backend, a?.backend, "caution", banner));
  }
  if (b?.required_version !== a?.required_version) {
    out.push(change("terraform", "terraform.required_version", b?.required_version, a?.required_version, "warning", a?.required_version === undefined ? "no Terraform version is required any more" : `needs Terraform ${codeSpan(str(a.required_version))}${b?.required_version === undefined ? "" : ` (was ${codeSpan(str(b.required_version))})`}`));
  }
  const bp = (isObject(b?.required_providers) ? b.required_providers : {}) as Json;
  const ap = (isObject(a?.required_providers) ? a.required_providers : {}) as Json;
  for (const name of [...new Set([...Object.keys(bp), ...Object.keys(ap)])].sort()) {
    const v = (x: unknown): string => (isObject(x) ? `${str(x.source ?? name)} ${str(x.version ?? "(any version)")}` : str(x));
    const banner = bp[name] === undefined ? `needs provider ${codeSpan(v(ap[name]))}` : ap[name] === undefined ? `no longer needs provider ${codeSpan(name)}` : `provider ${codeSpan(name)} changes: ${codeSpan(v(bp[name]))} → ${codeSpan(v(ap[name]))}; \`terraform init -upgrade\` is needed and the lock file changes; envkit's replacement rules are those of kreuzwerker/docker 3.6.2 and hashicorp/kubernetes 2.38.0`;
    out.push(change("terraform", `terraform.required_providers.${name}`, bp[name], ap[name], "warning", banner));
  }
  for (const k of [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].filter((k) => !["backend", "required_version", "required_providers"].includes(k)).sort()) {
    out.push(change("terraform", `terraform.${k}`, b?.[k], a?.[k], k === "cloud" ? "caution" : "note", k === "cloud" ? "state moves to another HCP Terraform workspace or organization" : undefined));
  }
  return out.filter((c): c is SettingChange => c !== undefined);
}

/** `provider: { kubernetes: [ {alias?, …} ] }` → `provider.kubernetes[.alias]` → config. */
function providers(v: unknown): Map<string, Json> {
  const out = new Map<string, Json>();
  if (!isObject(v)) return out;
  for (const [name, cfgs] of Object.entries(v)) {
    for (const c of Array.isArray(cfgs) ? cfgs : [cfgs]) {
      if (!isObject(c)) continue;
      out.set(`provider.${name}${typeof c.alias === "string" ? `.${c.alias}` : ""}`, c);
    }
  }
  return out;
}

function providerBlock(b: unknown, a: unknown): SettingChange[] {
  const bp = providers(b);
  const ap = providers(a);
  const out: (SettingChange | undefined)[] = [];
  for (const addr of [...new Set([...bp.keys(), ...ap.keys()])].sort()) {
    const name = addr.split(".")[1];
    const before = bp.get(addr);
    const after = ap.get(addr);
    const endpoint = targetEndpoints().get(name);
    const moved = (endpoint?.keys ?? []).filter((k) => before && after && JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    const what = endpoint?.noun ?? "cluster";
    const banner = moved.length
      ? `points at another ${what}: ${moved.map((k) => `${k} ${before![k] === undefined ? "(unset)" : codeSpan(str(before![k]))} → ${after![k] === undefined ? "(unset)" : codeSpan(str(after![k]))}`).join(", ")}. Terraform looks for this state's objects in that ${what}: what it does not find there is created there, what has the same name there is changed, and the objects in the old ${what} keep running, no longer managed`
      : undefined;
    out.push(change("provider", addr, before, after, moved.length ? "caution" : "note", banner));
  }
  return out.filter((c): c is SettingChange => c !== undefined);
}

function named(block: SettingBlock, b: unknown, a: unknown): SettingChange[] {
  const bo = (isObject(b) ? b : {}) as Json;
  const ao = (isObject(a) ? a : {}) as Json;
  const out: (SettingChange | undefined)[] = [];
  for (const k of [...new Set([...Object.keys(bo), ...Object.keys(ao)])].sort()) {
    const before = bo[k] as Json | undefined;
    const after = ao[k] as Json | undefined;
    let banner: string | undefined;
    let severity: SettingChange["severity"] = "note";
    if (before?.sensitive === true && after && after.sensitive !== true) {
      banner = block === "output" ? "is no longer sensitive: `terraform apply` and `terraform output` print its value" : "is no longer sensitive: plans and logs print its value";
      severity = "caution";
    } else if (block === "variable" && after && after.default === undefined && (before === undefined || before.default !== undefined)) {
      banner = `needs a value: supply ${codeSpan(`TF_VAR_${k}`)} on every plan and apply`;
      severity = "warning";
    }
    // A sensitive variable's default never reaches the report.
    const mask = (v: Json | undefined): Json | undefined => (v && v.sensitive === true && v.default !== undefined ? { ...v, default: "(sensitive)" } : v);
    out.push(change(block, `${block}.${k}`, mask(before), mask(after), severity, banner));
  }
  return out.filter((c): c is SettingChange => c !== undefined);
}

function dataBlock(b: unknown, a: unknown): SettingChange[] {
  const flat = (v: unknown): Json => {
    const out: Json = {};
    if (isObject(v)) for (const [t, ids] of Object.entries(v)) if (isObject(ids)) for (const [id, body] of Object.entries(ids)) out[`${t}.${id}`] = body;
    return out;
  };
  const bo = flat(b);
  const ao = flat(a);
  return [...new Set([...Object.keys(bo), ...Object.keys(ao)])].sort().flatMap((k) => change("data", `data.${k}`, bo[k], ao[k], "note") ?? []);
}

function movedBlock(b: unknown, a: unknown, replaced: ReadonlySet<string>): SettingChange[] {
  const list = (v: unknown): { from: string; to: string }[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(isObject).map((m) => ({ from: str(m.from), to: str(m.to) }));
  const key = (m: { from: string; to: string }): string => `${m.from} → ${m.to}`;
  const bk = new Set(list(b).map(key));
  const ak = new Set(list(a).map(key));
  const out: SettingChange[] = [];
  // A move keeps the object only when nothing ForceNew changed with it; else it is replaced under its new address.
  const kept = (m: { to: string }): string => (replaced.has(m.to) ? "and the object is then replaced (a changed attribute forces it: see the resource)" : "the object is kept (no destroy, no create)");
  for (const m of list(a)) if (!bk.has(key(m))) out.push({ block: "moved", address: `moved: ${key(m)}`, action: "create", attributes: [], severity: "note", banner: `state moves from ${codeSpan(m.from)} to ${codeSpan(m.to)}: ${kept(m)}` });
  for (const m of list(b)) if (!ak.has(key(m))) out.push({ block: "moved", address: `moved: ${key(m)}`, action: "delete", attributes: [], severity: "warning", banner: `no longer moves ${codeSpan(m.from)} to ${codeSpan(m.to)}: a state that still holds ${codeSpan(m.from)} (not applied since the move) now destroys it and creates ${codeSpan(m.to)}` });
  return out;
}

/**
 * Every non-resource block that differs between two synthesized stacks. `replaced`: the head
 * addresses of resources the resource diff replaces, so a `moved` banner does not call them kept.
 */
export function diffSettings(base: Json | undefined, head: Json | undefined, replaced: ReadonlySet<string> = new Set()): SettingChange[] {
  const out: SettingChange[] = [];
  for (const block of BLOCKS) {
    const b = base?.[block];
    const a = head?.[block];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    if (block === "terraform") out.push(...terraformBlock(b as Json | undefined, a as Json | undefined));
    else if (block === "provider") out.push(...providerBlock(b, a));
    else if (block === "variable" || block === "output") out.push(...named(block, b, a));
    else if (block === "moved") out.push(...movedBlock(b, a, replaced));
    else if (block === "data") out.push(...dataBlock(b, a));
    else out.push(...(change(block, block, b, a, "note") ? [change(block, block, b, a, "note")!] : []));
  }
  return out;
}
