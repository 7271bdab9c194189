import { AppConfig, EnvironmentConfig, ServiceConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { dockerEnv, miniApp, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

/*
 * Init steps on Docker (lib/targets/docker/docker-init-steps.ts): containers that apply runs to
 * completion before the service's containers are created, with the service's hardening, and that
 * are replaced whenever those containers are. Property assertions on the synthesized JSON; the
 * real-engine run is in __tests__/integration/docker-engine.test.ts.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIGEST = `sha256:${"a".repeat(64)}`;
const SEED_IMAGE = `ghcr.io/acme/seed:2@${"sha256:" + "b".repeat(64)}`;
const pinned = (names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, `1.0.0@${DIGEST}`]));

function app(api: Partial<ServiceConfig>, extra: Record<string, ServiceConfig> = {}): AppConfig {
  const base = miniApp();
  return { ...base, services: { ...base.services, api: { ...base.services.api, ...api } as ServiceConfig, ...extra } };
}
const docker = (a: AppConfig, over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => dockerEnv({ release: pinned(Object.keys(a.services)), ...over });
const synth = (a: AppConfig, env: EnvironmentConfig): Json => synthJson([resolveOne(a, "qa", env)]).get("qa")!;

const steps2 = { init: [{ command: ["wait-for", "db:5432"] }, { command: ["seed"], image: SEED_IMAGE }] };

/** Terraform address → body of every docker_container. */
const containers = (json: Json): [string, Json][] => Object.entries(json.resource.docker_container as Record<string, Json>).map(([k, c]) => [`docker_container.${k}`, c]);
const find = (json: Json, re: RegExp): [string, Json] => {
  const hit = containers(json).find(([, c]) => re.test(c.name));
  if (!hit) throw new Error(`no container matching ${re}; have ${containers(json).map(([, c]) => c.name).join(", ")}`);
  return hit;
};
const label = (c: Json, key: string): string | undefined => (c.labels as Json[]).find((l) => l.label === key)?.value;
/** The service's containers (not its steps or seeds). */
const apiContainers = (json: Json): [string, Json][] => containers(json).filter(([, c]) => /^demo-qa-api-([0-9a-f]{8}-)?\d+$/.test(c.name));

describe("init steps on Docker", () => {
  const a = app(steps2);
  const json = synth(a, docker(a));
  const [s1Addr, s1] = find(json, /^demo-qa-api-init-([0-9a-f]{8}-)?1$/);
  const [s2Addr, s2] = find(json, /^demo-qa-api-init-([0-9a-f]{8}-)?2$/);
  const [, svc] = apiContainers(json)[0];

  it("each step is a container apply attaches to until it exits, failing the apply on a non-zero exit, never restarted", () => {
    for (const [n, s] of [[1, s1], [2, s2]] as const) {
      expect({ n, attach: s.attach, mustRun: s.must_run, restart: s.restart, logs: s.logs, wait: s.wait, healthcheck: s.healthcheck, ports: s.ports }).toEqual({ n, attach: true, mustRun: false, restart: "no", logs: undefined, wait: undefined, healthcheck: undefined, ports: undefined });
      expect(s.lifecycle.postcondition).toEqual([{ condition: "${self.exit_code == 0}", error_message: expect.stringContaining(`init step ${n} of "api" exited with a non-zero code, so "api" was not started; read its output with docker logs ${s.name}`) }]);
    }
  });

  it("runs the step's command as the entrypoint, in the service's image or the step's own pinned one", () => {
    expect({ entrypoint: s1.entrypoint, command: s1.command, image: s1.image }).toEqual({ entrypoint: ["wait-for", "db:5432"], command: undefined, image: svc.image });
    const own = resourcesOf(json, "docker_image").find((i) => i.name === SEED_IMAGE);
    expect(own).toMatchObject({ keep_locally: true });
    expect(s2.image).toMatch(/^\$\{docker_image\.[^.]+\.image_id\}$/);
    expect(s2.image).not.toBe(svc.image);
    // A step of its own image is replaced with the service's image too (a new image id replaces the service).
    expect(s2.lifecycle.replace_triggered_by).toContain(`${svc.image.slice(2, -".image_id}".length)}.image_id`);
  });

  it("has the service's hardening, resources, environment, logs and mounts", () => {
    const same = ["user", "read_only", "tmpfs", "capabilities", "security_opts", "privileged", "memory", "memory_swap", "cpu_period", "cpu_quota", "cpu_shares", "env", "log_driver", "log_opts", "mounts", "sysctls", "cgroup_parent"];
    const pick = (c: Json) => Object.fromEntries(same.map((k) => [k, c[k]]));
    expect(pick(s1)).toEqual(pick(svc));
    expect(pick(s2)).toEqual(pick(svc));
    expect(s1).toMatchObject({ user: "10001:10001", read_only: true, capabilities: { drop: ["ALL"] }, security_opts: ["no-new-privileges:true"] });
    expect((s1.mounts as Json[]).map((m) => m.target)).toEqual(["/run/secrets"]);
  });

  it("joins only the networks the service reaches others on, without an alias, and waits for those servers as the service does", () => {
    const aliased = (svc.networks_advanced as Json[]).filter((n) => n.aliases?.length).map((n) => n.name);
    const plain = (svc.networks_advanced as Json[]).filter((n) => !n.aliases?.length).map((n) => n.name);
    expect(aliased.length).toBeGreaterThan(0);
    for (const s of [s1, s2]) expect(s.networks_advanced).toEqual(plain.map((name) => ({ name })));
    const [dbAddr] = find(json, /^demo-qa-db-1$/);
    for (const s of [s1, s2]) expect(s.depends_on).toContain(dbAddr);
  });

  it("runs the steps in order, after the secrets seed, and the service's containers after the last; each is replaced with what runs before it", () => {
    const [seedAddr] = find(json, /^demo-qa-api-secrets-seed/);
    expect(s1.depends_on.filter((d: string) => d.startsWith("docker_container.docker_api_"))).toEqual([seedAddr]);
    expect(s2.depends_on.filter((d: string) => d.startsWith("docker_container.docker_api_"))).toEqual([seedAddr, s1Addr]);
    expect(s1.lifecycle.replace_triggered_by).toContain(`${seedAddr}.id`);
    expect(s2.lifecycle.replace_triggered_by).toEqual(expect.arrayContaining([`${seedAddr}.id`, `${s1Addr}.id`]));
    for (const [addr, c] of apiContainers(json)) {
      expect({ addr, after: c.depends_on.filter((d: string) => d.includes("_init-")) }).toEqual({ addr, after: [s1Addr, s2Addr] });
      expect(c.lifecycle.replace_triggered_by).toEqual(expect.arrayContaining([`${s1Addr}.id`, `${s2Addr}.id`]));
    }
    // The steps are replaced with each network the service's containers are replaced with.
    const nets = (svc.lifecycle.replace_triggered_by as string[]).filter((t) => t.startsWith("docker_network."));
    expect(nets.length).toBeGreaterThan(0);
    for (const s of [s1, s2]) expect(s.lifecycle.replace_triggered_by).toEqual(expect.arrayContaining(nets));
  });

  it("carries the hash of what replaces the service's containers, which names a surged set's containers", () => {
    const hash = label(s1, "envkit.dev/runs-before")!;
    expect(hash).toMatch(/^[0-9a-f]{8}$/);
    expect(label(s2, "envkit.dev/runs-before")).toBe(hash);
    // api rolls by default (surge): its containers and steps are named by the same hash, create_before_destroy.
    expect(svc.name).toBe(`demo-qa-api-${hash}-1`);
    expect([s1.name, s2.name]).toEqual([`demo-qa-api-init-${hash}-1`, `demo-qa-api-init-${hash}-2`]);
    for (const s of [s1, s2]) expect(s.lifecycle.create_before_destroy).toBe(true);
    expect({ role: label(s1, "envkit.dev/role"), step: label(s2, "envkit.dev/init-step"), service: label(s1, "app.kubernetes.io/name") }).toEqual({ role: "init-step", step: "2", service: "api" });
  });

  it("is replaced (a new label) when the service's containers are, and not by a change they take in place", () => {
    const hashOf = (j: Json): string => label(find(j, /^demo-qa-api-init-/)[1], "envkit.dev/runs-before")!;
    const recreate = { services: { api: { rollout: { strategy: "recreate" } } } } as Partial<EnvironmentConfig>;
    const base = synth(a, docker(a, recreate));
    // Under recreate the names stay; the label is what replaces the step.
    expect(find(base, /^demo-qa-api-init-1$/)[1].lifecycle.create_before_destroy).toBeUndefined();
    const newEnv = synth(app({ ...steps2, env: { LOG_LEVEL: "debug" } }), docker(a, recreate)); // env is ForceNew
    const newRelease = synth(a, docker(a, { ...recreate, release: { ...pinned(Object.keys(a.services)), api: `1.0.1@${DIGEST}` } }));
    const newMemory = synth(app({ ...steps2, resources: { memory: "256Mi" } }), docker(a, recreate)); // memory is updated in place
    expect(hashOf(newEnv)).not.toBe(hashOf(base));
    expect(hashOf(newRelease)).not.toBe(hashOf(base));
    expect(hashOf(newMemory)).toBe(hashOf(base));
  });

  it("runs once per container set, before its replicas; a set with no replica has none", () => {
    const three = synth(a, docker(a, { services: { api: { replicas: 3 } } } as Partial<EnvironmentConfig>));
    expect(apiContainers(three).length).toBe(3);
    expect(containers(three).filter(([, c]) => label(c, "envkit.dev/role") === "init-step").map(([, c]) => label(c, "envkit.dev/init-step"))).toEqual(["1", "2"]);
    const zero = synth(a, docker(a, { services: { api: { replicas: 0 } } } as Partial<EnvironmentConfig>));
    expect(containers(zero).filter(([, c]) => label(c, "envkit.dev/role") === "init-step")).toEqual([]);
  });

  it("a service on no network but its own gets steps with network_mode none (never the default bridge)", () => {
    const alone: AppConfig = { name: "demo", services: { solo: { image: "ghcr.io/acme/solo", ports: [{ name: "http", port: 8080 }], health: { http: { path: "/", port: "http" } }, init: [{ command: ["prepare"] }] } } };
    const [, step] = find(synth(alone, docker(alone)), /^demo-qa-solo-init-/);
    expect({ mode: step.network_mode, networks: step.networks_advanced }).toEqual({ mode: "none", networks: undefined });
  });

  it("a job that runs before the service runs before its steps too", () => {
    const withJob = app(steps2, { migrate: { image: "ghcr.io/acme/tools", kind: "job", runBefore: ["api"], command: ["migrate"], connections: [{ to: "db", port: "pg" }] } as ServiceConfig });
    const j = synth(withJob, docker(withJob));
    const [jobAddr] = find(j, /^demo-qa-migrate-1$/);
    for (const re of [/^demo-qa-api-init-([0-9a-f]{8}-)?1$/, /^demo-qa-api-init-([0-9a-f]{8}-)?2$/]) expect(find(j, re)[1].depends_on).toContain(jobAddr);
  });

  it("a step container is seen by the guardrails as the service's, running to completion (no health-check finding)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { inspectDockerStack } = require("../../lib/targets/docker/docker-inspect") as typeof import("../../lib/targets/docker/docker-inspect");
    const views = inspectDockerStack(json).workloads.filter((w) => w.resource === s1Addr);
    expect(views).toEqual([expect.objectContaining({ service: "api", runsToCompletion: true, readOnlyRootFilesystem: true, dropsAllCapabilities: true, allowPrivilegeEscalation: false, hasLimits: true })]);
  });

  it("a cron job with init steps is refused on Docker, naming why and the fix", () => {
    const cron = app({}, { nightly: { image: "ghcr.io/acme/tools", kind: "cronjob", schedule: "0 3 * * *", command: ["cleanup"], init: [{ command: ["prepare"] }] } as ServiceConfig });
    const text = resolve(cron, { qa: docker(cron) }).issues.map(formatIssue).join("\n");
    expect(text).toMatch(/services\.nightly\.init: a cron job on Docker is one scheduler container that runs "nightly" on its schedule, so init steps would run once when it is created, not before each run as on Kubernetes; set init: \[\] for "nightly" in this environment and put the step in its command/);
  });
});
