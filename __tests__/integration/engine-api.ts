import { execFileSync } from "node:child_process";
import * as http from "node:http";

/*
 * Applies a synthesized Docker stack by sending the Docker Engine API the requests that the
 * Terraform provider kreuzwerker/docker v3.6.2 sends, for tests only (no provider binary can be
 * downloaded on envkit's build machines). Every request cites the provider source it mirrors:
 *   D funcs  = internal/provider/resource_docker_container_funcs.go   (tag v3.6.2)
 *   D ctr    = internal/provider/resource_docker_container.go
 *   D struct = internal/provider/resource_docker_container_structures.go
 *   D net    = internal/provider/resource_docker_network_funcs.go, D netschema = resource_docker_network.go
 *   D vol    = internal/provider/resource_docker_volume.go
 *   D img    = internal/provider/resource_docker_image_funcs.go
 *   M28      = moby/moby client at v28.1.1 (the client library D's go.mod pins)
 * Terraform's part is imitated too: `${…}` references are resolved (`$${` is a literal `${`),
 * resources are created as soon as everything they reference or depend on exists (in parallel,
 * as Terraform's graph walk does) and destroyed dependants first.
 *
 * Any attribute this file does not map makes it throw, so an attribute envkit starts emitting
 * cannot be silently ignored here.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SOCKET = (process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock").replace(/^unix:\/\//, "");
/** Highest API version the provider's client speaks (M28 api/common.go DefaultVersion). */
const CLIENT_MAX_API = "1.49";

/** One Engine API answer. */
export interface EngineResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON when it is JSON, else undefined. */
  readonly json: Json | undefined;
}

/** Sends one raw request over the engine's unix socket (no API version prefix). */
export function rawRequest(method: string, path: string, body?: Buffer | Json, contentType = "application/json"): Promise<EngineResponse> {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: SOCKET, method, path, headers: payload ? { "Content-Type": contentType, "Content-Length": payload.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const buf = Buffer.concat(chunks);
          let json: Json | undefined;
          try {
            json = /json/.test(res.headers["content-type"] ?? "") && buf.length ? (JSON.parse(buf.toString("utf8")) as Json) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.setTimeout(180_000, () => req.destroy(new Error(`${method} ${path}: no answer from the engine within 180 s`)));
    if (payload) req.write(payload);
    req.end();
  });
}

let version: string | undefined;
const lessThan = (a: string, b: string): boolean => {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  return x[0] !== y[0] ? x[0] < y[0] : x[1] < y[1];
};
/**
 * The API version, negotiated as the provider's client does (D config.go:137
 * WithAPIVersionNegotiation: the server's `API-Version` from /_ping, capped at the client's own).
 */
async function apiVersion(): Promise<string> {
  if (!version) {
    const ping = await rawRequest("GET", "/_ping");
    const server = String(ping.headers["api-version"] ?? "1.24");
    version = lessThan(server, CLIENT_MAX_API) ? server : CLIENT_MAX_API;
  }
  return version;
}

/** One versioned Engine API call; throws on an HTTP error unless the status is in `allow`. */
export async function api(method: string, path: string, body?: Buffer | Json, opts: { allow?: number[]; contentType?: string } = {}): Promise<EngineResponse> {
  const res = await rawRequest(method, `/v${await apiVersion()}${path}`, body, opts.contentType);
  if (res.status >= 400 && !(opts.allow ?? []).includes(res.status)) {
    throw new Error(`${method} ${path}: HTTP ${res.status}: ${res.json?.message ?? res.body.toString("utf8").slice(0, 500)}`);
  }
  return res;
}

/** Whether a Docker engine answers on the socket. */
export async function engineAvailable(): Promise<boolean> {
  try {
    return (await rawRequest("GET", "/_ping")).status === 200;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// tar: what Go's archive/tar writes for the provider's header (D funcs:510-524)

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

/**
 * A tar archive of one regular file, byte-compatible with Go's archive/tar for the provider's
 * `tar.Header{Name, Mode, Size, ModTime}` (D funcs:510-515): USTAR, uid/gid 0 and empty owner
 * names (the header sets none), ModTime rounded to the second, then the two zero end blocks.
 */
export function tarOneFile(name: string, mode: number, content: Buffer, mtime = new Date()): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: "${name}" is longer than 100 bytes; this writer does not split names (Go would use the USTAR prefix or PAX)`);
  const h = Buffer.alloc(512, 0);
  const put = (s: string, at: number, len: number): void => void h.write(s, at, len, "ascii");
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8); // uid
  put(octal(0, 8), 116, 8); // gid
  put(octal(content.length, 12), 124, 12);
  put(octal(Math.round(mtime.getTime() / 1000), 12), 136, 12);
  put("        ", 148, 8); // checksum field counts as spaces while summing
  put("0", 156, 1); // regular file
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  const pad = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([h, content, pad, Buffer.alloc(1024, 0)]);
}

// ---------------------------------------------------------------------------------------------
// Terraform's part: references, escapes, order

/** What apply created, in creation order, for destroy (filled as it goes, so a failed apply can be undone). */
export interface Created {
  /** Terraform address → what the engine knows it by, with what Delete needs. */
  readonly containers: { address: string; name: string; id: string; graceSeconds: number; removeVolumes: boolean; dependsOn: string[] }[];
  readonly networks: { address: string; name: string; id: string }[];
  readonly volumes: { address: string; name: string }[];
  /** Container names in the order they were started (never-started containers are absent). */
  readonly started: string[];
  /** Container names in the order they were created. */
  readonly createdOrder: string[];
  /** Exit codes of the containers apply attached to (jobs), by name. */
  readonly exitCodes: Map<string, number>;
}

export function emptyCreated(): Created {
  return { containers: [], networks: [], volumes: [], started: [], createdOrder: [], exitCodes: new Map() };
}

/** Attributes the provider computes, readable through `${type.key.attr}` once the resource exists. */
type Outputs = Map<string, Record<string, string>>;

const REF = /^\$\{([a-z_]+)\.([A-Za-z0-9_-]+)(?:\.([a-z_]+))?\}$/;

/** Terraform's template semantics for one JSON string: one whole reference, or a literal. */
function literal(s: string, where: string, outputs: Outputs, vars: Record<string, string>): string {
  const m = REF.exec(s);
  if (m) {
    const [, type, key, attr] = m;
    if (type === "var") {
      if (vars[key] === undefined) throw new Error(`${where}: no value for var.${key} (pass it in vars, as TF_VAR_${key} would)`);
      return vars[key];
    }
    const out = outputs.get(`${type}.${key}`);
    if (!out) throw new Error(`${where}: ${s} is referenced before ${type}.${key} exists (the stand-in's ordering is wrong)`);
    if (!attr || out[attr] === undefined) throw new Error(`${where}: ${s}: the stand-in does not map attribute "${attr}" of ${type}`);
    return out[attr];
  }
  // Anything else with an unescaped template opener is an expression this stand-in cannot evaluate.
  const unescaped = s.replace(/\$\$\{|%%\{/g, "");
  if (/\$\{|%\{/.test(unescaped)) throw new Error(`${where}: "${s}" is a Terraform expression the stand-in does not evaluate`);
  return s.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{");
}

/** Resolves every string in a resource body; returns the resolved copy and the addresses it references. */
function resolveBody(body: unknown, where: string, outputs: Outputs, vars: Record<string, string>): unknown {
  if (typeof body === "string") return literal(body, where, outputs, vars);
  if (Array.isArray(body)) return body.map((v, i) => resolveBody(v, `${where}[${i}]`, outputs, vars));
  if (body && typeof body === "object") return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === "//" || k === "lifecycle" || k === "depends_on" ? v : resolveBody(v, `${where}.${k}`, outputs, vars)]));
  return body;
}

/** Addresses a resource body references (`${type.key.attr}`) or depends on. */
function dependencies(body: Json): string[] {
  const out = new Set<string>((body.depends_on as string[] | undefined) ?? []);
  const visit = (v: unknown, key?: string): void => {
    if (key === "//" || key === "lifecycle") return;
    if (typeof v === "string") {
      const m = REF.exec(v);
      if (m && m[1] !== "var") out.add(`${m[1]}.${m[2]}`);
    } else if (Array.isArray(v)) v.forEach((x) => visit(x));
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(body);
  return [...out];
}

/** Throws when `body` has a key outside `known` (at `where`): unmapped attributes fail loudly. */
function only(body: Json, known: readonly string[], where: string): void {
  for (const k of Object.keys(body)) if (k !== "//" && !known.includes(k)) throw new Error(`${where}.${k}: the engine stand-in does not map this attribute; map it in __tests__/integration/engine-api.ts (with the provider source it follows) before emitting it`);
}

/** A nested block as cdktf writes it: an object, or a one-element list. */
const block = (v: unknown): Json | undefined => (Array.isArray(v) ? (v[0] as Json | undefined) : (v as Json | undefined));
const labelMap = (labels: Json[] | undefined, where: string): Record<string, string> | undefined => {
  if (!labels?.length) return undefined;
  labels.forEach((l, i) => only(l, ["label", "value"], `${where}[${i}]`));
  return Object.fromEntries(labels.map((l) => [String(l.label), String(l.value)]));
};

/** Go's time.ParseDuration for the units envkit emits, in nanoseconds (the API's unit). */
function goDuration(s: string, where: string): number {
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== s) throw new Error(`${where}: "${s}" is not a Go duration (the provider would silently send 0, D funcs:143-150)`);
  return Math.round(parts.reduce((a, p) => a + Number(p[1]) * unit[p[2]], 0));
}

// ---------------------------------------------------------------------------------------------
// The provider's requests, per resource type

const CONTAINER_KEYS = [
  "name", "image", "entrypoint", "command", "env", "user", "read_only", "tmpfs", "capabilities", "security_opts", "privileged",
  "memory", "memory_swap", "cpu_period", "cpu_quota", "healthcheck", "wait", "wait_timeout", "restart", "max_retry_count",
  "log_driver", "log_opts", "labels", "networks_advanced", "network_mode", "ports", "mounts", "upload", "destroy_grace_seconds",
  "stop_timeout", "must_run", "start", "remove_volumes", "depends_on", "lifecycle", "provider", "cpu_shares", "sysctls", "stop_signal", "attach",
  "cgroup_parent",
] as const;

/** The ContainerCreate body D funcs:49-418 builds from a (resolved) docker_container. */
export function containerCreateBody(c: Json, where: string): Json {
  only(c, CONTAINER_KEYS, where);
  if (c.lifecycle) only(c.lifecycle, ["replace_triggered_by", "prevent_destroy", "create_before_destroy", "ignore_changes", "postcondition"], `${where}.lifecycle`);
  const config: Json = { Image: c.image, Hostname: "", Domainname: "", Tty: false, OpenStdin: false, StopSignal: c.stop_signal ?? "" }; // D funcs:64-72 (StopSignal: d.Get("stop_signal"), :70)
  if (c.stop_timeout !== undefined) config.StopTimeout = c.stop_timeout; // D funcs:59-62
  if (c.env?.length) config.Env = [...c.env]; // D funcs:74-76
  if (c.command?.length) {
    if ((c.command as string[]).some((a) => a === "")) throw new Error(`${where}.command: values for command may not be empty (D funcs:80-84)`);
    config.Cmd = [...c.command]; // D funcs:78-79
  }
  if (c.entrypoint?.length) config.Entrypoint = [...c.entrypoint]; // D funcs:87-89
  if (c.user) config.User = c.user; // D funcs:91-93
  const exposed: Json = {};
  const bindings: Json = {};
  ((c.ports as Json[] | undefined) ?? []).forEach((p, i) => {
    // D struct:138-168 (ip defaults to 0.0.0.0 and protocol to tcp: D ctr ports schema)
    only(p, ["internal", "external", "ip", "protocol"], `${where}.ports[${i}]`);
    const key = `${p.internal}/${p.protocol ?? "tcp"}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external !== undefined ? String(p.external) : "" });
  });
  if (Object.keys(exposed).length) config.ExposedPorts = exposed; // D funcs:95-103
  const labels = labelMap(c.labels, `${where}.labels`);
  if (labels) config.Labels = labels; // D funcs:130-132
  const hc = block(c.healthcheck);
  if (hc) {
    // D funcs:134-159: `test` verbatim (["CMD", …] exec form, ["CMD-SHELL", "…"] through /bin/sh).
    only(hc, ["test", "interval", "timeout", "start_period", "start_interval", "retries"], `${where}.healthcheck`);
    config.Healthcheck = {
      Test: [...hc.test],
      Interval: goDuration(hc.interval ?? "0s", `${where}.healthcheck.interval`),
      Timeout: goDuration(hc.timeout ?? "0s", `${where}.healthcheck.timeout`),
      StartPeriod: goDuration(hc.start_period ?? "0s", `${where}.healthcheck.start_period`),
      StartInterval: goDuration(hc.start_interval ?? "0s", `${where}.healthcheck.start_interval`),
      Retries: hc.retries ?? 0,
    };
  }
  const mounts = ((c.mounts as Json[] | undefined) ?? []).map((m, i) => {
    // D funcs:161-243; volume_options would fail on an engine below API 1.45 (D funcs:214-220), so it is not mapped.
    only(m, ["type", "source", "target", "read_only", "tmpfs_options", "bind_options"], `${where}.mounts[${i}]`);
    const out: Json = { Type: m.type, Target: m.target, Source: m.source ?? "", ReadOnly: m.read_only === true };
    const bo = block(m.bind_options);
    if (m.type === "bind" && bo) {
      only(bo, ["propagation"], `${where}.mounts[${i}].bind_options`);
      out.BindOptions = bo.propagation ? { Propagation: bo.propagation } : {};
    }
    const to = block(m.tmpfs_options);
    if (m.type === "tmpfs" && to) {
      only(to, ["size_bytes", "mode"], `${where}.mounts[${i}].tmpfs_options`);
      out.TmpfsOptions = { ...(to.size_bytes !== undefined ? { SizeBytes: to.size_bytes } : {}), ...(to.mode !== undefined ? { Mode: to.mode } : {}) };
    }
    return out;
  });
  const host: Json = {
    // D funcs:245-259
    Privileged: c.privileged === true,
    PublishAllPorts: false,
    RestartPolicy: { Name: c.restart ?? "no", MaximumRetryCount: c.max_retry_count ?? 0 },
    Runtime: "",
    Mounts: mounts,
    AutoRemove: false,
    ReadonlyRootfs: c.read_only === true,
    LogConfig: { Type: c.log_driver ?? "json-file" },
  };
  if (c.tmpfs && Object.keys(c.tmpfs).length) host.Tmpfs = { ...c.tmpfs }; // D funcs:261-263
  if (Object.keys(bindings).length) host.PortBindings = bindings; // D funcs:265-267
  const caps = block(c.capabilities);
  if (caps) {
    only(caps, ["add", "drop"], `${where}.capabilities`);
    host.CapAdd = [...(caps.add ?? [])]; // D funcs:281-288
    host.CapDrop = [...(caps.drop ?? [])];
  }
  if (c.security_opts?.length) host.SecurityOpt = [...c.security_opts]; // D funcs:306-308
  if (c.memory) host.Memory = c.memory * 1024 * 1024; // D funcs:310-312 (MB)
  if (c.memory_swap) host.MemorySwap = c.memory_swap > 0 ? c.memory_swap * 1024 * 1024 : c.memory_swap; // D funcs:314-320
  if (c.cpu_period) host.CpuPeriod = c.cpu_period; // D funcs:337-345 (cpus is never emitted: it panics in 3.6.2)
  if (c.cpu_quota) host.CpuQuota = c.cpu_quota;
  if (c.cpu_shares) host.CpuShares = c.cpu_shares; // D funcs:347-349
  if (c.sysctls && Object.keys(c.sysctls).length) host.Sysctls = { ...c.sysctls }; // D funcs:371-373
  if (c.log_opts && Object.keys(c.log_opts).length) host.LogConfig.Config = { ...c.log_opts }; // D funcs:355-357
  if (c.cgroup_parent) host.CgroupParent = c.cgroup_parent; // D funcs:406-408
  host.NetworkMode = c.network_mode ?? "bridge"; // D funcs:359-362 (schema default "bridge", D ctr:733-738)
  host.Init = false; // D funcs:410-411: always sent, false unless set
  return { ...config, HostConfig: host, NetworkingConfig: {} };
}

/** The upload tars D funcs:456-533 sends, one per `upload`, each extracted at `/`. */
function uploadTars(c: Json, where: string): { file: string; tar: Buffer }[] {
  return ((c.upload as Json[] | undefined) ?? []).map((u, i) => {
    only(u, ["file", "content", "content_base64", "source", "permissions", "executable"], `${where}.upload[${i}]`);
    const set = ["content", "content_base64", "source"].filter((k) => u[k] !== undefined && u[k] !== "");
    if (set.length !== 1) throw new Error(`${where}.upload[${i}]: exactly one of content, content_base64, source must be set (D funcs:464-477)`);
    if (u.source !== undefined) throw new Error(`${where}.upload[${i}].source: not mapped (the provider reads it on the machine running Terraform, D funcs:486-492)`);
    const content = u.content !== undefined ? Buffer.from(String(u.content), "utf8") : Buffer.from(String(u.content_base64), "base64");
    // D funcs:500-509: permissions (octal) wins, else executable → 0744, else 0644.
    const mode = u.permissions ? parseInt(String(u.permissions), 8) : u.executable ? 0o744 : 0o644;
    return { file: String(u.file), tar: tarOneFile(String(u.file), mode, content) };
  });
}

async function createContainer(address: string, c: Json, created: Created): Promise<string> {
  const where = address;
  const body = containerCreateBody(c, where);
  const tars = uploadTars(c, where);
  // D funcs:420: ContainerCreate (M28 client/container_create.go: POST /containers/create?name=).
  const res = await api("POST", `/containers/create?name=${encodeURIComponent(c.name)}`, body);
  const id = String(res.json!.Id);
  created.containers.push({ address, name: c.name, id, graceSeconds: c.destroy_grace_seconds ?? 0, removeVolumes: c.remove_volumes ?? true, dependsOn: dependencies(c) });
  created.createdOrder.push(c.name);
  const nets = (c.networks_advanced as Json[] | undefined) ?? [];
  if (nets.length) {
    // D funcs:427-432: leave the default bridge ("is not connected" is ignored) ...
    const r = await api("POST", "/networks/bridge/disconnect", { Container: id, Force: false }, { allow: [403, 404, 500] });
    if (r.status >= 400 && !/is not connected to the network bridge/.test(String(r.json?.message))) throw new Error(`${where}: Unable to disconnect the default network: ${r.json?.message}`);
    // ... then join every networks_advanced with its aliases (D funcs:434-453).
    for (const [i, n] of nets.entries()) {
      only(n, ["name", "aliases", "ipv4_address", "ipv6_address"], `${where}.networks_advanced[${i}]`);
      const endpoint = { Aliases: [...(n.aliases ?? [])], IPAMConfig: { IPv4Address: n.ipv4_address ?? "", IPv6Address: n.ipv6_address ?? "" } };
      await api("POST", `/networks/${encodeURIComponent(n.name)}/connect`, { Container: id, EndpointConfig: endpoint });
    }
  }
  for (const t of tars) {
    // D funcs:526-531: CopyToContainer(id, "/", tar, {}) → M28 client/container_copy.go:37-61:
    // PUT /containers/{id}/archive?path=/&noOverwriteDirNonDir=true, no copyUIDGID.
    const r = await api("PUT", `/containers/${id}/archive?path=%2F&noOverwriteDirNonDir=true`, t.tar, { contentType: "application/x-tar", allow: [400, 403, 404, 500] });
    if (r.status !== 200) throw new Error(`${where}: Unable to upload volume content (${t.file}): HTTP ${r.status}: ${r.json?.message ?? r.body.toString("utf8")}`);
  }
  if (c.start ?? true) {
    // D funcs:535-541: ContainerStart only when `start` (schema default true, D ctr:60-65).
    await api("POST", `/containers/${id}/start`);
    created.started.push(c.name);
    if (c.wait) await waitHealthy(id, c.wait_timeout ?? 60, where); // D funcs:542-580
  }
  if (c.attach) {
    // D funcs:583-630: ContainerWait(id, "not-running") (M28 client/container_wait.go: POST
    // /containers/{id}/wait?condition=not-running), no check of the status code; then Read sets
    // exit_code from the inspected state (D funcs:690-692).
    await api("POST", `/containers/${id}/wait?condition=not-running`);
    const exitCode = Number((await api("GET", `/containers/${id}/json`)).json!.State.ExitCode);
    created.exitCodes.set(c.name, exitCode);
    // Terraform then checks the resource's postconditions. Only the one envkit emits is understood.
    for (const pc of (c.lifecycle?.postcondition as Json[] | undefined) ?? []) {
      if (pc.condition !== "${self.exit_code == 0}") throw new Error(`${where}.lifecycle.postcondition: the engine stand-in evaluates only "\${self.exit_code == 0}", not ${JSON.stringify(pc.condition)}`);
      if (exitCode !== 0) throw new Error(`${where}: Resource postcondition failed: ${pc.error_message}`);
    }
  }
  return id;
}

/**
 * D funcs:542-580: inspect every second until Health.Status is "healthy"; no health check is an
 * error; an unhealthy container is not fail-fast, only the timeout ends the wait.
 */
export async function waitHealthy(id: string, timeoutSeconds: number, where = id): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const info = (await api("GET", `/containers/${id}/json`)).json!;
    if (!info.State?.Health) throw new Error(`${where}: you have supplied a 'wait' argument, but the container does not have a healthcheck defined`);
    if (info.State.Health.Status === "healthy") return;
    if (Date.now() > deadline) {
      const log = ((info.State.Health.Log as Json[] | undefined) ?? []).slice(-2).map((l) => `exit ${l.ExitCode}: ${String(l.Output).trim().slice(0, 300)}`);
      throw new Error(`${where}: container failed to be in healthy state within ${timeoutSeconds} s (last probes: ${log.join(" | ") || "none"})`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Applies a stack: images (must exist locally, D img:319-338 looks them up before pulling; nothing
 * is pulled here), networks, volumes and containers, each as soon as what it needs exists.
 * `vars` stands for TF_VAR_<name>. Fills `created` as it goes. With `replace` (addresses), only
 * those are created, after destroyStack removed them, as Terraform's destroy-then-create
 * replacement does; every other resource must exist already and is read from the engine (refresh).
 */
export async function applyStack(json: Json, vars: Record<string, string> = {}, created: Created = emptyCreated(), opts: { replace?: readonly string[] } = {}): Promise<Created> {
  only(json, ["provider", "resource", "terraform", "variable", "output", "locals"], "stack");
  const res = (json.resource ?? {}) as Record<string, Record<string, Json>>;
  for (const t of Object.keys(res)) if (!["docker_image", "docker_network", "docker_volume", "docker_container"].includes(t)) throw new Error(`resource type ${t}: the engine stand-in does not map it`);
  const outputs: Outputs = new Map();
  const bodies = new Map<string, Json>();
  for (const [t, byKey] of Object.entries(res)) for (const [k, b] of Object.entries(byKey)) bodies.set(`${t}.${k}`, b);

  const createOne = async (address: string, raw: Json): Promise<void> => {
    const [type] = address.split(".");
    if (opts.replace && !opts.replace.includes(address)) return refresh(address, raw);
    const b = resolveBody(raw, address, outputs, vars) as Json;
    if (type === "docker_image") {
      only(b, ["name", "keep_locally", "provider", "lifecycle", "depends_on"], address);
      // D img:319-335 findImage: a local image is used as is.
      const r = await api("GET", `/images/${encodeURIComponent(b.name)}/json`, undefined, { allow: [404] });
      if (r.status === 404) throw new Error(`${address}: image ${b.name} is not present locally and this stand-in does not pull (build it offline first)`);
      outputs.set(address, { name: b.name, image_id: String(r.json!.Id) }); // image_id = the image's ID (D img:111)
    } else if (type === "docker_network") {
      only(b, ["name", "driver", "internal", "ipam_config", "labels", "options", "attachable", "ipv6", "provider", "lifecycle", "depends_on"], address);
      // D net:24-70: labels, driver, options, internal, attachable, ipv6, IPAM (ipam_driver defaults to "default", D netschema).
      const ipam = ((b.ipam_config as Json[] | undefined) ?? []).map((p, i) => {
        only(p, ["subnet", "ip_range", "gateway", "aux_address"], `${address}.ipam_config[${i}]`);
        return { Subnet: p.subnet ?? "", IPRange: p.ip_range ?? "", Gateway: p.gateway ?? "", AuxAddress: { ...(p.aux_address ?? {}) } }; // D net:123-144
      });
      const body: Json = { Name: b.name, Driver: b.driver, Internal: b.internal === true, Attachable: b.attachable === true, IPAM: { Driver: "default", Config: ipam } };
      const labels = labelMap(b.labels, `${address}.labels`);
      if (labels) body.Labels = labels;
      if (b.options) body.Options = { ...b.options };
      if (b.ipv6 !== undefined) body.EnableIPv6 = b.ipv6;
      // M28 client/network_create.go: CheckDuplicate = true below API 1.44.
      if (lessThan(await apiVersion(), "1.44")) body.CheckDuplicate = true;
      const r = await api("POST", "/networks/create", body);
      created.networks.push({ address, name: b.name, id: String(r.json!.Id) });
      outputs.set(address, { name: b.name, id: String(r.json!.Id) });
    } else if (type === "docker_volume") {
      only(b, ["name", "labels", "driver", "driver_opts", "provider", "lifecycle", "depends_on"], address);
      // D vol:80-100
      const body: Json = { Name: b.name };
      const labels = labelMap(b.labels, `${address}.labels`);
      if (labels) body.Labels = labels;
      if (b.driver) body.Driver = b.driver;
      if (b.driver_opts) body.DriverOpts = { ...b.driver_opts };
      await api("POST", "/volumes/create", body);
      created.volumes.push({ address, name: b.name });
      outputs.set(address, { name: b.name, id: b.name }); // id = the volume's name (D vol:106)
    } else {
      const id = await createContainer(address, b, created);
      outputs.set(address, { name: b.name, id });
    }
  };

  /** Reads an existing resource's computed attributes by its name, as a refresh would. */
  const refresh = async (address: string, raw: Json): Promise<void> => {
    const type = address.split(".")[0];
    const name = literal(String(raw.name), `${address}.name`, outputs, vars);
    const path = { docker_image: `/images/${encodeURIComponent(name)}/json`, docker_network: `/networks/${encodeURIComponent(name)}`, docker_volume: `/volumes/${encodeURIComponent(name)}`, docker_container: `/containers/${encodeURIComponent(name)}/json` }[type]!;
    const r = await api("GET", path, undefined, { allow: [404] });
    if (r.status === 404) throw new Error(`${address}: ${name} is not on the engine, so it cannot be kept (not in replace)`);
    outputs.set(address, { name, id: type === "docker_volume" ? name : String(r.json!.Id), ...(type === "docker_image" ? { image_id: String(r.json!.Id) } : {}) });
  };

  // Terraform's walk: each resource starts once everything it references or depends on is done.
  const done = new Map<string, Promise<void>>();
  const visit = (address: string, path: string[]): Promise<void> => {
    if (path.includes(address)) throw new Error(`dependency cycle: ${[...path, address].join(" → ")}`);
    const known = done.get(address);
    if (known) return known;
    const body = bodies.get(address);
    if (!body) throw new Error(`${path[path.length - 1]}: depends on ${address}, which the stack does not define`);
    const p = Promise.all(dependencies(body).map((d) => visit(d, [...path, address]))).then(() => createOne(address, body));
    done.set(address, p);
    return p;
  };
  const all = [...bodies.keys()].map((a) => visit(a, []));
  const results = await Promise.allSettled(all);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return created;
}

/**
 * Destroys what apply created, dependants first, as the provider's Deletes do. A container: stop
 * with destroy_grace_seconds (0 when unset, i.e. SIGKILL at once), force-remove with its anonymous
 * volumes, wait until gone (D funcs:929-975). Networks are removed, retrying while endpoints are
 * still attached (D net:192-213); volumes force-removed, retrying while in use (D vol:136-175).
 * Returns each container's exit code after the stop (started containers only). Ignores what is gone.
 */
export async function destroyStack(created: Created): Promise<Record<string, number>> {
  const exitCodes: Record<string, number> = {};
  const byAddress = new Map(created.containers.map((c) => [c.address, c]));
  const dependants = (address: string) => created.containers.filter((c) => c.dependsOn.includes(address));
  const gone = new Map<string, Promise<void>>();
  const remove = (address: string): Promise<void> => {
    const known = gone.get(address);
    if (known) return known;
    const c = byAddress.get(address)!;
    const p = Promise.all(dependants(address).map((d) => remove(d.address))).then(async () => {
      const stop = await api("POST", `/containers/${c.id}/stop?t=${c.graceSeconds}`, undefined, { allow: [304, 404] });
      if (stop.status !== 404 && created.started.includes(c.name)) {
        const info = await api("GET", `/containers/${c.id}/json`, undefined, { allow: [404] });
        if (info.json) exitCodes[c.name] = Number(info.json.State.ExitCode);
      }
      await api("DELETE", `/containers/${c.id}?${c.removeVolumes ? "v=1&" : ""}force=1`, undefined, { allow: [404] });
      await api("POST", `/containers/${c.id}/wait?condition=not-running`, undefined, { allow: [404] });
    });
    gone.set(address, p);
    return p;
  };
  await Promise.all(created.containers.map((c) => remove(c.address)));
  await removeNamed({ networks: created.networks.map((n) => n.name), volumes: created.volumes.map((v) => v.name) });
  return exitCodes;
}

/** Removes containers, networks and volumes by name (leftovers of an earlier run); ignores what is missing. */
export async function removeNamed(names: { containers?: string[]; networks?: string[]; volumes?: string[] }): Promise<void> {
  await Promise.all((names.containers ?? []).map((c) => api("DELETE", `/containers/${encodeURIComponent(c)}?v=1&force=1`, undefined, { allow: [404] })));
  const retry = async (f: () => Promise<EngineResponse>, busy: RegExp): Promise<void> => {
    for (let i = 0; i < 30; i++) {
      const r = await f();
      if (r.status < 400 || r.status === 404) return;
      if (!busy.test(String(r.json?.message))) throw new Error(`cleanup: HTTP ${r.status}: ${r.json?.message}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
    throw new Error(`cleanup: still busy after 30 s (${busy.source}); something the stand-in did not create is attached`);
  };
  // On a swarm a name can resolve to an overlay's stale ID for a moment (HTTP 500 "network <id>
  // not found" while the network is still there under its name): tried again, like a busy one.
  // And an overlay whose DELETE already answers 404 can stay listed (and its name taken) for up to
  // half a minute after its last task left: gone means no longer listed.
  const listed = async (n: string): Promise<boolean> => ((await api("GET", `/networks?filters=${encodeURIComponent(JSON.stringify({ name: [n] }))}`)).json as unknown as Json[]).some((x) => x.Name === n);
  const removeNetwork = async (n: string): Promise<void> => {
    for (let i = 0; i < 60; i++) {
      await retry(() => api("DELETE", `/networks/${encodeURIComponent(n)}`, undefined, { allow: [403, 404, 409, 500] }), /active endpoints|network \S+ not found/);
      if (!(await listed(n))) return;
      await new Promise((res) => setTimeout(res, 1000));
    }
    throw new Error(`cleanup: network ${n} still listed 60 s after its removal`);
  };
  await Promise.all((names.networks ?? []).map(removeNetwork));
  await Promise.all((names.volumes ?? []).map((v) => retry(() => api("DELETE", `/volumes/${encodeURIComponent(v)}?force=1`, undefined, { allow: [404, 409, 500] }), /in use/)));
}

/** Names of every container, network and volume a stack defines (for cleaning up before a run). */
export function namesIn(json: Json): { containers: string[]; networks: string[]; volumes: string[] } {
  const names = (t: string): string[] => Object.values((json.resource?.[t] ?? {}) as Record<string, Json>).map((b) => String(b.name));
  return { containers: names("docker_container"), networks: names("docker_network"), volumes: names("docker_volume") };
}

/**
 * Runs a command in a running container (Engine API exec, as `docker exec` does) and returns its
 * exit code and combined output. A test probe, not a provider request.
 */
export async function exec(container: string, cmd: string[], user?: string): Promise<{ code: number; out: string }> {
  const made = await api("POST", `/containers/${encodeURIComponent(container)}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) });
  const id = String(made.json!.Id);
  const started = await api("POST", `/exec/${id}/start`, { Detach: false, Tty: false });
  // Without a TTY the output is multiplexed: 8-byte frame headers (stream, 0, 0, 0, size BE32).
  const buf = started.body;
  let out = "";
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString("utf8");
    i += 8 + size;
  }
  const info = await api("GET", `/exec/${id}/json`);
  return { code: Number(info.json!.ExitCode), out: out.trim() };
}

/** Inspects a container (GET /containers/{name}/json). */
export async function inspect(container: string): Promise<Json> {
  return (await api("GET", `/containers/${encodeURIComponent(container)}/json`)).json!;
}

/**
 * Why the engine tests cannot run here (empty when they can): no engine answers, or it cannot
 * create an internal bridge network with a subnet (some sandboxes forbid bridges). Synchronous,
 * so a test file can decide between describe and describe.skip; runs the probe in a child node.
 */
export function engineProblemsSync(): string[] {
  const script = `
    const http = require("node:http");
    const call = (method, path, body) => new Promise((ok, fail) => {
      const data = body ? JSON.stringify(body) : undefined;
      const req = http.request({ socketPath: ${JSON.stringify(SOCKET)}, method, path, headers: data ? { "Content-Type": "application/json" } : {} }, (res) => { res.resume(); res.on("end", () => ok(res.statusCode)); });
      req.on("error", fail); req.setTimeout(10000, () => req.destroy(new Error("timeout"))); if (data) req.write(data); req.end();
    });
    (async () => {
      if ((await call("GET", "/_ping").catch(() => 0)) !== 200) return console.log("no Docker engine answers on ${SOCKET} (install docker.io and start dockerd)");
      const name = "envkit-probe-" + process.pid;
      const made = await call("POST", "/networks/create", { Name: name, Driver: "bridge", Internal: true, IPAM: { Config: [{ Subnet: "10.252.0.0/24" }] } });
      await call("DELETE", "/networks/" + name);
      if (made !== 201) console.log("the engine cannot create bridge networks here (HTTP " + made + ")");
    })();`;
  const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 30_000 }).trim();
  return out ? [out] : [];
}

// ---------------------------------------------------------------------------------------------
// Terraform's plan and apply of a changed configuration (an update of what applyStack created)

/** What a second apply did: Terraform's actions per address. */
export interface UpdatePlan {
  /** Created because they are new. */
  readonly added: string[];
  /** Replaced (a changed body, a replaced reference or a replace_triggered_by), and in which order. */
  readonly replaced: { address: string; order: "create-before-destroy" | "destroy-before-create" }[];
  /** Destroyed because the configuration no longer has them. */
  readonly removed: string[];
  /** Left alone. */
  readonly unchanged: string[];
}

/** Every resource body of a stack by address. */
function bodiesOf(json: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const [t, byKey] of Object.entries((json.resource ?? {}) as Record<string, Record<string, Json>>)) for (const [k, b] of Object.entries(byKey)) out.set(`${t}.${k}`, b);
  return out;
}

/**
 * Terraform's plan for `after` over the state `before` left, for the resources this stand-in
 * maps. Every docker_container/docker_network/docker_volume argument envkit changes between two
 * syntheses is ForceNew (D ctr, resource_docker_network.go, resource_docker_volume.go: no Update
 * for networks and volumes; the container's in-place fields are `restart`, `memory`, … which
 * envkit never changes alone), so a changed body is a replacement; docker_image is replaced when
 * its `name` changes (D img:36-41). A resource is also replaced when one it references by a
 * computed attribute (`id`, `image_id`) is replaced (the new value is unknown at plan, and the
 * referring argument is ForceNew), or when a `replace_triggered_by` address is replaced.
 * create_before_destroy applies to a resource that sets it and, as Terraform propagates it, to
 * every resource a create-before-destroy resource depends on.
 */
export function planUpdate(before: Json, after: Json): UpdatePlan {
  const [old, now] = [bodiesOf(before), bodiesOf(after)];
  const replaced = new Set<string>();
  for (const [a, b] of now) {
    const o = old.get(a);
    if (!o) continue;
    const changed = a.startsWith("docker_image.") ? o.name !== b.name : JSON.stringify({ ...o, depends_on: undefined, lifecycle: undefined }) !== JSON.stringify({ ...b, depends_on: undefined, lifecycle: undefined });
    if (changed) replaced.add(a);
  }
  // References to computed attributes of replaced resources, and replace_triggered_by, to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [a, b] of now) {
      if (replaced.has(a) || !old.has(a)) continue;
      const refs = JSON.stringify({ ...b, lifecycle: undefined, depends_on: undefined }).match(/\$\{[a-z_]+\.[A-Za-z0-9_-]+\.(id|image_id)\}/g) ?? [];
      const triggers = ((b.lifecycle?.replace_triggered_by as string[] | undefined) ?? []).map((t) => t.replace(/\.[a-z_]+$/, ""));
      if ([...refs.map((r) => r.slice(2, -1).replace(/\.[a-z_]+$/, "")), ...triggers].some((d) => replaced.has(d))) {
        replaced.add(a);
        grew = true;
      }
    }
  }
  const cbd = new Set<string>([...now].filter(([, b]) => b.lifecycle?.create_before_destroy === true).map(([a]) => a));
  for (let grew = true; grew; ) {
    grew = false;
    for (const a of [...cbd]) {
      for (const d of dependencies(now.get(a)!)) {
        if (cbd.has(d)) continue;
        cbd.add(d);
        grew = true;
      }
    }
  }
  return {
    added: [...now.keys()].filter((a) => !old.has(a)),
    replaced: [...replaced].map((address) => ({ address, order: cbd.has(address) ? "create-before-destroy" : "destroy-before-create" })),
    removed: [...old.keys()].filter((a) => !now.has(a)),
    unchanged: [...now.keys()].filter((a) => old.has(a) && !replaced.has(a)),
  };
}

/**
 * Applies `after` over what applying `before` created, as `terraform apply` would: first the
 * destroy-before-create replacements (dependants first), then every new and replacing resource
 * (in Terraform's dependency order, the rest refreshed by name), then the deposed
 * create-before-destroy instances and the removed resources (dependants first). Docker images
 * are never removed (envkit keeps them locally). Returns the plan and what now exists.
 */
export async function updateStack(before: Json, after: Json, created: Created, vars: Record<string, string> = {}): Promise<{ plan: UpdatePlan; created: Created; timings: { createdMs: number; totalMs: number } }> {
  const t0 = Date.now();
  const plan = planUpdate(before, after);
  const gone = (addresses: string[]): Created => ({
    ...emptyCreated(),
    containers: created.containers.filter((c) => addresses.includes(c.address)),
    networks: created.networks.filter((n) => addresses.includes(n.address)),
    volumes: created.volumes.filter((v) => addresses.includes(v.address)),
    started: created.started,
  });
  const first = plan.replaced.filter((r) => r.order === "destroy-before-create").map((r) => r.address);
  if (first.length) await destroyStack(gone(first));
  const made = emptyCreated();
  await applyStack(after, vars, made, { replace: [...plan.added, ...plan.replaced.map((r) => r.address)] });
  const createdMs = Date.now() - t0;
  const last = [...plan.replaced.filter((r) => r.order === "create-before-destroy").map((r) => r.address), ...plan.removed];
  // Deposed instances are the old ones: select them by the old ids (the new ones share the address).
  if (last.length) {
    const old = gone(last);
    await destroyStack({ ...old, containers: old.containers.filter((c) => !made.containers.some((m) => m.id === c.id)) });
  }
  const replacedOrRemoved = new Set([...plan.removed, ...plan.replaced.map((r) => r.address)]);
  const keep = <T extends { address: string }>(xs: readonly T[]) => xs.filter((x) => !replacedOrRemoved.has(x.address));
  const next: Created = {
    containers: [...keep(created.containers), ...made.containers],
    networks: [...keep(created.networks), ...made.networks],
    volumes: [...keep(created.volumes), ...made.volumes],
    started: [...created.started, ...made.started],
    exitCodes: new Map([...created.exitCodes, ...made.exitCodes]),
    createdOrder: [...created.createdOrder, ...made.createdOrder],
  };
  return { plan, created: next, timings: { createdMs, totalMs: Date.now() - t0 } };
}
