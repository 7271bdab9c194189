import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatIssue } from "../../lib/errors";
import { diffStacks } from "../../lib/review/stack-diff";
import { validateDir } from "../../lib/pipeline";
import { cli, edit, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The second complete example: jobs, a cron job, singletons, servicePort, exposure, egress, generated addresses. */
const VOTING_APP = path.join(__dirname, "..", "..", "examples", "voting-app");

describe("examples/voting-app", () => {
  const project = validateDir(VOTING_APP);
  const stacks = synthJson(project.environments);
  const byName = (env: string, type: string, name: string): Json => {
    const r = resourcesOf(stacks.get(env)!, type).find((x) => (x.metadata?.name ?? x.name) === name);
    if (!r) throw new Error(`${env}: no ${type} ${name}`);
    return r;
  };
  /** A dev container of `svc`: a surged (rolling) set's names carry a replacement hash. */
  const dev = (svc: string): string => {
    const c = resourcesOf(stacks.get("dev")!, "docker_container").find((x) => new RegExp(`^vote-dev-${svc}(-[0-9a-f]{8})?-1$`).test(x.name));
    if (!c) throw new Error(`dev: no container of ${svc}`);
    return c.name;
  };
  const id = (env: string, type: string, name: string): string => `${type}.${Object.entries(stacks.get(env)!.resource[type] as Record<string, Json>).find(([, r]) => (r.metadata?.name ?? r.name) === name)![0]}`;

  it("resolves every environment (dev on Docker, staging and prod on Kubernetes) without an error or warning", () => {
    expect(project.issues.map(formatIssue)).toEqual([]);
    expect(project.environments.map((e) => `${e.model.name}:${e.model.target}`)).toEqual(["dev:docker", "prod:kubernetes", "staging:kubernetes"]);
  });

  it("has no unsuppressed guardrail finding anywhere, and each suppression is one dev states with a reason", () => {
    const r = cli("policy", "--config", VOTING_APP, "--format", "json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.findings).toEqual([]);
    expect([...new Set(report.suppressed.map((s: Json) => `${s.env} ${s.rule}`))].sort()).toEqual(["dev ENVK-NET-004", "dev ENVK-SEC-010"]);
  });

  it.each(["staging", "prod"])("%s: the migration is a Job that worker and result wait for; vote does not", (env) => {
    const job = id(env, "kubernetes_job_v1", "migrate");
    expect(byName(env, "kubernetes_job_v1", "migrate").wait_for_completion).toBe(true);
    expect(byName(env, "kubernetes_deployment_v1", "worker").depends_on).toContain(job);
    expect(byName(env, "kubernetes_deployment_v1", "result").depends_on).toContain(job);
    expect(byName(env, "kubernetes_deployment_v1", "vote").depends_on ?? []).not.toContain(job);
  });

  it("dev: the migration is a container apply waits for, worker and result are created after it", () => {
    const job = byName("dev", "docker_container", "vote-dev-migrate-1");
    expect(job).toMatchObject({ attach: true, restart: "no" });
    for (const dependant of [dev("worker"), dev("result")]) expect(byName("dev", "docker_container", dependant).depends_on).toContain(id("dev", "docker_container", "vote-dev-migrate-1"));
  });

  it("the nightly vacuum is a Forbid CronJob on Kubernetes and envkit's scheduler container on Docker", () => {
    for (const env of ["staging", "prod"]) expect(byName(env, "kubernetes_cron_job_v1", "vacuum").spec).toMatchObject({ schedule: "0 3 * * *", concurrency_policy: "Forbid" });
    const dev = resourcesOf(stacks.get("dev")!, "docker_container").filter((c) => /^vote-dev-vacuum-\d+$/.test(String(c.name)));
    expect(dev.map((c) => c.name)).toEqual(["vote-dev-vacuum-1"]);
    expect(dev[0].entrypoint.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(dev[0].entrypoint[2]).toContain("envkit-cron: schedule 0 3 * * * (UTC)");
    expect(dev[0].env).toContainEqual(expect.stringMatching(/^ENVKIT_CRON_JOB=exec sh -c 'read -r PGPASSWORD/));
    expect(dev[0]).toMatchObject({ restart: "unless-stopped", read_only: true, user: "70:70" });
  });

  it("worker and redis are singletons: Recreate on Kubernetes, one replica, no ENVK-AVL-001 finding without a suppression", () => {
    for (const env of ["staging", "prod"]) {
      for (const s of ["worker", "redis"]) expect(byName(env, "kubernetes_deployment_v1", s).spec).toMatchObject({ replicas: "1", strategy: { type: "Recreate" } });
    }
  });

  it("dev: vote and result declare servicePort 80 in app.yaml too; no service dials them, so the proxy publishes 5000 and 5001 to 8080 and listens on no servicePort", () => {
    const proxy = byName("dev", "docker_container", "vote-dev-proxy");
    expect(proxy.ports).toEqual([
      { internal: 5000, external: 5000, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 5001, external: 5001, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    const seed = resourcesOf(stacks.get("dev")!, "docker_container").find((c) => /^vote-dev-proxy-config-/.test(c.name))!;
    expect(String(seed.upload[0].content)).not.toMatch(/bind :80\n/);
    expect(String(seed.upload[0].content)).toContain("server-template stable- 2 vote:8080 weight 1");
  });

  it("vote and result listen on 8080 and are dialled on 80 (app.yaml) on Kubernetes; result is a NodePort in staging and a LoadBalancer in prod", () => {
    for (const env of ["staging", "prod"]) expect(byName(env, "kubernetes_service_v1", "vote").spec).toMatchObject({ type: "ClusterIP", port: [{ port: 80, target_port: "http" }] });
    expect(byName("staging", "kubernetes_service_v1", "result").spec).toMatchObject({ type: "NodePort", port: [{ port: 80, node_port: 30081 }] });
    expect(byName("prod", "kubernetes_service_v1", "result").spec.type).toBe("LoadBalancer");
    expect(resourcesOf(stacks.get("prod")!, "kubernetes_ingress_v1").map((i) => i.metadata.name)).toEqual(["vote"]);
  });

  it("worker reaches the SMTP relay's range on 587 through default-deny on Kubernetes, and joins an egress network on Docker", () => {
    for (const env of ["staging", "prod"]) expect(byName(env, "kubernetes_network_policy_v1", "worker-allow-egress").spec.egress).toContainEqual({ to: [{ ip_block: { cidr: "192.0.2.0/24" } }], ports: [{ port: "587", protocol: "TCP" }] });
    expect(byName("dev", "docker_network", "vote-dev-worker-egress").internal).toBe(false);
  });

  it("client addresses come from the connections: REDIS_ADDR and DB_ADDR", () => {
    const data = resourcesOf(stacks.get("prod")!, "kubernetes_config_map_v1").find((c) => c.metadata.name.startsWith("worker-config-"))!.data;
    expect(data).toMatchObject({ REDIS_ADDR: "redis:6379", DB_ADDR: "db:5432" });
    expect(byName("dev", "docker_container", dev("vote")).env).toContain("REDIS_ADDR=redis:6379");
  });

  it("envkit graph draws the jobs, the run-before order and the egress", () => {
    const r = cli("graph", "--config", VOTING_APP, "--env", "staging");
    expect(r.code).toBe(0);
    expect(r.out).toContain('migrate{{"migrate"}}');
    expect(r.out).toContain("migrate -.->|before| worker");
    expect(r.out).toContain('egress_1_(("smtp.example.com"))');
    expect(r.out).toContain("worker -->|587/tcp| egress_1_");
  });

  it("envkit diff: a new migration release replaces the Job (it runs again) and updates the CronJob in place", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-vote-"));
    try {
      fs.cpSync(VOTING_APP, dir, { recursive: true });
      const next = `16.5-alpine@sha256:${"b".repeat(64)}`;
      edit(path.join(dir, "environments", "prod.yaml"), /migrate: "[^"]+"/, `migrate: "${next}"`);
      edit(path.join(dir, "environments", "prod.yaml"), /vacuum: "[^"]+"/, `vacuum: "${next}"`);
      const head = validateDir(dir, "prod").environments;
      const changes = diffStacks(stacks.get("prod"), synthJson(head).get("prod"));
      const job = changes.find((c) => c.type === "kubernetes_job_v1")!;
      expect(job).toMatchObject({ action: "replace", dataLoss: false });
      expect(job.unknownType).toBeUndefined();
      expect(changes.find((c) => c.type === "kubernetes_cron_job_v1")).toMatchObject({ action: "update" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the migration reads its SQL from a content-hashed config file on both targets", () => {
    for (const env of ["staging", "prod"]) {
      const cm = resourcesOf(stacks.get(env)!, "kubernetes_config_map_v1").find((c) => /^migrate-files-[0-9a-f]{10}$/.test(c.metadata.name));
      expect(Object.values(cm!.data)).toEqual([expect.stringContaining("CREATE TABLE IF NOT EXISTS votes")]);
    }
    const seed = resourcesOf(stacks.get("dev")!, "docker_container").find((c) => /migrate.*files-seed/.test(c.name));
    expect(seed!.upload).toEqual([expect.objectContaining({ file: "/etc/vote/schema.sql" })]);
  });

  it("db is backed up with pg_dump by a Forbid CronJob in staging and prod, and not in dev (backup: null)", () => {
    for (const env of ["staging", "prod"]) expect(byName(env, "kubernetes_cron_job_v1", "db-backup").spec).toMatchObject({ concurrency_policy: "Forbid" });
    expect(resourcesOf(stacks.get("dev")!, "docker_container").filter((c) => /backup/.test(c.name))).toEqual([]);
  });
});
