import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig, EnvironmentConfig, ServiceConfig } from "../../lib/config/schema";
import { Service } from "../../lib/constructs/service";
import { StatefulService } from "../../lib/constructs/stateful-service";
import { App } from "../../lib/facade/cdktf";
import { EnvironmentStack } from "../../stacks/environment-stack";
import { formatIssue } from "../../lib/errors";
import { cli, DIGEST, k8sEnv, resolve, resolveOne, resourcesOf, synthJson, appWith as app, dockerFor as docker, pinnedRelease as pinned, swarmFor as swarm } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any



const k8s = (a: AppConfig, over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => k8sEnv({ release: pinned(Object.keys(a.services)), ...over });

const synth = (a: AppConfig, env: EnvironmentConfig, name = "qa"): Json => synthJson([resolveOne(a, name, env)]).get(name)!;
/** Every error and warning message of resolving one environment, formatted. */
const problems = (a: AppConfig, env: EnvironmentConfig, name = "qa"): string => resolve(a, { [name]: env }).issues.map(formatIssue).join("\n");
const byName = (json: Json, type: string, name: string): Json => {
  const r = resourcesOf(json, type).find((x) => (x.metadata?.name ?? x.name) === name);
  if (!r) throw new Error(`no ${type} ${name}; have ${resourcesOf(json, type).map((x) => x.metadata?.name ?? x.name).join(", ")}`);
  return r;
};
/** The name of a service's first container (a surged set's carry a replacement hash: `<app>-<env>-<svc>-<hash>-1`). */
const containerName = (json: Json, app: string, svc: string): string => {
  const re = new RegExp(`^${app}-qa-${svc}(-[0-9a-f]{8})?-1$`);
  const c = resourcesOf(json, "docker_container").find((x) => re.test(x.name));
  if (!c) throw new Error(`no container of ${svc}; have ${resourcesOf(json, "docker_container").map((x) => x.name).join(", ")}`);
  return c.name;
};
const idOf = (json: Json, type: string, name: string): string => `${type}.${Object.entries(json.resource[type] as Record<string, Json>).find(([, r]) => (r.metadata?.name ?? r.name) === name)![0]}`;

const migration: Partial<ServiceConfig> = { kind: "job", runBefore: ["api"], command: ["migrate", "up"], connections: [{ to: "db", port: "pg" }] };

describe("jobs: a migration that runs before the release that needs it", () => {
  it("Kubernetes: a Job that apply waits for, never restarted in place, and the dependant's workload depends on it", () => {
    const a = app({ migrate: migration });
    const json = synth(a, k8s(a));
    const job = byName(json, "kubernetes_job_v1", "migrate");
    expect(job.wait_for_completion).toBe(true);
    expect(job.spec.template.spec.restart_policy).toBe("Never");
    expect(job.spec.ttl_seconds_after_finished).toBeUndefined();
    expect(job.spec.template.spec.container[0].security_context).toMatchObject({ run_as_non_root: true, allow_privilege_escalation: false, read_only_root_filesystem: true });
    expect(byName(json, "kubernetes_deployment_v1", "api").depends_on).toContain(idOf(json, "kubernetes_job_v1", "migrate"));
    expect(byName(json, "kubernetes_deployment_v1", "web").depends_on ?? []).not.toContain(idOf(json, "kubernetes_job_v1", "migrate"));
    // A job has no Service, no PDB, no probes.
    expect(resourcesOf(json, "kubernetes_service_v1").map((s) => s.metadata.name)).not.toContain("migrate");
    expect(job.spec.template.spec.container[0].readiness_probe).toBeUndefined();
  });

  it("Docker: a container apply attaches to until it exits, fails on a non-zero exit, never restarts, and the dependant's containers depend on it", () => {
    const a = app({ migrate: migration });
    const json = synth(a, docker(a));
    const job = byName(json, "docker_container", "demo-qa-migrate-1");
    expect(job).toMatchObject({ attach: true, must_run: false, restart: "no" });
    expect(job.logs).toBeUndefined(); // logs would be kept in state
    expect(job.wait).toBe(false);
    expect(job.lifecycle.postcondition).toEqual([expect.objectContaining({ condition: "${self.exit_code == 0}" })]);
    expect(byName(json, "docker_container", containerName(json, "demo", "api")).depends_on).toContain(idOf(json, "docker_container", "demo-qa-migrate-1"));
    // The job waits for the database it migrates (start order from its connection).
    expect(job.depends_on).toContain(idOf(json, "docker_container", "demo-qa-db-1"));
  });

  it("Swarm: accepted (a container on the manager, swarm-jobs.test.ts)", () => {
    const a = app({ migrate: migration });
    expect(problems(a, swarm(a))).not.toMatch(/services\.migrate/);
  });

  it("a job that serves a port, is public, has a health check or several replicas is refused with the fix", () => {
    const a = app({ migrate: { ...migration, ports: [{ name: "http", port: 80 }], public: true, health: { command: ["true"] }, replicas: 2 } });
    const text = problems(a, k8s(a));
    expect(text).toMatch(/services\.migrate\.ports: a job runs to completion and serves nothing, so it has no ports; remove ports/);
    expect(text).toMatch(/services\.migrate\.public: a job runs to completion and serves nothing; remove public/);
    expect(text).toMatch(/services\.migrate\.health: a job runs to completion, and its exit code says whether it worked; remove health/);
    expect(text).toMatch(/services\.migrate\.replicas: a job runs to completion in one pod, so replicas is 1; to not run it in this environment set enabled: false/);
  });

  it("runBefore on a non-job, to an unknown service or to itself is refused", () => {
    const a = app({ migrate: { ...migration, runBefore: ["apj", "migrate"] }, web: { runBefore: ["api"] } });
    const text = problems(a, k8s(a));
    expect(text).toMatch(/services\.migrate\.runBefore\.0: "apj" is not a service \(did you mean "api"\?\)/);
    expect(text).toMatch(/services\.migrate\.runBefore\.1: a job cannot run before itself/);
    expect(text).toMatch(/services\.web\.runBefore: only a job runs before other services, and "web" is stateless; set kind: job or remove runBefore/);
  });

  it("Docker: a job that runs before a service it connects to is a start-order cycle", () => {
    const a = app({ migrate: { ...migration, runBefore: ["db"] } });
    expect(problems(a, docker(a))).toMatch(/start-order cycle db → migrate → db/);
  });

  it("a connection to a job is refused (it serves nothing)", () => {
    const a = app({ migrate: migration, web: { connections: [{ to: "api", port: "http" }, { to: "migrate", port: "http" }] } });
    expect(problems(a, k8s(a))).toMatch(/services\.web\.connections\.1\.to: "migrate" is a job, which serves nothing/);
  });
});

describe("cron jobs", () => {
  const nightly: Partial<ServiceConfig> = { kind: "cronjob", schedule: "0 3 * * *", command: ["cleanup"], connections: [{ to: "db", port: "pg" }] };

  it("Kubernetes: a CronJob in UTC that never runs twice at once, with the restricted pod", () => {
    const a = app({ nightly });
    const cron = byName(synth(a, k8s(a)), "kubernetes_cron_job_v1", "nightly");
    expect(cron.spec).toMatchObject({ schedule: "0 3 * * *", concurrency_policy: "Forbid", timezone: "Etc/UTC" });
    const pod = cron.spec.job_template.spec.template.spec;
    expect(pod.restart_policy).toBe("Never");
    expect(pod.security_context).toMatchObject({ run_as_non_root: true, seccomp_profile: { type: "RuntimeDefault" } });
    expect(pod.container[0].security_context.capabilities.drop).toEqual(["ALL"]);
  });

  /** A cron job with a secret, a config file, egress and a command whose words need quoting. */
  const full: Partial<ServiceConfig> = {
    ...nightly,
    command: ["/usr/local/bin/cleanup", "--older-than"],
    args: ["30 days", "it's ${HOME}"],
    secrets: ["cleanup_token"],
    files: [{ path: "/etc/cleanup/rules.conf", content: "keep = 30\n" }],
    egress: [{ host: "smtp.example.com", cidr: "192.0.2.0/24", port: 587 }],
    resources: { cpu: "50m", memory: "64Mi" },
  };
  const envOf = (c: string[] | Record<string, string>): Record<string, string> => (Array.isArray(c) ? Object.fromEntries(c.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])) : c);

  it("Docker: one long-lived container of the job's image running envkit's scheduler, with the service's hardening, secrets, files, networks and limits, unhealthy while the last run failed", () => {
    const a = app({ nightly: full });
    const json = synth(a, docker(a));
    const c = byName(json, "docker_container", "demo-qa-nightly-1");
    // The scheduler replaces the entrypoint; the job's command is its variable, each word quoted, ${ escaped for Terraform.
    expect(c.entrypoint.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(c.entrypoint[2]).toContain('echo "envkit-cron: schedule 0 3 * * * (UTC)"');
    expect(c.entrypoint[2]).toContain('case "$m" in 0) ;; *) continue;; esac');
    expect(c.entrypoint[2]).toContain('case "$h" in 3) ;; *) continue;; esac');
    expect(c.entrypoint[2]).toContain('if sh -c "$ENVKIT_CRON_JOB"; then echo ok > /tmp/envkit-cron.status;');
    expect(c.entrypoint[2]).toContain("$${1#0}"); // generated shell is inert: $${ renders ${
    expect(c.command).toBeUndefined();
    expect(envOf(c.env).ENVKIT_CRON_JOB).toBe("exec /usr/local/bin/cleanup --older-than '30 days' 'it'\\''s $${HOME}'");
    expect(envOf(c.env).CLEANUP_TOKEN_FILE).toBe("/run/secrets/cleanup_token");
    expect(c.healthcheck).toEqual({ test: ["CMD-SHELL", "! grep -q failed /tmp/envkit-cron.status 2>/dev/null"], interval: "1m", timeout: "5s", retries: 1, start_period: "10s" });
    expect(c).toMatchObject({ restart: "unless-stopped", read_only: true, user: "10001:10001", capabilities: { drop: ["ALL"] }, security_opts: ["no-new-privileges:true"], memory: 64, must_run: false, wait: false });
    expect(c.max_retry_count).toBeUndefined();
    expect(c.attach).toBeUndefined();
    expect(Object.keys(c.tmpfs)).toEqual(["/tmp"]);
    // The secret and the config file arrive like any service's (read-only volumes written by seeds).
    expect(c.mounts).toContainEqual(expect.objectContaining({ target: "/run/secrets", read_only: true }));
    expect(c.mounts).toContainEqual(expect.objectContaining({ target: "/etc/cleanup", read_only: true }));
    // Its connection (to db) and its egress network.
    const nets = resourcesOf(json, "docker_network").map((n) => n.name);
    expect(nets).toEqual(expect.arrayContaining(["demo-qa-nightly-to-db", "demo-qa-nightly-egress"]));
    expect(c.networks_advanced).toHaveLength(2);
    expect(c.depends_on).toContain(idOf(json, "docker_container", "demo-qa-db-1"));
  });

  it("Docker: a writable root still gets the scheduler's tmpfs /tmp, and a /tmp the service already has is kept as it is", () => {
    const writable = app({ nightly: { ...nightly, security: { readOnlyRootFilesystem: false } } });
    expect(Object.keys(byName(synth(writable, docker(writable)), "docker_container", "demo-qa-nightly-1").tmpfs)).toEqual(["/tmp"]);
    const own = app({ nightly: { ...nightly, writablePaths: ["/tmp", "/var/cache/cleanup"], writableSize: "16Mi" } });
    const tmpfs = byName(synth(own, docker(own)), "docker_container", "demo-qa-nightly-1").tmpfs;
    expect(Object.keys(tmpfs).sort()).toEqual(["/tmp", "/var/cache/cleanup"]);
    expect(tmpfs["/tmp"]).toContain("size=16m");
  });

  it("Swarm: a replicated service of one task running the same scheduler, stop-first, always restarted, with the service's secrets and limits", () => {
    const a = app({ nightly: full });
    const json = synth(a, swarm(a));
    const svc = byName(json, "docker_service", "demo-qa-nightly");
    const spec = svc.task_spec.container_spec;
    expect(svc.mode.replicated.replicas).toBe(1);
    expect(svc.update_config.order).toBe("stop-first");
    expect(spec.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    const docker1 = byName(synth(a, docker(a)), "docker_container", "demo-qa-nightly-1");
    expect(spec.command[2]).toBe(docker1.entrypoint[2]); // one scheduler for both engines
    expect(spec.args).toBeUndefined();
    expect(spec.env.ENVKIT_CRON_JOB).toBe(envOf(docker1.env).ENVKIT_CRON_JOB);
    expect(spec.healthcheck).toMatchObject({ test: ["CMD-SHELL", "! grep -q failed /tmp/envkit-cron.status 2>/dev/null"], interval: "1m", retries: 1 });
    expect(spec).toMatchObject({ read_only: true, user: "10001:10001", cap_drop: ["ALL"] });
    expect(spec.mounts).toContainEqual({ type: "tmpfs", target: "/tmp" });
    expect(spec.secrets).toEqual([expect.objectContaining({ file_name: "cleanup_token", file_mode: 256 })]);
    expect(spec.configs).toEqual([expect.objectContaining({ file_name: "/etc/cleanup/rules.conf" })]);
    expect(svc.task_spec.restart_policy).toMatchObject({ condition: "any", max_attempts: 0 });
    expect(svc.task_spec.resources.limits.memory_bytes).toBe(64 * 1024 * 1024);
    expect(svc.task_spec.networks_advanced).toHaveLength(2);
  });

  it.each([
    ["docker", docker, "Docker"],
    ["swarm", swarm, "Swarm"],
  ])("%s: a cronjob without a command is refused, naming services.<svc>.command and the scheduler that replaces the entrypoint", (_t, env, label) => {
    const a = app({ nightly: { ...nightly, command: undefined } });
    expect(problems(a, env(a))).toContain(`services.nightly.command: on ${label} a cronjob runs in envkit's scheduler, whose entrypoint (/bin/sh -c <scheduler>) replaces the image's, so the image's own ENTRYPOINT/CMD cannot be run; set services.nightly.command to the program to run`);
  });

  it.each([
    ["docker", docker, "Docker"],
    ["swarm", swarm, "Swarm"],
  ])("%s: a schedule the scheduler cannot evaluate (a macro, a name) is refused with the numeric spelling; Kubernetes takes it", (_t, env, label) => {
    const a = app({ nightly: { ...nightly, schedule: "@daily" } });
    expect(problems(a, env(a))).toContain(`services.nightly.schedule: on ${label} envkit's scheduler evaluates five numeric fields: "@daily" is a cron macro; write the five fields instead: "0 0 * * *"`);
    const named = app({ nightly: { ...nightly, schedule: "0 3 * * MON" } });
    expect(problems(named, env(named))).toMatch(/services\.nightly\.schedule: on (Docker|Swarm) envkit's scheduler evaluates five numeric fields: "0 3 \* \* MON": day of week "MON" is not a number.*write numbers/);
    expect(problems(a, k8s(a))).not.toMatch(/services\.nightly\.schedule/);
  });

  it("a cronjob without a schedule, a schedule on a stateless service, and a malformed schedule are refused", () => {
    const a = app({ nightly: { ...nightly, schedule: undefined }, web: { schedule: "@daily" } });
    const text = problems(a, k8s(a));
    expect(text).toMatch(/services\.nightly\.schedule: a cronjob needs a schedule, e\.g\. schedule: "0 3 \* \* \*"/);
    expect(text).toMatch(/services\.web\.schedule: only a cronjob runs on a schedule/);
    const bad = app({ nightly: { ...nightly, schedule: "every night" } });
    expect(problems(bad, k8s(bad))).toMatch(/services\.nightly\.schedule: "every night" has 2 fields; a schedule has five/);
  });

  // The Kubernetes provider checks a CronJob's schedule at plan time with robfig/cron v1.2.0's
  // standard parser (schema_cron_job_spec_v1.go, validateCronExpression): day of week 0-6, no L, W or #.
  it.each([
    ["0 3 * * 7", /day of week 7 is out of range; allowed values are 0-6 \(Sunday is 0: Kubernetes' cron parser refuses 7\)/],
    ["0 3 L * *", /day of month "L" is not a number/],
    ["0 3 15W * *", /day of month "15W" is not a number/],
    ["0 3 * * 1#2", /day of week "1#2" is not a number/],
    ["99 3 * * *", /minute 99 is out of range; allowed values are 0-59/],
  ])("Kubernetes: a schedule its provider's cron parser refuses at plan (%j) is refused at its line", (schedule, message) => {
    const a = app({ nightly: { ...nightly, schedule } });
    expect(problems(a, k8s(a))).toMatch(new RegExp(`services\\.nightly\\.schedule: .*${message.source}`));
  });

  it.each(["@daily", "0 3 * * MON", "0 3 * JAN-MAR mon-fri", "0 3 ? * *", "*/15 2-4 1,15 * 0"])("Kubernetes: %j, which its cron parser takes, is accepted", (schedule) => {
    const a = app({ nightly: { ...nightly, schedule } });
    expect(problems(a, k8s(a))).not.toMatch(/services\.nightly\.schedule/);
  });
});

describe("init steps", () => {
  it("Kubernetes: init containers with the service's hardening, image and mounts; a pinned image of their own when given", () => {
    const a = app({ api: { init: [{ command: ["wait-for", "db:5432"] }, { command: ["seed"], image: `ghcr.io/acme/seed:2@${DIGEST}` }] } });
    const pod = byName(synth(a, k8s(a)), "kubernetes_deployment_v1", "api").spec.template.spec;
    expect(pod.init_container.map((c: Json) => [c.name, c.image, c.command])).toEqual([
      ["init-1", `ghcr.io/acme/api:1.0.0@${DIGEST}`, ["wait-for", "db:5432"]],
      ["init-2", `ghcr.io/acme/seed:2@${DIGEST}`, ["seed"]],
    ]);
    for (const c of pod.init_container) expect(c.security_context).toEqual(pod.container[0].security_context);
    expect(pod.init_container[0].volume_mount).toEqual(pod.container[0].volume_mount);
  });

  it("a mutable init image is refused", () => {
    const a = app({ api: { init: [{ command: ["seed"], image: "ghcr.io/acme/seed:latest" }] } });
    expect(problems(a, k8s(a))).toMatch(/services\.api\.init\.0\.image: \[ENVK-IMG-001\] init image "ghcr\.io\/acme\/seed:latest" is mutable/);
  });

  it("Docker: accepted (containers run before the service's, docker-init-steps.test.ts)", () => {
    const a = app({ api: { init: [{ command: ["seed"] }] } });
    expect(problems(a, docker(a))).not.toMatch(/services\.api\.init/);
  });

  it("Swarm has no init containers: refused, saying why and naming the job that replaces them", () => {
    const a = app({ api: { init: [{ command: ["seed"] }] } });
    expect(problems(a, swarm(a))).toMatch(
      /services\.api\.init: Swarm has no init containers: a service's tasks start on any node and Swarm restarts and reschedules them without apply, .*; set init: \[\] for "api" in this environment and run the step as a kind: job with runBefore: \[api\] \(it runs once per release, before "api" is updated\), or run this environment on Docker or Kubernetes/,
    );
  });
});

describe("opt-in services (enabled: false)", () => {
  const withCache = (optional: boolean): AppConfig =>
    app({ cache: { image: "docker.io/library/redis", ports: [{ name: "redis", port: 6379 }], health: { command: ["redis-cli", "ping"] } }, api: { connections: [{ to: "db", port: "pg" }, { to: "cache", port: "redis", optional, env: "CACHE_ADDR" }] } });
  const off = (a: AppConfig) => ({ services: { web: { replicas: 2 }, api: { replicas: 2 }, cache: { enabled: false } }, release: pinned(Object.keys(a.services).filter((n) => n !== "cache")) });

  it("is not deployed, needs no release, and an optional connection to it is skipped with a note for explain", () => {
    const a = withCache(true);
    const r = resolveOne(a, "qa", k8s(a, off(a)));
    expect(r.model.services.map((s) => s.name)).not.toContain("cache");
    expect(r.model.disabledServices).toEqual(["cache"]);
    expect(r.model.skippedConnections).toEqual([{ path: "services.api.connections.1", note: 'skipped: "cache" is not deployed in this environment (enabled: false), so CACHE_ADDR is not set' }]);
    const json = synthJson([r]).get("qa")!;
    expect(resourcesOf(json, "kubernetes_deployment_v1").map((d) => d.metadata.name)).not.toContain("cache");
    expect(Object.keys(resourcesOf(json, "kubernetes_config_map_v1").find((c) => c.metadata.name.startsWith("api-"))!.data)).not.toContain("CACHE_ADDR");
  });

  it("a required connection to it is an error naming optional: true", () => {
    const a = withCache(false);
    expect(problems(a, k8s(a, off(a)))).toMatch(/services\.api\.connections\.1\.to: connects to "cache", which is not deployed in this environment \(services\.cache\.enabled: false\); mark the connection optional: true/);
  });

  it("Docker: the skipped service has no container and no network", () => {
    const a = withCache(true);
    const json = synth(a, docker(a, { services: { cache: { enabled: false } }, release: pinned(["web", "api", "db"]) }));
    expect(resourcesOf(json, "docker_container").map((c) => c.name)).not.toContain("demo-qa-cache-1");
    expect(resourcesOf(json, "docker_network").map((n) => n.name)).not.toContain("demo-qa-api-to-cache");
  });
});

describe("singletons", () => {
  const single = (): AppConfig => app({ api: { singleton: true } });

  it("Kubernetes: Recreate (never two pods at once) and no PDB", () => {
    const a = single();
    const json = synth(a, k8s(a, { services: { web: { replicas: 2 } } }));
    expect(byName(json, "kubernetes_deployment_v1", "api").spec.strategy).toEqual({ type: "Recreate" });
    expect(resourcesOf(json, "kubernetes_pod_disruption_budget_v1").map((p) => p.metadata.name)).not.toContain("api");
  });

  it("Swarm: stop-first updates", () => {
    const a = single();
    const svc = byName(synth(a, swarm(a)), "docker_service", "demo-qa-api");
    expect(svc.update_config.order).toBe("stop-first");
    expect(svc.mode.replicated.replicas).toBe(1);
  });

  it("Docker: one container", () => {
    const a = single();
    expect(resourcesOf(synth(a, docker(a)), "docker_container").filter((c) => /^demo-qa-api-(\d+|[0-9a-f]{8}-\d+)$/.test(c.name)).map((c) => c.name)).toEqual(["demo-qa-api-1"]);
  });

  it("a singleton or a job is recreated by default, and a strategy that runs two copies is refused", () => {
    const a = app({ api: { singleton: true }, migrate: migration });
    const r = resolveOne(a, "qa", k8s(a, { rollout: { strategy: "canary" } as never, services: { web: { replicas: 2, rollout: { strategy: "rolling" } } } }));
    expect(r.model.services.find((x) => x.name === "api")!.rollout.strategy).toBe("recreate");
    expect(r.model.services.find((x) => x.name === "migrate")!.rollout.strategy).toBe("recreate");
    const bg = app({ api: { singleton: true, rollout: { strategy: "rolling" } }, migrate: { ...migration, rollout: { strategy: "rolling" } } });
    const text = problems(bg, k8s(bg));
    expect(text).toMatch(/services\.api\.rollout\.strategy: "api" is a singleton, and rolling runs a second copy while it updates; use rollout\.strategy: recreate/);
    expect(text).toMatch(/services\.migrate\.rollout\.strategy: "migrate" is a job, which runs to completion and never rolls; use rollout\.strategy: recreate/);
  });

  it("replicas above 1 and autoscaling are refused with the fix", () => {
    const a = app({ api: { singleton: true, replicas: 3, autoscaling: { minReplicas: 1, maxReplicas: 4 } } });
    const text = problems(a, k8s(a, { services: { web: { replicas: 2 } } }));
    expect(text).toMatch(/services\.api\.replicas: "api" is a singleton, so it runs exactly one replica, not 3; set replicas: 1/);
    expect(text).toMatch(/services\.api\.autoscaling: "api" is a singleton, so it is never scaled/);
  });
});

describe("exposure: servicePort, LoadBalancer and NodePort", () => {
  it("Kubernetes: the Service listens on servicePort and forwards to the container's named port; the ingress dials servicePort", () => {
    const a = app({ web: { ports: [{ name: "http", port: 8080, servicePort: 80 }] } });
    const json = synth(a, k8s(a));
    expect(byName(json, "kubernetes_service_v1", "web").spec.port).toEqual([{ name: "http", port: 80, target_port: "http", protocol: "TCP" }]);
    expect(byName(json, "kubernetes_deployment_v1", "web").spec.template.spec.container[0].port[0].container_port).toBe(8080);
    expect(byName(json, "kubernetes_ingress_v1", "web").spec.rule[0].http.path[0].backend.service.port.number).toBe(80);
  });

  it("Kubernetes: a NodePort service keeps its node port, needs no ingress and admits outside clients to the pod port", () => {
    const a = app({ web: { exposure: "NodePort", ports: [{ name: "http", port: 8080, servicePort: 80, nodePort: 30080 }] } });
    const json = synth(a, k8s(a));
    expect(byName(json, "kubernetes_service_v1", "web").spec).toMatchObject({ type: "NodePort", port: [{ port: 80, node_port: 30080, target_port: "http" }] });
    expect(resourcesOf(json, "kubernetes_ingress_v1")).toEqual([]);
    expect(byName(json, "kubernetes_network_policy_v1", "web-allow-ingress").spec.ingress).toContainEqual({ from: [{ ip_block: { cidr: "0.0.0.0/0" } }], ports: [{ port: "8080", protocol: "TCP" }] });
  });

  it("Kubernetes: kubernetes.exposure LoadBalancer applies to public services only; internal ones stay ClusterIP", () => {
    const a = app();
    const json = synth(a, k8s(a, { kubernetes: { exposure: "LoadBalancer" } }));
    expect(byName(json, "kubernetes_service_v1", "web").spec.type).toBe("LoadBalancer");
    expect(byName(json, "kubernetes_service_v1", "api").spec.type).toBe("ClusterIP");
  });

  it("a node port outside 30000-32767, a node port behind ClusterIP, and exposure on an internal service are refused", () => {
    const out = app({ web: { exposure: "NodePort", ports: [{ name: "http", port: 8080, nodePort: 8080 }] } });
    expect(problems(out, k8s(out))).toMatch(/services\.web\.ports\.http\.nodePort: node ports are 30000-32767/);
    const cluster = app({ web: { ports: [{ name: "http", port: 8080, nodePort: 30080 }] } });
    expect(problems(cluster, k8s(cluster))).toMatch(/services\.web\.ports\.http\.nodePort: a node port needs a NodePort or LoadBalancer Service, and "web" is exposed as ClusterIP/);
    const twice = app({ web: { exposure: "NodePort", ports: [{ name: "http", port: 8080, nodePort: 30080 }, { name: "admin", port: 9090, nodePort: 30080 }] } });
    expect(problems(twice, k8s(twice))).toMatch(/services\.web\.ports\.admin\.nodePort: node port 30080 is already taken by "web" port "http"; choose another/);
    const internal = app({ api: { exposure: "LoadBalancer" } });
    expect(problems(internal, k8s(internal))).toMatch(/services\.api\.exposure: exposure LoadBalancer makes "api" reachable from outside the environment, and it is not public; set public: true or remove exposure/);
  });

  // Docker and Swarm honour a servicePort through the envkit proxy: service-port.test.ts.
  it("Docker: a public service with two replicas is served by the rollout strategies' proxy; without it (recreate) it is refused, naming the proxy", () => {
    const a = app({ web: { replicas: 2 } });
    expect(problems(a, docker(a))).not.toMatch(/services\.web\.replicas/);
    const b = app({ web: { replicas: 2, rollout: { strategy: "recreate" } } });
    expect(problems(b, docker(b))).toMatch(/services\.web\.replicas: public service "web" has 2 replicas on one Docker host.*envkit proxy publishes the port/);
  });
});

describe("egress through default-deny", () => {
  const egress = (e: NonNullable<ServiceConfig["egress"]>): AppConfig => app({ api: { egress: e } });

  it("Kubernetes: one ipBlock rule per egress, on its port, in the service's egress policy", () => {
    const a = egress([{ host: "smtp.example.com", cidr: "192.0.2.0/24", port: 587 }]);
    const spec = byName(synth(a, k8s(a)), "kubernetes_network_policy_v1", "api-allow-egress").spec;
    expect(spec.egress).toContainEqual({ to: [{ ip_block: { cidr: "192.0.2.0/24" } }], ports: [{ port: "587", protocol: "TCP" }] });
  });

  it("Kubernetes: a host without cidr is refused (NetworkPolicy has no FQDN rules)", () => {
    const a = egress([{ host: "smtp.example.com", port: 587 }]);
    expect(problems(a, k8s(a))).toMatch(/services\.api\.egress\.0: a Kubernetes NetworkPolicy matches addresses, never host names .*add cidr/);
  });

  it("an egress naming neither host nor cidr is refused", () => {
    const a = egress([{ port: 587 } as never]);
    expect(problems(a, k8s(a))).toMatch(/services\.api\.egress\.0: name the destination: host/);
  });

  it.each([
    ["docker", docker, "docker_network", "bridge"],
    ["swarm", swarm, "docker_network", "overlay"],
  ])("%s: an egress network (not internal) joined by that service alone", (_t, env, type, driver) => {
    const a = egress([{ host: "smtp.example.com", port: 587 }]);
    const json = synth(a, env(a));
    const net = byName(json, type, "demo-qa-api-egress");
    expect(net).toMatchObject({ internal: false, driver });
    const joined = resourcesOf(json, type === "docker_network" && driver === "bridge" ? "docker_container" : "docker_service").filter((c) => JSON.stringify(c).includes(idOf(json, type, "demo-qa-api-egress")));
    expect(joined.map((c) => c.name)).toEqual(driver === "bridge" ? [containerName(json, "demo", "api")] : ["demo-qa-api"]);
  });
});

describe("addresses in environment variables", () => {
  it("an address of a service without a connection is an error naming the variable, the address and the connection to add", () => {
    const a = app({ web: { env: { API_URL: "http://api:3000/v1", CACHE_HOST: "db" } } });
    const text = problems(a, k8s(a));
    expect(text).toMatch(/services\.web\.env\.CACHE_HOST: "db" is the address of service "db", but "web" declares no connection to it, so default-deny blocks the traffic; add connections: \[\{ to: db, port: pg \}\]/);
    expect(text).not.toMatch(/API_URL/);
  });

  it("a port other than the connection's is an error; the servicePort is what clients dial on Kubernetes", () => {
    const a = app({ web: { env: { API_ADDR: "api:3000" } }, api: { ports: [{ name: "http", port: 3000, servicePort: 80 }] } });
    expect(problems(a, k8s(a))).toMatch(/services\.web\.env\.API_ADDR: "api:3000" dials port 3000 of "api", but the declared connection allows http = 80; fix the port, or let envkit set the variable: \{ to: api, port: http, env: API_ADDR \}/);
  });

  it("a generated variable is <service>:<servicePort> on Kubernetes, and <alias>:<port> on Docker and Swarm where the two are equal (the proxy case: service-port.test.ts)", () => {
    const k = app({ web: { connections: [{ to: "api", port: "http", env: "API_ADDR" }] }, api: { ports: [{ name: "http", port: 3000, servicePort: 80 }] } });
    const kj = synth(k, k8s(k));
    expect(resourcesOf(kj, "kubernetes_config_map_v1").find((c) => c.metadata.name.startsWith("web-"))!.data.API_ADDR).toBe("api:80");
    expect(byName(kj, "kubernetes_service_v1", "api").spec.port[0].port).toBe(80);
    const d = app({ web: { connections: [{ to: "api", port: "http", env: "API_ADDR" }] } });
    const dj = synth(d, docker(d));
    expect(byName(dj, "docker_container", containerName(dj, "demo", "web")).env).toContain("API_ADDR=api:3000");
    expect(byName(dj, "docker_container", containerName(dj, "demo", "api")).networks_advanced).toContainEqual(expect.objectContaining({ aliases: ["api"] }));
    const sj = synth(d, swarm(d));
    expect(byName(sj, "docker_service", "demo-qa-web").task_spec.container_spec.env.API_ADDR).toBe("api:3000");
    expect(byName(sj, "docker_service", "demo-qa-api").task_spec.networks_advanced).toContainEqual(expect.objectContaining({ aliases: ["api"] }));
  });

  it("a generated variable that env also sets is refused", () => {
    const a = app({ web: { env: { API_ADDR: "x" }, connections: [{ to: "api", port: "http", env: "API_ADDR" }] } });
    expect(problems(a, k8s(a))).toMatch(/services\.web\.connections\.0\.env: "API_ADDR" would be set twice \(services\.web\.env sets it too\)/);
  });
});

describe("envkit explain", () => {
  it("shows a skipped optional connection with why, and the new defaults with their reasons", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-explain-"));
    try {
      fs.mkdirSync(path.join(dir, "environments"));
      fs.writeFileSync(
        path.join(dir, "app.yaml"),
        ["name: demo", "services:", "  api:", "    image: ghcr.io/acme/api", "    connections:", "      - { to: cache, port: redis, optional: true, env: CACHE_ADDR }", "  cache:", "    image: docker.io/library/redis", "    ports: [{ name: redis, port: 6379 }]", ""].join("\n"),
      );
      fs.writeFileSync(path.join(dir, "environments", "dev.yaml"), ["target: docker", 'release: { api: "1.0.0" }', "services:", "  cache: { enabled: false }", ""].join("\n"));
      const r = cli("explain", "--config", dir, "--env", "dev", "services.api");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/services\.api\.connections\.0\.to = "cache" .*app\.yaml:6; skipped: "cache" is not deployed in this environment \(enabled: false\), so CACHE_ADDR is not set/);
      expect(r.out).toMatch(/services\.api\.singleton = false +# default \(lib\/config\/defaults\.ts: services\.\*\.singleton — services may run several replicas side by side\)/);
      expect(r.out).toMatch(/services\.api\.connections\.0\.optional = true +# .*app\.yaml:6/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the same intent from the constructs", () => {
  it("a job with runBefore, a singleton, servicePort, egress and a generated address declared in TypeScript lower like the YAML fields", () => {
    const release = `1.0.0@${DIGEST}`;
    const stack = new EnvironmentStack(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), "envkit-jobs-")) }), "staging", { app: "demo", target: "kubernetes", settings: { backend: { type: "s3", bucket: "b", key: "k", region: "eu-west-1" } }, onWarning: () => undefined });
    const db = new StatefulService(stack, "db", { image: "docker.io/library/postgres", release, ports: [{ name: "pg", port: 5432, servicePort: 15432 }], health: { command: ["pg_isready"] }, volumes: { data: { path: "/var/lib/postgresql/data" } }, security: { user: "70:70" } });
    const api = new Service(stack, "api", { image: "ghcr.io/acme/api", release, singleton: true, egress: [{ cidr: "203.0.113.0/24", port: 443 }], health: { command: ["true"] } });
    const migrate = new Service(stack, "migrate", { image: "ghcr.io/acme/api", release, kind: "job", runBefore: ["api"] });
    api.connectTo(db, "pg", { env: "DB_ADDR" });
    migrate.connectTo(db, "pg");
    expect(db.address("pg")).toBe("db:15432");
    const json = JSON.parse(JSON.stringify(stack.toTerraform())) as Json;
    const job = Object.keys(json.resource.kubernetes_job_v1)[0];
    const deploy = Object.values(json.resource.kubernetes_deployment_v1 as Record<string, Json>)[0];
    expect(deploy.spec.strategy).toEqual({ type: "Recreate" });
    expect(deploy.depends_on).toContain(`kubernetes_job_v1.${job}`);
    const config = Object.values(json.resource.kubernetes_config_map_v1 as Record<string, Json>).find((c) => c.metadata.name.startsWith("api-"))!;
    expect(config.data.DB_ADDR).toBe("db:15432");
  });
});
