import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { REFERENCE_APP, cli, dockerEnv, k8sEnv, miniApp, referenceEnv, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** miniApp with a backup on db (postgres) and a plain file service `files` with an archive backup. */
function app(dbBackup: Json | null = { method: "postgres" }, extra: Json = {}): AppConfig {
  const base = miniApp();
  return {
    ...base,
    services: {
      ...base.services,
      db: { ...base.services.db, ...(dbBackup ? { backup: dbBackup } : {}) },
      ...extra,
    },
  } as AppConfig;
}
const issues = (a: AppConfig, envs: Record<string, EnvironmentConfig>): string[] => resolve(a, envs).issues.map((i) => `${i.path}: ${i.message}`);
const swarmEnv = (over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({ target: "swarm", release: { web: "1", api: "1", db: "1" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over });
const k8s = (over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => k8sEnv({ policy: { enforcement: "mandatory" }, services: { web: { replicas: 2 }, api: { replicas: 2 } }, ...over });

describe("services.<svc>.backup: configuration", () => {
  it("defaults per environment name: daily at 02:00, 30 days in prod, 7 days elsewhere, to a protected volume of 10Gi", () => {
    const prod = resolveOne(app(), "prod", k8s()).model.services.find((s) => s.name === "db")!.backup!;
    const test = resolveOne(app(), "test", dockerEnv()).model.services.find((s) => s.name === "db")!.backup!;
    expect(prod).toMatchObject({ method: "postgres", schedule: "0 2 * * *", retention: { days: 30 }, to: { kind: "volume", name: "backups", sizeBytes: 10 * 1024 ** 3 }, port: { port: 5432 } });
    expect(test.retention).toEqual({ days: 7 });
  });

  it("backup: null in an environment removes the application's backup (dev backs up on demand)", () => {
    const dev = resolveOne(app(), "dev", dockerEnv({ services: { db: { backup: null } } })).model;
    expect(dev.services.find((s) => s.name === "db")!.backup).toBeUndefined();
  });

  it("an environment's destination replaces the application's (one kind only after layering)", () => {
    const m = resolveOne(app({ method: "postgres", to: { volume: "dumps" } }), "test", dockerEnv({ services: { db: { backup: { to: { hostPath: "/srv/backups" } } } } })).model;
    expect(m.services.find((s) => s.name === "db")!.backup!.to).toEqual({ kind: "hostPath", path: "/srv/backups" });
  });

  it("refuses an archive of a live database volume and names the dump method", () => {
    expect(issues(app({ method: "archive" }), { test: dockerEnv() })).toContain(
      'services.db.backup.method: "db" runs postgres (image docker.io/library/postgres): a tar of its live volume is not a consistent backup (files change while tar reads them); use method: postgres',
    );
  });

  it("refuses a dump method that the database's image cannot answer", () => {
    expect(issues(app({ method: "mysql" }), { test: dockerEnv() })).toContain('services.db.backup.method: "db" runs postgres (image docker.io/library/postgres), so a mysql dump cannot read it; use method: postgres');
  });

  it("refuses an archive without a volume to read, and asks which volume when there are several", () => {
    const files = { image: "ghcr.io/acme/files", kind: "stateful", volumes: [{ name: "a", path: "/a" }, { name: "b", path: "/b" }], backup: { method: "archive" } };
    expect(issues(app(null, { files }), { test: dockerEnv({ release: { web: "1", api: "1", db: "1", files: "1" } }) })).toContain('services.files.backup.volume: "files" has 2 volumes; name the one to archive: a, b');
  });

  it("refuses a backup written onto the volume it protects", () => {
    expect(issues(app({ method: "postgres", to: { volume: "data" } }), { test: dockerEnv() })).toContain('services.db.backup.to.volume: "data" is also a data volume of "db"; a backup must not live on the volume it protects: name another volume, e.g. "backups"');
  });

  it("refuses two destinations in one file", () => {
    expect(issues(app({ method: "postgres", to: { volume: "b", hostPath: "/srv/b" } }), { test: dockerEnv() })).toContain("services.db.backup.to: set one destination, not volume and hostPath");
  });

  it("refuses an invalid schedule with the parser's message", () => {
    expect(issues(app({ method: "postgres", schedule: "0 25 * * *" }), { test: dockerEnv() }).some((m) => m.startsWith('services.db.backup.schedule: "0 25 * * *": hour 25 is out of range; allowed values are 0-23'))).toBe(true);
  });

  it("refuses a retention that is neither a count nor days", () => {
    expect(issues(app({ method: "postgres", retention: "4w" }), { test: dockerEnv() }).some((m) => m.startsWith("services.db.backup.retention:") && m.includes('write a count (e.g. 14) or an age in days (e.g. "30d")'))).toBe(true);
  });

  it("refuses destinations a target cannot reach: hostPath on Kubernetes, a claim on Docker and on Swarm", () => {
    expect(issues(app({ method: "postgres", to: { hostPath: "/srv/b" } }), { prod: k8s() })).toContain("services.db.backup.to.hostPath: a backup to hostPath is not available on Kubernetes; use volume or claim or objectStore");
    expect(issues(app({ method: "postgres", to: { claim: "shared-backups" } }), { test: dockerEnv() })).toContain("services.db.backup.to.claim: a backup to claim is not available on Docker; use volume or hostPath");
    expect(issues(app({ method: "postgres", to: { claim: "shared-backups" } }), { swarm: swarmEnv() })).toContain("services.db.backup.to.claim: a backup to claim is not available on Swarm; use volume or hostPath");
    expect(issues(app(), { swarm: swarmEnv() })).toEqual([]);
  });

  it("refuses object-store credentials or an unpinned uploader: the secret is a reference, the image a digest", () => {
    const to = { objectStore: { bucket: "acme-backups", secret: "backup-s3", image: "amazon/aws-cli:2" } };
    expect(issues(app({ method: "postgres", to }), { prod: k8s() }).some((m) => m.startsWith("services.db.backup.to.objectStore.image: must be an image pinned by digest"))).toBe(true);
  });
});

describe("backups on Kubernetes", () => {
  const prod = (): Json => synthJson([resolveOne(app(), "prod", k8s())]).get("prod")!;
  const cron = (json: Json): Json => resourcesOf(json, "kubernetes_cron_job_v1").find((c) => c.metadata.name === "db-backup")!;

  it("a CronJob that never overlaps, skips runs it missed by an hour, retries twice and keeps three of each finished Job, on UTC", () => {
    expect(cron(prod()).spec).toMatchObject({ schedule: "0 2 * * *", timezone: "Etc/UTC", concurrency_policy: "Forbid", starting_deadline_seconds: 3600, successful_jobs_history_limit: 3, failed_jobs_history_limit: 3, job_template: { spec: { backoff_limit: 2 } } });
  });

  it("its pod is restricted like every envkit pod (non-root, no escalation, no capability, read-only root, RuntimeDefault seccomp) and never restarts in place", () => {
    const pod = cron(prod()).spec.job_template.spec.template.spec;
    expect(pod.restart_policy).toBe("Never");
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, run_as_user: "70", seccomp_profile: { type: "RuntimeDefault" } });
    expect(pod.container[0].security_context).toMatchObject({ allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] }, privileged: false });
    expect(pod.automount_service_account_token).toBe(false);
  });

  it("reads credentials only from the service's own ConfigMap and secrets, never as literals", () => {
    // The reference db reads its password from the db_password secret (POSTGRES_PASSWORD_FILE).
    const json = synthJson([referenceEnv("prod")]).get("prod")!;
    const pod = cron(json).spec.job_template.spec.template.spec;
    expect(pod.container[0].env_from).toEqual([{ config_map_ref: { name: expect.stringMatching(/^\$\{kubernetes_config_map_v1\.kubernetes_db_config_[A-Z0-9]+\.metadata\[0\]\.name\}$/) } }]);
    expect(pod.volume.find((v: Json) => v.name === "secrets").projected[0].sources[0].secret[0].name).toBe("db-password");
    // The password is read from the mounted file at run time: the only PGPASSWORD assignment.
    const job = String(pod.container[0].env[0].value);
    expect(job.match(/PGPASSWORD=[^;]*/g)).toEqual(['PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"']);
  });

  it("writes to a claim that Terraform refuses to destroy and does not wait for binding", () => {
    const claim = resourcesOf(prod(), "kubernetes_persistent_volume_claim_v1").find((c) => c.metadata.name === "db-backups")!;
    expect(claim).toMatchObject({ lifecycle: { prevent_destroy: true }, wait_until_bound: false, spec: { resources: { requests: { storage: "10Gi" } } } });
  });

  it("lets the job's pods reach only the database's port: egress to db, and db's ingress from the job", () => {
    const pols = resourcesOf(prod(), "kubernetes_network_policy_v1");
    const egress = pols.find((p) => p.metadata.name === "db-backup-allow-egress")!;
    expect(egress.spec.egress).toEqual([{ to: [{ pod_selector: { match_labels: { "app.kubernetes.io/name": "db", "app.kubernetes.io/instance": "demo-prod" } } }], ports: [{ port: "5432", protocol: "TCP" }] }]);
    const ingress = pols.find((p) => p.metadata.name === "db-allow-backup")!;
    expect(ingress.spec.ingress[0].from).toEqual([{ pod_selector: { match_labels: { "app.kubernetes.io/name": "db-backup", "app.kubernetes.io/instance": "demo-prod" } } }]);
  });

  it("the job's pods carry their own labels, so the database's Service and PDB never select them", () => {
    const labels = cron(prod()).spec.job_template.spec.template.metadata.labels;
    expect(labels["app.kubernetes.io/name"]).toBe("db-backup");
  });

  it("escapes the generated shell for Terraform (${ in the job is not a template)", () => {
    const env = cron(prod()).spec.job_template.spec.template.spec.container[0].env[0];
    expect(env.name).toBe("ENVKIT_BACKUP_JOB");
    expect(env.value).toContain('$${POSTGRES_USER:-postgres}');
    expect(env.value.replace(/\$\$\{/g, "")).not.toMatch(/\$\{/);
  });

  it("reference prod backs up db and cache daily with 30 days' retention", () => {
    const m = referenceEnv("prod").model;
    expect(m.services.filter((s) => s.backup).map((s) => [s.name, s.backup!.method, s.backup!.schedule, s.backup!.retention])).toEqual([
      ["db", "postgres", "0 2 * * *", { days: 30 }],
      ["cache", "redis", "0 2 * * *", { days: 30 }],
    ]);
    expect(referenceEnv("dev").model.services.some((s) => s.backup)).toBe(false);
  });
});

describe("backups on Docker", () => {
  const test = (a = app()): Json => synthJson([resolveOne(a, "test", dockerEnv())]).get("test")!;
  const job = (json: Json): Json => resourcesOf(json, "docker_container").find((c) => c.name === "demo-test-db-backup")!;

  it("a hardened scheduler container from the database's own image: its user, read-only root, all capabilities dropped, no-new-privileges, no engine socket", () => {
    const json = test();
    const c = job(json);
    const db = resourcesOf(json, "docker_container").find((x) => x.name === "demo-test-db-1")!;
    expect(c).toMatchObject({ image: db.image, user: "70:70", read_only: true, capabilities: { drop: ["ALL"] }, security_opts: ["no-new-privileges:true"], must_run: false });
    expect(JSON.stringify(c.mounts)).not.toMatch(/docker\.sock/);
  });

  it("joins only a network it shares with the database, where db answers to its name", () => {
    const json = test();
    const nets = resourcesOf(json, "docker_network").find((n) => n.name === "demo-test-db-backup")!;
    expect(nets.internal).toBe(true);
    expect(job(json).networks_advanced).toEqual([{ name: expect.stringContaining("docker_network") }]);
    const db = resourcesOf(json, "docker_container").find((x) => x.name === "demo-test-db-1")!;
    expect((db.networks_advanced as Json[]).some((n) => String(n.name).includes("db-backup") && (n.aliases as string[]).includes("db"))).toBe(true);
  });

  it("writes to a backup volume Terraform refuses to destroy, mounted on the service's data folder (its owner) with no root helper", () => {
    const json = test();
    const vol = resourcesOf(json, "docker_volume").find((v) => v.name === "demo-test-db-backups")!;
    expect(vol.lifecycle).toEqual({ prevent_destroy: true });
    expect(job(json).mounts).toEqual([{ type: "volume", source: expect.stringContaining("demo_test_db_backup_volume"), target: "/var/lib/postgresql/data" }].map((m) => ({ ...m, source: expect.stringContaining("docker_volume") })));
    expect(String(job(json).env.find((e: string) => e.startsWith("ENVKIT_BACKUP_JOB=")))).toContain("f=/var/lib/postgresql/data/db-");
    expect(resourcesOf(json, "docker_container").filter((c) => c.user === "0:0" || c.user === "0")).toEqual([]);
  });

  it("an archive joins no network and mounts the data volume read-only at /source", () => {
    const files = { image: "ghcr.io/acme/files", kind: "stateful", volumes: [{ name: "data", path: "/srv" }], backup: { method: "archive" } };
    const json = synthJson([resolveOne(app(null, { files }), "test", dockerEnv({ release: { web: "1", api: "1", db: "1", files: "1" } }))]).get("test")!;
    const c = resourcesOf(json, "docker_container").find((x) => x.name === "demo-test-files-backup")!;
    expect(c.network_mode).toBe("none");
    expect(c.mounts).toContainEqual({ type: "volume", source: expect.stringContaining("docker_volume"), target: "/source", read_only: true });
    expect(c.mounts).toContainEqual({ type: "volume", source: expect.stringContaining("docker_volume"), target: "/srv" });
  });

  it("a host folder is a bind mount at /backups, and no backup volume is created", () => {
    const json = test(app({ method: "postgres", to: { hostPath: "/srv/backups/shop" } }));
    expect(job(json).mounts).toContainEqual({ type: "bind", source: "/srv/backups/shop", target: "/backups" });
    expect(resourcesOf(json, "docker_volume").some((v) => v.name === "demo-test-db-backups")).toBe(false);
  });
});

describe("backups on Swarm", () => {
  const swarm = (a = app(), over: Partial<EnvironmentConfig> = {}): Json => synthJson([resolveOne(a, "swarm", swarmEnv(over))]).get("swarm")!;
  const job = (json: Json, name = "demo-swarm-db-backup"): Json => resourcesOf(json, "docker_service").find((c) => c.name === name)!;

  it("a replicated service of one task from the database's image running the scheduler, hardened like the database, never two at once", () => {
    const json = swarm();
    const j = job(json);
    const db = resourcesOf(json, "docker_service").find((x) => x.name === "demo-swarm-db")!;
    const spec = j.task_spec.container_spec;
    expect(j.mode).toEqual({ replicated: { replicas: 1 } });
    expect(spec.image).toBe(db.task_spec.container_spec.image);
    expect(spec.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(spec.command[2]).toContain('echo "envkit-backup: schedule 0 2 * * * (UTC)"');
    expect(spec.command[2]).toContain('if sh -c "$ENVKIT_BACKUP_JOB"; then echo ok > /tmp/envkit-backup.status;');
    expect(spec.env.ENVKIT_BACKUP_JOB).toContain("pg_dump -h db -p 5432");
    expect(spec).toMatchObject({ user: "70:70", read_only: true, cap_drop: ["ALL"] });
    expect(spec.healthcheck).toMatchObject({ test: ["CMD-SHELL", "! grep -q failed /tmp/envkit-backup.status 2>/dev/null"], interval: "1m", retries: 1 });
    expect(j.update_config.order).toBe("stop-first");
    expect(j.task_spec.restart_policy.condition).toBe("any");
    expect(JSON.stringify(spec.mounts)).not.toMatch(/docker\.sock/);
  });

  it("runs on the database's node: the same placement as the pinned stateful service (label by default, swarm.nodes when set)", () => {
    const byLabel = swarm();
    expect(job(byLabel).task_spec.placement.constraints).toEqual(["node.labels.envkit.demo.swarm.db == true"]);
    expect(job(byLabel).task_spec.placement.constraints).toEqual(resourcesOf(byLabel, "docker_service").find((x) => x.name === "demo-swarm-db")!.task_spec.placement.constraints);
    const byHost = swarm(app(), { swarm: { nodes: { db: "node-2" }, constraints: ["node.role == worker"] } });
    expect(job(byHost).task_spec.placement.constraints).toEqual(["node.role == worker", "node.hostname == node-2"]);
  });

  it("writes to a named volume of that node mounted on the data folder (its owner), which Terraform never manages, or to a folder of that node", () => {
    const json = swarm();
    expect(job(json).task_spec.container_spec.mounts).toEqual([
      { type: "tmpfs", target: "/tmp" },
      { type: "volume", source: "demo-swarm-db-backups", target: "/var/lib/postgresql/data" },
    ]);
    expect(job(json).task_spec.container_spec.env.ENVKIT_BACKUP_JOB).toContain("f=/var/lib/postgresql/data/db-");
    expect(resourcesOf(json, "docker_volume")).toEqual([]);
    const host = swarm(app({ method: "postgres", to: { hostPath: "/srv/backups/demo" } }));
    expect(job(host).task_spec.container_spec.mounts).toContainEqual({ type: "bind", source: "/srv/backups/demo", target: "/backups" });
  });

  it("a dump joins an internal overlay network shared with the database only; an archive joins one of its own and reads the data volume read-only", () => {
    const json = swarm();
    const net = resourcesOf(json, "docker_network").find((n) => n.name === "demo-swarm-db-backup")!;
    expect(net).toMatchObject({ driver: "overlay", internal: true, attachable: false });
    const netId = `\${docker_network.${Object.entries(json.resource.docker_network as Record<string, Json>).find(([, n]) => n.name === "demo-swarm-db-backup")![0]}.id}`;
    expect(job(json).task_spec.networks_advanced).toEqual([{ name: netId }]);
    const db = resourcesOf(json, "docker_service").find((x) => x.name === "demo-swarm-db")!;
    expect(db.task_spec.networks_advanced).toContainEqual({ name: netId, aliases: ["db"] });
    const files = { image: "ghcr.io/acme/files", kind: "stateful", volumes: [{ name: "data", path: "/srv" }], backup: { method: "archive" } };
    const arch = swarm(app(null, { files }), { release: { web: "1", api: "1", db: "1", files: "1" } });
    const a = job(arch, "demo-swarm-files-backup");
    expect(a.task_spec.container_spec.mounts).toContainEqual({ type: "volume", source: "demo-swarm-files-data", target: "/source", read_only: true });
    const own = resourcesOf(arch, "docker_network").find((n) => n.name === "demo-swarm-files-backup")!;
    expect(own.internal).toBe(true);
    expect(a.task_spec.networks_advanced).toHaveLength(1);
    // Nobody else joins the archive's network.
    const ownId = `\${docker_network.${Object.entries(arch.resource.docker_network as Record<string, Json>).find(([, n]) => n.name === "demo-swarm-files-backup")![0]}.id}`;
    expect(resourcesOf(arch, "docker_service").filter((x) => JSON.stringify(x.task_spec.networks_advanced).includes(ownId)).map((x) => x.name)).toEqual(["demo-swarm-files-backup"]);
  });

  it("refuses a backup of an unpinned stateful service (its backups would follow no node), naming the fix", () => {
    expect(issues(app(), { swarm: swarmEnv({ swarm: { unpinned: ["db"] } }) })).toContain(
      'services.db.backup: on Swarm the backup job runs on the node that holds "db"\'s data and keeps the backups there, and "db" is in swarm.unpinned (it may run on any node); remove "db" from swarm.unpinned, or remove the backup here (backup: null)',
    );
  });

  it("refuses a backup volume for a service without a volume, and names hostPath", () => {
    const cache = { image: "docker.io/library/redis", kind: "stateful", ports: [{ name: "redis", port: 6379 }], backup: { method: "redis" } };
    expect(issues(app(null, { cache }), { swarm: swarmEnv({ release: { web: "1", api: "1", db: "1", cache: "1" } }) })).toContain(
      'services.cache.backup.to.volume: on Swarm a backup volume is mounted on the service\'s data folder (so the engine gives it the folder\'s owner), and "cache" has no volume; back up to a hostPath, or declare the volume',
    );
  });

  it("envkit explain shows where the swarm backup's settings come from (the app's method, the defaults' schedule, retention and volume)", () => {
    const r = cli("explain", "--config", REFERENCE_APP, "--env", "swarm", "services.db.backup");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/services\.db\.backup\.method\s*=\s*"?postgres"?.*app\.yaml:\d+/);
    expect(r.out).toMatch(/services\.db\.backup\.schedule\s*=\s*"?0 2 \* \* \*"?.*default/);
    expect(r.out).toMatch(/services\.db\.backup\.to\.volume/);
  });

  it("the reference swarm environment backs up db and cache, with no ENVK-DAT-001 suppression for them", () => {
    const r = referenceEnv("swarm");
    expect(r.model.services.filter((s) => s.backup).map((s) => [s.name, s.backup!.method])).toEqual([["db", "postgres"], ["cache", "redis"]]);
    // Only the monitoring set's volumes (re-collected metrics, generated configuration) are suppressed, each by scope.
    expect(r.model.suppressions.filter((x) => x.rule === "ENVK-DAT-001").map((x) => x.scope)).toEqual(["prometheus", "alertmanager", "grafana"]);
  });
});

describe("backups on Docker: a volume needs a data folder", () => {
  it("refuses a backup volume for a service without a volume, and names hostPath", () => {
    const cache = { image: "docker.io/library/redis", kind: "stateful", ports: [{ name: "redis", port: 6379 }], backup: { method: "redis" } };
    expect(issues(app(null, { cache }), { test: dockerEnv({ release: { web: "1", api: "1", db: "1", cache: "1" } }) })).toContain(
      'services.cache.backup.to.volume: on Docker a backup volume is mounted on the service\'s data folder (so the engine gives it the folder\'s owner), and "cache" has no volume; back up to a hostPath, or declare the volume',
    );
  });
});

describe("guardrail ENVK-DAT-001", () => {
  const report = (a: AppConfig, env: EnvironmentConfig) => resolve(a, { prod: env }).policy;
  const findings = (a: AppConfig, env: EnvironmentConfig): Json[] => report(a, env).findings.filter((f: Json) => f.rule === "ENVK-DAT-001");

  it("finds a stateful service without a backup in a mandatory environment", () => {
    expect(findings(app(null), k8s()).map((f) => [f.path, f.severity])).toEqual([["services.db.backup", "error"]]);
  });

  it("finds nothing where the service backs up, and nothing in an advisory environment", () => {
    expect(findings(app(), k8s())).toEqual([]);
    expect(findings(app(null), k8s({ policy: { enforcement: "advisory" } }))).toEqual([]);
  });

  it("a suppression with a reason silences it", () => {
    const env = k8s({ policy: { enforcement: "mandatory", suppressions: [{ rule: "ENVK-DAT-001", scope: "db", reason: "backed up by the storage array's nightly snapshots" }] } });
    expect(findings(app(null), env)).toEqual([]);
    expect(report(app(null), env).suppressed.filter((f) => f.rule === "ENVK-DAT-001").map((f) => f.path)).toEqual(["services.db.backup"]);
  });
});
