import { codeSpan } from "./md-text";
import { RULES, holdsData } from "./replacement";
import type { ResourceChange } from "./stack-diff";
import { StackResource, mayMention, mentions, resourcesOf } from "./stack-text";

/*
 * What a plan really does, beyond "replace" or "update": consequences that need the whole stack
 * (which containers use a network, which claims a stateful set keeps), from the providers'
 * semantics at the pinned versions. Sources are cited where each rule is applied.
 */

type Json = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The label that names what a volume is for; `secrets` = it holds only uploaded secret files. */
export const PURPOSE_LABEL = "envkit.dev/purpose";
/** The label and value the Docker target puts on a service's secrets seed container (a data copy of docker-service.ts's, so review needs no target). */
const ROLE_LABEL = "envkit.dev/role";
const SEED_ROLE = "secrets-seed";

/** Whether a resource's body mentions `address` in an expression. */
const refersTo = (r: StackResource, address: string): boolean => mentions(r, `\${${address}.`);

function labels(body: Json): Record<string, string> {
  const l = body.labels;
  if (Array.isArray(l)) return Object.fromEntries(l.filter(isObject).map((x) => [String(x.label), String(x.value)]));
  return isObject(l) ? (Object.fromEntries(Object.entries(l).map(([k, v]) => [k, String(v)])) as Record<string, string>) : {};
}

const asList = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);

/**
 * Whether a docker_volume holds only secret files that Terraform uploads (so losing it loses
 * nothing that the next apply does not put back): its purpose label says `secrets`, or envkit's
 * naming says so (`…-secrets`) and every container that mounts it mounts it where `upload`s of a
 * container sharing it land. Never guessed from the name alone.
 */
export function holdsOnlyUploadedSecrets(address: string, body: Json, stack: ReadonlyMap<string, { readonly type: string; readonly body: Json }>): boolean {
  const purpose = labels(body)[PURPOSE_LABEL];
  if (purpose !== undefined) return purpose === "secrets";
  if (typeof body.name !== "string" || !body.name.endsWith("-secrets")) return false;
  const ref = `\${${address}.name}`;
  const users = [...stack.values()].filter((r) => r.type === "docker_container" && asList(r.body.mounts).some((m) => m.source === ref));
  if (users.length === 0) return false;
  const targets = users.flatMap((u) => asList(u.body.mounts).filter((m) => m.source === ref).map((m) => String(m.target)));
  const uploads = users.flatMap((u) => asList(u.body.upload).map((x) => String(x.file)));
  return targets.every((t) => uploads.some((f) => f.startsWith(`${t}/`)));
}

function retentionDeletes(body: Json): boolean {
  const spec = asList(body.spec)[0];
  const policy = spec ? asList(spec.persistent_volume_claim_retention_policy)[0] : undefined;
  return policy?.when_deleted === "Delete";
}

/** Adds replace_triggered_by replacements, apply failures and what each change really does. */
export function addConsequences(base: Json | undefined, head: Json | undefined, input: ResourceChange[]): ResourceChange[] {
  const b = resourcesOf(base);
  const h = resourcesOf(head);
  const changes: Mutable<ResourceChange>[] = input.map((c) => ({ ...c }));
  const byAddr = new Map(changes.map((c) => [c.address, c]));

  // lifecycle.replace_triggered_by: Terraform replaces the resource when the referenced resource
  // is replaced (any attribute changes) or the referenced attribute changes. Fixpoint over chains.
  for (let again = mayMention(head, '"replace_triggered_by"'); again; ) {
    again = false;
    for (const [address, r] of h) {
      // Only a body that names replace_triggered_by is read (parsed) here.
      if (!mentions(r, '"replace_triggered_by"')) continue;
      const { type, body } = r;
      const lc = asList(body.lifecycle)[0];
      const triggers = Array.isArray(lc?.replace_triggered_by) ? (lc.replace_triggered_by as unknown[]).map(String) : [];
      const cur = byAddr.get(address);
      if (cur && (cur.action === "replace" || cur.action === "create" || cur.action === "delete")) continue;
      for (const t of triggers) {
        const ref = t.replace(/^\$\{|\}$/g, "");
        const [rt, rid, ...rest] = ref.split(".");
        const target = byAddr.get(`${rt}.${rid}`);
        const attr = rest.join(".").replace(/\[\d+\]/g, "");
        const fires = target && (target.action === "replace" || (target.action === "update" && (attr === "" || target.attributes.some((a) => a.path === attr || a.path.startsWith(`${attr}.`) || a.path.startsWith(`${attr}[`)))));
        if (!fires) continue;
        const next: Mutable<ResourceChange> = cur ?? { address, type, name: typeof body.name === "string" ? body.name : undefined, action: "replace", attributes: [], dataLoss: false };
        next.action = "replace";
        next.triggeredBy = `${rt}.${rid}`;
        next.dataLoss = holdsData(type);
        if (!cur) {
          changes.push(next);
          byAddr.set(address, next);
        }
        again = true;
        break;
      }
    }
  }

  for (const c of changes) {
    const rules = RULES[c.type];
    const cons: string[] = [...(c.consequences ?? [])];
    const fail: string[] = [...(c.failures ?? [])];
    const body = (h.get(c.address) ?? b.get(c.movedFrom ?? c.address) ?? b.get(c.address))?.body ?? {};
    if (c.triggeredBy) cons.push(`replaced because \`lifecycle.replace_triggered_by\` names ${codeSpan(c.triggeredBy)}, which changes`);

    // A network or volume that is replaced while a container still uses it: the provider's delete
    // retries for 30 s on "has active endpoints" / "volume is in use", never disconnecting anything
    // (kreuzwerker/docker 3.6.2 resource_docker_network_funcs.go:192-213, resource_docker_volume.go:158-175).
    if ((c.type === "docker_network" || c.type === "docker_volume") && c.action === "replace") {
      const staying = [...h].filter(([addr, r]) => r.type === "docker_container" && refersTo(r, c.address) && !["replace", "delete", "create"].includes(byAddr.get(addr)?.action ?? "")).map(([addr, r]) => (typeof r.body.name === "string" ? r.body.name : addr));
      if (staying.length) {
        const what = c.type === "docker_network" ? "network has active endpoints" : "volume is in use";
        fail.push(`apply will fail: ${what} (${staying.map((s) => codeSpan(s)).join(", ")} stay${staying.length === 1 ? "s" : ""} attached and ${staying.length === 1 ? "is" : "are"} not replaced in this plan; the provider retries the delete for 30 s and never detaches containers). Replace them in the same apply (\`lifecycle.replace_triggered_by\`) or remove them first`);
      }
    }

    if (c.type === "docker_volume" && (c.action === "replace" || c.action === "delete")) {
      const stack = h.has(c.address) ? h : b;
      if (holdsOnlyUploadedSecrets(c.address, body, stack)) {
        c.dataLoss = false;
        cons.push("holds only the secret files Terraform uploads: not data loss; they are uploaded again when the containers carrying the uploads are created");
      }
    }

    if (c.type === "kubernetes_stateful_set_v1") {
      if (c.action === "replace" || c.action === "delete") {
        if (retentionDeletes(body)) {
          c.dataLoss = true;
          cons.push("persistent_volume_claim_retention_policy.when_deleted = Delete: the claims and their data are deleted with the stateful set");
        } else {
          cons.push(c.action === "replace" ? rules!.onReplace : "the stateful set and its pods are deleted; the claims are retained (orphaned: nothing uses them until a stateful set of the same name claims them again)");
        }
      }
      if (c.action === "update" && c.attributes.some((a) => a.notApplied && a.schemaPath?.startsWith("spec.volume_claim_template"))) {
        cons.push(`resize never happens: ${rules!.onNotApplied}`);
      }
    }

    if ((c.type === "kubernetes_stateful_set_v1" || c.type === "kubernetes_deployment_v1") && c.action === "update" && c.attributes.some((a) => a.schemaPath?.startsWith("spec.template"))) {
      // Both send spec.template in the patch (structures_stateful_set.go:262-272; deployment Update replaces /spec).
      cons.push(`${codeSpan(c.name ?? c.address)} restarts: the pod template changes, so its pods are replaced one by one (rolling update)`);
    }

    // A secrets seed (lib/targets/docker/docker-service.ts: label envkit.dev/role = secrets-seed) never runs.
    const seed = c.type === "docker_container" && labels(body)[ROLE_LABEL] === SEED_ROLE;
    if (seed && c.action === "replace") cons.push("the secrets seed (never started) is created again and uploads the secret files into its volume again; the service's containers are replaced with it (`replace_triggered_by`)");
    else if (c.action === "replace" && rules && c.type !== "kubernetes_stateful_set_v1" && !cons.some((x) => x.startsWith("holds only"))) cons.push(rules.onReplace);
    if (c.action === "delete" && c.dataLoss) cons.push(`${codeSpan(c.name ?? c.address)} is deleted with its data`);
    if (c.action === "update" && c.type !== "kubernetes_stateful_set_v1" && c.attributes.some((a) => a.notApplied)) {
      cons.push(`planned in place, but the provider never applies ${c.attributes.filter((a) => a.notApplied).map((a) => codeSpan(a.path)).join(", ")} to the existing resource: it keeps the old value and every later plan shows this update again, until it is replaced (${codeSpan(`terraform apply -replace=${c.address}`)})`);
    }
    c.consequences = cons.length ? cons : undefined;
    c.failures = fail.length ? fail : undefined;
  }
  return changes.sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
}
