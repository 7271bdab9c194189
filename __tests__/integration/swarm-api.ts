/*
 * Engine API requests equivalent to what kreuzwerker/docker 3.6.2 sends for a synthesized Swarm
 * stack: docker_network (overlay) → POST /networks/create; docker_secret → POST /secrets/create
 * (resource_docker_secret.go:91-115: Data is the base64-decoded `data`); docker_service →
 * POST /services/create and, on change, POST /services/<id>/update with the whole spec
 * (resource_docker_service_funcs.go:32-76, 164-217; spec built as createServiceSpec does,
 * resource_docker_service_structures.go:575ff). `converge_config` is emulated by waiting for
 * UpdateStatus as resourceDockerServiceUpdateRefreshFunc does. Read-only use of engine-api.ts.
 */
import { api } from "./engine-api";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const first = (v: unknown): Json => ((Array.isArray(v) ? v[0] : v) as Json | undefined) ?? {};
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** A Go duration string ("10s", "2m", "1500ms") in nanoseconds, as time.ParseDuration reads it. */
export function nanos(d: string | undefined): number | undefined {
  if (d === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`not a Go duration: ${d}`);
  const unit = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as "s"];
  return Math.round(Number(m[1]) * unit);
}

const labels = (l: unknown): Record<string, string> => Object.fromEntries(list(l).map((x) => [String(x.label), String(x.value)]));

/** Resolves `${docker_network.<id>.id}` / `${docker_secret.<id>.id|name}` against what was created. */
export type Refs = (ref: string) => string;

function updateConfig(u: Json | undefined): Json | undefined {
  if (!u) return undefined;
  return { Parallelism: u.parallelism, Delay: nanos(u.delay), FailureAction: u.failure_action, Monitor: nanos(u.monitor), MaxFailureRatio: Number(u.max_failure_ratio ?? 0), Order: u.order };
}

/**
 * Terraform's template semantics for the strings of a body: a whole reference (`${type.key.attr}`)
 * is left for `ref`; in any other string the escapes `$${` and `%%{` render `${` and `%{` (what the
 * provider receives), and an unescaped opener is an expression this stand-in cannot evaluate.
 */
function rendered(v: unknown, where: string): unknown {
  if (typeof v === "string") {
    if (/^\$\{[a-z_]+\.[^.]+\.(id|name)\}$/.test(v)) return v;
    if (/\$\{|%\{/.test(v.replace(/\$\$\{|%%\{/g, ""))) throw new Error(`${where}: "${v.slice(0, 80)}" is a Terraform expression the stand-in does not evaluate`);
    return v.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
  }
  if (Array.isArray(v)) return v.map((x, i) => rendered(x, `${where}[${i}]`));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rendered(x, `${where}.${k}`)]));
  return v;
}

/** The swarm.ServiceSpec the provider builds from a docker_service body. */
export function serviceSpec(raw: Json, ref: Refs): Json {
  const s = rendered(raw, String(raw.name)) as Json;
  const task = first(s.task_spec);
  const c = first(task.container_spec);
  const h = c.healthcheck ? first(c.healthcheck) : undefined;
  const res = first(task.resources);
  const rp = first(task.restart_policy);
  const pl = first(task.placement);
  const ep = first(s.endpoint_spec);
  return {
    Name: s.name,
    Labels: labels(s.labels),
    TaskTemplate: {
      ContainerSpec: {
        Image: c.image,
        Labels: labels(c.labels),
        Command: c.command,
        Args: c.args,
        Env: Object.entries((c.env ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`),
        User: c.user,
        ReadOnly: c.read_only === true,
        CapabilityDrop: c.cap_drop,
        CapabilityAdd: c.cap_add,
        StopSignal: c.stop_signal,
        StopGracePeriod: nanos(c.stop_grace_period),
        Healthcheck: h ? { Test: h.test, Interval: nanos(h.interval), Timeout: nanos(h.timeout), Retries: h.retries, StartPeriod: nanos(h.start_period) } : undefined,
        Mounts: list(c.mounts).map((m) => ({ Type: m.type, Target: m.target, Source: m.source, ReadOnly: m.read_only === true })),
        // resource_docker_service_structures.go:929-950: like secrets, with config_id / config_name.
        Configs: list(c.configs).map((x) => ({ File: { Name: x.file_name, UID: x.file_uid ?? "0", GID: x.file_gid ?? "0", Mode: x.file_mode ?? 0o444 }, ConfigID: ref(x.config_id), ConfigName: ref(x.config_name) })),
        Secrets: list(c.secrets).map((x) => ({ File: { Name: x.file_name, UID: x.file_uid ?? "0", GID: x.file_gid ?? "0", Mode: x.file_mode ?? 0o444 }, SecretID: ref(x.secret_id), SecretName: ref(x.secret_name) })),
      },
      Resources: {
        Limits: { NanoCPUs: first(res.limits).nano_cpus, MemoryBytes: first(res.limits).memory_bytes },
        Reservations: { NanoCPUs: first(res.reservation).nano_cpus, MemoryBytes: first(res.reservation).memory_bytes },
      },
      RestartPolicy: { Condition: rp.condition, Delay: nanos(rp.delay), MaxAttempts: rp.max_attempts, Window: nanos(rp.window) },
      Placement: { Constraints: pl.constraints, Preferences: list(pl.prefs).map((p) => ({ Spread: { SpreadDescriptor: p } })), MaxReplicas: pl.max_replicas },
      LogDriver: task.log_driver ? { Name: first(task.log_driver).name, Options: first(task.log_driver).options } : undefined,
      Networks: list(task.networks_advanced).map((n) => ({ Target: ref(n.name), Aliases: n.aliases })),
    },
    Mode: { Replicated: { Replicas: first(first(s.mode).replicated).replicas } },
    UpdateConfig: updateConfig(first(s.update_config)),
    RollbackConfig: updateConfig(first(s.rollback_config)),
    EndpointSpec: { Mode: ep.mode, Ports: list(ep.ports).map((p) => ({ Name: p.name, Protocol: p.protocol, TargetPort: p.target_port, PublishedPort: p.published_port, PublishMode: p.publish_mode })) },
  };
}

/** The local node's Swarm state (`inactive`, `active`, …). */
export async function swarmState(): Promise<string> {
  return String((await api("GET", "/info")).json?.Swarm?.LocalNodeState ?? "unknown");
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Whether the swarm's control plane answers (`GET /nodes` lists this node) within `seconds`;
 * undefined when it does, else the last error. Right after an init — above all one that follows a
 * leave — the manager's gRPC client may still be closing ("grpc: the client connection is
 * closing"); seen here when one jest run left and initialised the swarm several times, and a swarm
 * can stay "active" in that state.
 */
async function managerProblem(seconds: number): Promise<string | undefined> {
  let last = "";
  for (let i = 0; i < seconds * 2; i++) {
    const nodes = await api("GET", "/nodes", undefined, { allow: [500, 503] });
    if (nodes.status === 200 && Array.isArray(nodes.json) && (nodes.json as unknown[]).length > 0) return undefined;
    last = `HTTP ${nodes.status}: ${nodes.body.toString("utf8").slice(0, 200).trim()}`;
    await pause(500);
  }
  return last;
}

/**
 * Makes the engine a one-node swarm; returns whether this call initialised it. A node left
 * half-way (pending, error, locked, or "active" with a manager that does not answer) is left and
 * initialised again.
 */
export async function ensureSwarm(): Promise<boolean> {
  const state = await swarmState();
  if (state === "active" && (await managerProblem(10)) === undefined) return false;
  if (state !== "inactive") await leaveSwarm();
  await api("POST", "/swarm/init", { ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1:2377" });
  const problem = await managerProblem(30);
  if (problem) throw new Error(`the one-node swarm did not become ready within 30 s of docker swarm init (${problem})`);
  return true;
}

/** `docker swarm leave --force`, then waits until the node reports inactive. */
export async function leaveSwarm(): Promise<void> {
  // A busy manager may time out a leave ("context deadline exceeded"); it is retried.
  for (let i = 0; i < 3; i++) {
    const res = await api("POST", "/swarm/leave?force=true", undefined, { allow: [500, 503] });
    if (res.status !== 500) break;
    if (i === 2) throw new Error(`POST /swarm/leave?force=true: HTTP 500: ${res.body.toString("utf8").slice(0, 200)}`);
    await pause(2000);
  }
  for (let i = 0; i < 60 && (await swarmState()) !== "inactive"; i++) await pause(500);
}

/** What the stand-in created, by Terraform address, for references and clean-up. */
export interface SwarmCreated {
  readonly ids: Map<string, { id: string; name: string }>;
  readonly services: Map<string, string>;
}

/**
 * Removes, by name, what an earlier run of the same stack left on the engine (a run stopped before
 * its afterAll, on an engine and swarm that outlived it): the stack's services first, then its
 * secrets, configs and networks once no task holds them. Every name here is the test's own (its
 * app names are unique to these suites). Throws, naming them, when something still holds them.
 */
export async function removeSwarmLeftovers(json: Json): Promise<string[]> {
  const names = (t: string): string[] => Object.values((json.resource?.[t] ?? {}) as Record<string, Json>).map((b) => String(b.name));
  const removed: string[] = [];
  for (const n of names("docker_service")) {
    if ((await api("DELETE", `/services/${encodeURIComponent(n)}`, undefined, { allow: [404] })).status < 400) removed.push(`service ${n}`);
  }
  const kinds = [["secrets", "docker_secret"], ["configs", "docker_config"], ["networks", "docker_network"]] as const;
  let left = kinds.flatMap(([kind, type]) => names(type).map((name) => ({ kind, name })));
  // Gone means no longer listed under its name. Tasks of a removed service leave asynchronously,
  // and what they used is refused until then; an overlay network stays listed for up to half a
  // minute after that while its DELETE answers "network <id> not found" (HTTP 500, then 404).
  const listed = async (o: (typeof left)[number]): Promise<boolean> => {
    const found = (await api("GET", `/${o.kind}?filters=${encodeURIComponent(JSON.stringify({ name: [o.name] }))}`)).json as unknown as Json[];
    return found.some((x) => (x.Name ?? x.Spec?.Name) === o.name);
  };
  for (let i = 0; i < 90 && left.length; i++) {
    if (i) await pause(1000);
    const still: typeof left = [];
    for (const o of left) {
      if (!(await listed(o))) continue;
      if (i === 0) removed.push(`${o.kind.slice(0, -1)} ${o.name}`);
      await api("DELETE", `/${o.kind}/${encodeURIComponent(o.name)}`, undefined, { allow: [400, 403, 404, 409, 500] });
      still.push(o);
    }
    left = still;
  }
  if (left.length) throw new Error(`cleanup before apply: ${left.map((o) => `${o.kind.slice(0, -1)} ${o.name}`).join(", ")} still there 90 s after its removal; something this test did not create holds it`);
  return removed;
}

/**
 * Applies a synthesized stack's networks, secrets and services (create), with variable values for
 * the secrets, after removing what an earlier run of the same stack left (printed when there was any).
 */
export async function applySwarmStack(json: Json, vars: Record<string, string>): Promise<SwarmCreated> {
  const leftovers = await removeSwarmLeftovers(json);
  if (leftovers.length) process.stderr.write(`engine test: removed what an earlier run left on the engine: ${leftovers.join(", ")}\n`);
  const created: SwarmCreated = { ids: new Map(), services: new Map() };
  const ref: Refs = (r) => {
    const m = /^\$\{(docker_\w+\.[^.]+)\.(id|name)\}$/.exec(r);
    if (!m) return r;
    const hit = created.ids.get(m[1]);
    if (!hit) throw new Error(`unresolved reference ${r}`);
    return m[2] === "id" ? hit.id : hit.name;
  };
  for (const [id, n] of Object.entries((json.resource?.docker_network ?? {}) as Record<string, Json>)) {
    const body = { Name: n.name, Driver: n.driver, Internal: n.internal === true, Attachable: n.attachable === true, Options: n.options ?? {}, Labels: labels(n.labels), IPAM: { Driver: "default", Config: list(n.ipam_config).map((c) => ({ Subnet: c.subnet })) }, CheckDuplicate: true };
    const res = await api("POST", "/networks/create", body);
    created.ids.set(`docker_network.${id}`, { id: String(res.json!.Id), name: n.name });
  }
  for (const [id, s] of Object.entries((json.resource?.docker_secret ?? {}) as Record<string, Json>)) {
    const v = /^\$\{base64encode\(var\.([A-Za-z0-9_]+)\)\}$/.exec(String(s.data))?.[1];
    if (!v || vars[v] === undefined) throw new Error(`docker_secret.${id}: no value for its variable`);
    const res = await api("POST", "/secrets/create", { Name: s.name, Labels: labels(s.labels), Data: Buffer.from(vars[v]).toString("base64") });
    created.ids.set(`docker_secret.${id}`, { id: String(res.json!.ID), name: s.name });
  }
  for (const [id, c] of Object.entries((json.resource?.docker_config ?? {}) as Record<string, Json>)) await createConfig(created, id, c);
  for (const [id, s] of Object.entries((json.resource?.docker_service ?? {}) as Record<string, Json>)) {
    const res = await api("POST", "/services/create", serviceSpec(s, ref));
    created.services.set(`docker_service.${id}`, String(res.json!.ID));
    created.ids.set(`docker_service.${id}`, { id: String(res.json!.ID), name: s.name });
  }
  return created;
}

/** resource_docker_config.go: POST /configs/create with the (already base64) `data`; no Update (every field ForceNew). */
export async function createConfig(created: SwarmCreated, id: string, c: Json): Promise<void> {
  const res = await api("POST", "/configs/create", { Name: c.name, Labels: labels(c.labels), Data: c.data });
  created.ids.set(`docker_config.${id}`, { id: String(res.json!.ID), name: c.name });
}

/** An in-place update of one docker_service (what Terraform does on a release bump). */
export async function updateService(created: SwarmCreated, address: string, body: Json): Promise<void> {
  const id = created.services.get(address)!;
  const current = (await api("GET", `/services/${id}`)).json!;
  const ref: Refs = (r) => {
    const m = /^\$\{(docker_\w+\.[^.]+)\.(id|name)\}$/.exec(r);
    if (!m) return r;
    const hit = created.ids.get(m[1])!;
    return m[2] === "id" ? hit.id : hit.name;
  };
  await api("POST", `/services/${id}/update?version=${current.Version.Index}`, serviceSpec(body, ref));
}

/** Polls a service until its UpdateStatus reaches one of `states` (bounded), returning the final state and message. */
export async function waitUpdateState(id: string, states: readonly string[], timeoutMs: number): Promise<{ state: string; message: string }> {
  const end = Date.now() + timeoutMs;
  let last = { state: "none", message: "" };
  while (Date.now() < end) {
    const s = (await api("GET", `/services/${id}`)).json!;
    last = { state: String(s.UpdateStatus?.State ?? "none"), message: String(s.UpdateStatus?.Message ?? "") };
    if (states.includes(last.state)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`service ${id}: UpdateStatus still "${last.state}" (${last.message}) after ${timeoutMs / 1000} s`);
}

/** Polls until `replicas` tasks of a service run (the converge_config wait of Create), bounded. */
export async function waitRunning(id: string, replicas: number, timeoutMs: number): Promise<Json[]> {
  const end = Date.now() + timeoutMs;
  let running: Json[] = [];
  while (Date.now() < end) {
    const tasks = (await api("GET", `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [id], "desired-state": ["running"] }))}`)).json as unknown as Json[];
    running = tasks.filter((t) => t.Status?.State === "running");
    if (running.length >= replicas) return running;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`service ${id}: ${running.length} of ${replicas} tasks running after ${timeoutMs / 1000} s`);
}

/** Removes what was created: services first (secrets and networks in use cannot be removed), then the rest. */
export async function destroySwarmStack(created: SwarmCreated): Promise<void> {
  for (const id of created.services.values()) await api("DELETE", `/services/${id}`, undefined, { allow: [404] });
  // Tasks go away asynchronously; networks and secrets are refused while a task still uses them.
  for (let i = 0; i < 30; i++) {
    let left = 0;
    for (const [address, { id }] of created.ids) {
      if (address.startsWith("docker_service.")) continue;
      const path = address.startsWith("docker_secret.") ? `/secrets/${id}` : address.startsWith("docker_config.") ? `/configs/${id}` : `/networks/${id}`;
      const res = await api("DELETE", path, undefined, { allow: [404, 400, 403, 409, 500] });
      if (res.status >= 400 && res.status !== 404) left++;
    }
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
