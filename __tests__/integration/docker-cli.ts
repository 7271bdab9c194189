import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/*
 * Applies a synthesized Docker stack with the docker CLI, for tests only. The Terraform Docker
 * provider cannot be downloaded on envkit's build machines, so this harness stands in for it:
 * it maps each docker_network / docker_volume / docker_container attribute envkit emits to the
 * equivalent `docker` flag. It proves the runtime settings work on a real engine; it does not
 * prove what the provider would do with them.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function docker(args: string[], opts: { allowFail?: boolean } = {}): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 }).trim() };
  } catch (e) {
    if (!opts.allowFail) throw new Error(`docker ${args.join(" ")} failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    return { code: (e as { status?: number }).status ?? 1, out: `${(e as { stdout?: string }).stdout ?? ""}${(e as { stderr?: Buffer }).stderr?.toString() ?? ""}` };
  }
}

/** Whether a Docker engine answers here. */
export function engineAvailable(): boolean {
  return docker(["info", "--format", "{{.ServerVersion}}"], { allowFail: true }).code === 0;
}

/** What applyStack created; `graceSeconds`: each container's `destroy_grace_seconds`, used by destroy. */
export interface Created {
  containers: string[];
  networks: string[];
  volumes: string[];
  graceSeconds?: Record<string, number>;
  /** Containers in the order they were started (dependencies first). */
  started?: string[];
}

const ref = (s: string): { type: string; id: string; attr: string } | undefined => {
  const m = /^\$\{([a-z_]+)\.([^.]+)\.([a-z_]+)\}$/.exec(s);
  return m ? { type: m[1], id: m[2], attr: m[3] } : undefined;
};

/**
 * Creates networks and volumes, then creates every container, copies its `upload`s into it (as the
 * provider does, before start; `${var.x}` contents come from `vars`, like TF_VAR_x), and starts the
 * containers in depends_on order, waiting for health where `wait` is set.
 * Returns what to remove.
 */
export function applyStack(json: Json, vars: Record<string, string> = {}): Created {
  const res = json.resource as Record<string, Record<string, Json>>;
  const nameOf = (s: string): string => {
    const r = ref(s);
    if (!r) return s;
    const body = res[r.type][r.id];
    return r.attr === "image_id" ? body.name : body[r.attr];
  };
  const created: Created = { containers: [], networks: [], volumes: [], graceSeconds: {} };
  for (const n of Object.values(res.docker_network ?? {})) {
    docker(["network", "create", "--driver", n.driver, ...(n.internal ? ["--internal"] : []), "--subnet", n.ipam_config[0].subnet, ...n.labels.flatMap((l: Json) => ["--label", `${l.label}=${l.value}`]), n.name]);
    created.networks.push(n.name);
  }
  for (const v of Object.values(res.docker_volume ?? {})) {
    docker(["volume", "create", ...v.labels.flatMap((l: Json) => ["--label", `${l.label}=${l.value}`]), v.name]);
    created.volumes.push(v.name);
  }
  for (const c of Object.values(res.docker_container ?? {})) {
    const nets = (c.networks_advanced as Json[]).map((n) => ({ name: nameOf(n.name), aliases: (n.aliases as string[] | undefined) ?? [] }));
    const h = c.healthcheck as Json | undefined;
    const args = [
      "create",
      "--name", c.name,
      "--user", c.user,
      ...(c.read_only ? ["--read-only"] : []),
      ...Object.entries((c.tmpfs as Record<string, string>) ?? {}).flatMap(([p, o]) => ["--tmpfs", `${p}:${o}`]),
      ...((c.capabilities?.drop as string[]) ?? []).flatMap((cap) => ["--cap-drop", cap]),
      ...((c.capabilities?.add as string[]) ?? []).flatMap((cap) => ["--cap-add", cap]),
      ...((c.security_opts as string[]) ?? []).flatMap((o) => ["--security-opt", o]),
      ...(c.privileged ? ["--privileged"] : []),
      "--memory", `${c.memory}m`,
      "--memory-swap", `${c.memory_swap}m`,
      "--cpu-period", String(c.cpu_period),
      "--cpu-quota", String(c.cpu_quota),
      ...(c.stop_timeout !== undefined ? ["--stop-timeout", String(c.stop_timeout)] : []),
      "--restart", c.max_retry_count !== undefined ? `${c.restart}:${c.max_retry_count}` : c.restart,
      "--log-driver", c.log_driver,
      ...Object.entries(c.log_opts as Record<string, string>).flatMap(([k, v]) => ["--log-opt", `${k}=${v}`]),
      ...(c.labels as Json[]).flatMap((l) => ["--label", `${l.label}=${l.value}`]),
      ...((c.env as string[]) ?? []).flatMap((e) => ["--env", e]),
      ...(h ? ["--health-cmd", h.test[0] === "CMD-SHELL" ? h.test[1] : JSON.stringify(h.test.slice(1)), "--health-interval", h.interval, "--health-timeout", h.timeout, "--health-retries", String(h.retries), "--health-start-period", h.start_period] : []),
      ...((c.ports as Json[]) ?? []).flatMap((p) => ["--publish", `${p.ip}:${p.external}:${p.internal}/${p.protocol}`]),
      ...((c.mounts as Json[]) ?? []).flatMap((m) => ["--mount", `type=${m.type},source=${nameOf(m.source)},target=${m.target}${m.read_only ? ",readonly" : ""}`]),
      "--network", nets[0].name,
      ...nets[0].aliases.flatMap((a) => ["--network-alias", a]),
      ...(c.entrypoint ? ["--entrypoint", c.entrypoint[0]] : []),
      nameOf(c.image),
      ...(c.entrypoint ? c.entrypoint.slice(1) : []),
      ...((c.command as string[]) ?? []),
    ];
    docker(args);
    created.containers.push(c.name);
    if (c.destroy_grace_seconds !== undefined) created.graceSeconds![c.name] = c.destroy_grace_seconds;
    for (const u of (c.upload as Json[] | undefined) ?? []) {
      const v = /^\$\{var\.([a-z0-9_]+)\}$/.exec(u.content);
      const content = v ? vars[v[1]] : u.content;
      if (content === undefined) throw new Error(`no value for ${u.content} (pass it in vars, as TF_VAR_ would)`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-upload-"));
      const file = path.join(dir, path.basename(u.file));
      fs.writeFileSync(file, content, { mode: parseInt(u.permissions ?? "0644", 8) });
      fs.chmodSync(file, parseInt(u.permissions ?? "0644", 8));
      docker(["cp", file, `${c.name}:${u.file}`]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const n of nets.slice(1)) docker(["network", "connect", ...n.aliases.flatMap((a) => ["--alias", a]), n.name, c.name]);
  }
  // Start order as Terraform and the provider give it: a container is created after everything in
  // its depends_on, and `wait = true` blocks until the container is healthy (up to wait_timeout).
  const byAddress = new Map(Object.entries(res.docker_container ?? {}).map(([id, c]) => [`docker_container.${id}`, c]));
  const started = new Set<string>();
  const start = (address: string): void => {
    if (started.has(address)) return;
    started.add(address);
    const c = byAddress.get(address)!;
    for (const d of (c.depends_on as string[] | undefined) ?? []) if (byAddress.has(d)) start(d);
    docker(["start", c.name]);
    if (c.wait && waitHealthy(c.name, c.wait_timeout ?? 60) !== "healthy") throw new Error(`${c.name} did not become healthy within ${c.wait_timeout ?? 60} s (wait = true)`);
    created.started ??= [];
    created.started.push(c.name);
  };
  for (const address of byAddress.keys()) start(address);
  return created;
}

/**
 * Removes what applyStack created (ignores what is already gone), as the provider's Delete does: a
 * container with `destroy_grace_seconds` > 0 is stopped with that timeout first, any other is
 * force-removed at once (SIGKILL). Returns each container's exit code when it was stopped first.
 */
export function destroy(created: Created): Record<string, number> {
  const exitCodes: Record<string, number> = {};
  for (const c of created.containers) {
    const grace = created.graceSeconds?.[c] ?? 0;
    if (grace > 0 && docker(["stop", "-t", String(grace), c], { allowFail: true }).code === 0) {
      exitCodes[c] = Number(docker(["inspect", "--format", "{{.State.ExitCode}}", c]).out);
    }
    docker(["rm", "-f", c], { allowFail: true });
  }
  for (const n of created.networks) docker(["network", "rm", n], { allowFail: true });
  for (const v of created.volumes) docker(["volume", "rm", "-f", v], { allowFail: true });
  return exitCodes;
}

/** Waits until a container's health check reports healthy (or fails after `seconds`). */
export function waitHealthy(name: string, seconds: number): string {
  let status = "";
  for (let i = 0; i < seconds * 2; i++) {
    status = docker(["inspect", "--format", "{{.State.Health.Status}}", name]).out;
    if (status === "healthy") return status;
    execFileSync("sleep", ["0.5"]);
  }
  return status;
}
