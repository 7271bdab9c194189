/*
 * The Swarm target on synthesized JSON: property assertions per docker_service, docker_secret and
 * overlay network; its settings' validation; its guardrails with a passing and a failing fixture.
 * Self-contained (no __tests__/helpers import) so it needs neither the CLI nor dist/.
 */
import * as path from "node:path";
import { sourceFromObjects } from "../../lib/config/load";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { TerraformStack, Testing } from "../../lib/facade/cdktf";
import { checkDir, checkStacks, memoryScope, validateSource } from "../../lib/pipeline";
import { classify } from "../../lib/review/replacement";
import { inRange } from "../../lib/targets/shared/network-plan";
import { inspectSwarmStack } from "../../lib/targets/swarm/swarm-inspect";
import { SwarmEnvironment } from "../../lib/targets/swarm/swarm-environment";
import { EnvironmentModel } from "../../lib/model/environment";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REFERENCE_APP = path.join(__dirname, "..", "..", "examples", "reference-app");
const DIGEST = `sha256:${"a".repeat(64)}`;

function app(over: Partial<AppConfig> = {}): AppConfig {
  return {
    name: "demo",
    services: {
      web: { image: "ghcr.io/acme/web", public: true, ports: [{ name: "http", port: 8080 }], health: { http: { path: "/healthz", port: "http" } }, connections: [{ to: "api", port: "http" }] },
      api: { image: "ghcr.io/acme/api", ports: [{ name: "http", port: 3000 }], health: { http: { path: "/health", port: "http" } }, secrets: ["api_token"], connections: [{ to: "db", port: "pg" }] },
      db: { image: "docker.io/library/postgres", kind: "stateful", ports: [{ name: "pg", port: 5432 }], health: { command: ["pg_isready"] }, volumes: [{ name: "data", path: "/var/lib/postgresql/data" }], security: { user: "70:70" }, secrets: ["api_token"] },
    },
    ...over,
  };
}

function swarmEnv(over: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return { target: "swarm", release: { web: "1.0.0", api: "1.0.0", db: "16.4" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over } as EnvironmentConfig;
}

/** A production-like Swarm environment that passes every other guardrail. */
function mandatoryEnv(over: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return swarmEnv({
    release: { web: `1.0.0@${DIGEST}`, api: `1.0.0@${DIGEST}`, db: `16.4@${DIGEST}` },
    backend: { type: "s3", bucket: "state", key: "demo.tfstate", region: "eu-west-1" },
    policy: { enforcement: "mandatory" },
    services: { web: { replicas: 2 }, api: { replicas: 2 } },
    ...over,
  } as Partial<EnvironmentConfig>);
}

function resolved(a: AppConfig, env: EnvironmentConfig) {
  return validateSource(sourceFromObjects(a, { s: env }));
}

function configErrors(a: AppConfig, env: EnvironmentConfig): string {
  const r = resolved(a, env);
  return r.configIssues.map(formatIssue).join("\n");
}

function modelOf(a: AppConfig, env: EnvironmentConfig): EnvironmentModel {
  const r = resolved(a, env);
  const errors = r.configIssues.filter((i) => i.severity !== "warning");
  if (errors.length || !r.environments[0]) throw new Error(errors.map(formatIssue).join("\n") || "not resolved");
  return r.environments[0].model;
}

function synth(m: EnvironmentModel): Json {
  const stack = new TerraformStack(Testing.app(), "s");
  new SwarmEnvironment(stack, "swarm", { environment: m });
  return JSON.parse(Testing.synth(stack)) as Json;
}

const resourcesOf = (json: Json, type: string): Json[] => Object.values((json.resource?.[type] ?? {}) as Record<string, Json>);
const service = (json: Json, name: string): Json => {
  const s = resourcesOf(json, "docker_service").find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

/** Rule ids of every finding (model and JSON pass) of one environment, graded. */
function findings(a: AppConfig, env: EnvironmentConfig): { rule: string; severity: string; path: string; message: string }[] {
  const project = resolved(a, env);
  const errors = project.configIssues.filter((i) => i.severity !== "warning");
  if (errors.length) throw new Error(errors.map(formatIssue).join("\n"));
  return checkStacks(project, memoryScope()).policy.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path, message: f.message }));
}

describe("Swarm target: the reference app's swarm stack", () => {
  const checked = checkDir(REFERENCE_APP, "swarm");
  const model = checked.environments.find((e) => e.model.name === "swarm")!.model;
  const json = synth(model);
  const services = resourcesOf(json, "docker_service");

  it("validates without errors (the project-wide rules included: subnets, promotion)", () => {
    expect(checked.issues.filter((i) => i.severity !== "warning").map(formatIssue)).toEqual([]);
    expect(checkDir(REFERENCE_APP).issues.filter((i) => i.severity !== "warning").map(formatIssue)).toEqual([]);
  });

  it("runs every service (and the backups of db and cache) as a replicated docker_service with a hardened container", () => {
    expect(services.map((s) => s.name).sort()).toEqual(["shop-swarm-api", "shop-swarm-cache", "shop-swarm-cache-backup", "shop-swarm-db", "shop-swarm-db-backup", "shop-swarm-web", "shop-swarm-worker"]);
    for (const s of services) {
      const c = s.task_spec.container_spec;
      expect(s.mode.replicated.replicas).toBeGreaterThanOrEqual(1);
      expect(c.user).toMatch(/^[1-9]\d*:\d+$/);
      expect(c.read_only).toBe(true);
      expect(c.cap_drop).toEqual(["ALL"]);
      expect(c.healthcheck.test.length).toBeGreaterThan(1);
      // No stopSignal set: the image's STOPSIGNAL (nginx stops on SIGQUIT), not an imposed SIGTERM.
      expect(c.stop_signal).toBeUndefined();
      expect(c.stop_grace_period).toBe("30s");
      expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(s.task_spec.resources.limits.nano_cpus).toBeGreaterThan(0);
      expect(s.task_spec.resources.limits.memory_bytes).toBeGreaterThan(0);
      expect(s.task_spec.resources.reservation.nano_cpus).toBeGreaterThan(0);
      expect(s.task_spec.resources.reservation.memory_bytes).toBeGreaterThan(0);
      // The backups' scheduler loop is restarted whatever its exit (it exits 0 when stopped).
      expect(s.task_spec.restart_policy).toEqual({ condition: s.name.endsWith("-backup") ? "any" : "on-failure", delay: "5s", max_attempts: s.name.endsWith("-backup") ? 0 : 5, window: "2m" });
      expect(s.task_spec.log_driver).toEqual({ name: "json-file", options: { "max-size": "10m", "max-file": "3" } });
      expect(JSON.stringify(s)).not.toContain("docker.sock");
    }
  });

  it("updates one task at a time behind the health check, rolls back on failure, and apply waits for the outcome", () => {
    for (const s of services) {
      expect(s.update_config).toMatchObject({ parallelism: 1, delay: "10s", failure_action: "rollback", monitor: "30s", max_failure_ratio: "0" });
      expect(s.rollback_config).toMatchObject({ parallelism: 1, failure_action: "pause", monitor: "30s", max_failure_ratio: "0" });
      expect(s.converge_config).toEqual({ delay: "7s", timeout: "5m" });
    }
  });

  it("starts new tasks first for stateless services and stops the old one first for stateful ones (two postgres on one volume corrupt it)", () => {
    for (const name of ["web", "api", "worker"]) expect(service(json, `shop-swarm-${name}`).update_config.order).toBe("start-first");
    for (const name of ["db", "cache", "db-backup", "cache-backup"]) expect(service(json, `shop-swarm-${name}`).update_config.order).toBe("stop-first");
  });

  it("publishes only the public service", () => {
    const published = services.filter((s) => s.endpoint_spec.ports?.length).map((s) => s.name);
    expect(published).toEqual(["shop-swarm-web"]);
    expect(service(json, "shop-swarm-web").endpoint_spec.ports).toEqual([{ name: "http", protocol: "tcp", target_port: 8080, published_port: 8080, publish_mode: "ingress" }]);
  });

  it("pins the stateful services to the node labelled for them and spreads the stateless ones", () => {
    expect(service(json, "shop-swarm-db").task_spec.placement.constraints).toEqual(["node.labels.envkit.shop.swarm.db == true"]);
    expect(service(json, "shop-swarm-cache").task_spec.placement.constraints).toEqual(["node.labels.envkit.shop.swarm.cache == true"]);
    // Their backups run on the same node (where the backups stay).
    expect(service(json, "shop-swarm-db-backup").task_spec.placement.constraints).toEqual(["node.labels.envkit.shop.swarm.db == true"]);
    expect(service(json, "shop-swarm-cache-backup").task_spec.placement.constraints).toEqual(["node.labels.envkit.shop.swarm.cache == true"]);
    for (const name of ["web", "api", "worker"]) expect(service(json, `shop-swarm-${name}`).task_spec.placement.prefs).toEqual(["node.labels.zone"]);
  });

  it("carves one overlay network per connection (and per backup job) from the environment's range, internal except the front", () => {
    const nets = resourcesOf(json, "docker_network");
    expect(nets.length).toBe(8);
    expect(nets.map((n) => n.name)).toEqual(expect.arrayContaining(["shop-swarm-db-backup", "shop-swarm-cache-backup"]));
    for (const n of nets) {
      expect(n.driver).toBe("overlay");
      expect(n.attachable).toBe(false);
      expect(n.internal).toBe(n.name !== "shop-swarm-front");
      expect(inRange(model.subnet!, n.ipam_config[0].subnet)).toBe(true);
      expect(n.options).toBeUndefined();
    }
  });

  it("joins networks by id, so a refresh (Swarm stores ids) does not replace the service", () => {
    for (const s of services) for (const n of s.task_spec.networks_advanced) expect(n.name).toMatch(/^\$\{docker_network\.[^.]+\.id\}$/);
  });

  it("mounts each secret from a revisioned docker_secret at /run/secrets/<name>, owned by the service user, mode 0400", () => {
    const secrets = resourcesOf(json, "docker_secret");
    expect(secrets.map((s) => s.name).sort()).toEqual(["shop-swarm-db_password-r1", "shop-swarm-jwt_secret-r1"]);
    for (const s of secrets) {
      expect(s.lifecycle).toEqual({ create_before_destroy: true });
      expect(s.data).toMatch(/^\$\{base64encode\(var\.[a-z_]+\)\}$/);
    }
    const api = service(json, "shop-swarm-api").task_spec.container_spec;
    expect(api.secrets.map((r: Json) => [r.file_name, r.file_uid, r.file_gid, r.file_mode])).toEqual([
      ["db_password", "10001", "10001", 0o400],
      ["jwt_secret", "10001", "10001", 0o400],
    ]);
    expect(api.env.DB_PASSWORD_FILE).toBe("/run/secrets/db_password");
    expect(service(json, "shop-swarm-db").task_spec.container_spec.secrets[0]).toMatchObject({ file_uid: "70", file_gid: "70" });
  });

  it("reports that docker_secret keeps each value in Terraform state (ENVK-SEC-010, suppressed with its reason in the reference app), naming the variable and never a value", () => {
    const view = inspectSwarmStack(json);
    expect(view.secretLeaks).toEqual([]);
    expect(view.stateExposures!.length).toBe(2);
    expect(view.stateExposures![0].message).toMatch(/stores the value of var\.db_password in Terraform state/);
    expect(checked.policy.findings.filter((f) => f.rule === "ENVK-SEC-001")).toEqual([]);
    expect(checked.policy.suppressed.filter((f) => f.rule === "ENVK-SEC-010").length).toBe(2);
  });

  it("gives writable paths an empty tmpfs without tmpfs_options (3.6.2 panics on size_bytes)", () => {
    const db = service(json, "shop-swarm-db").task_spec.container_spec;
    expect(db.mounts).toEqual([
      { type: "volume", source: "shop-swarm-db-data", target: "/var/lib/postgresql/data" },
      { type: "tmpfs", target: "/tmp" },
      { type: "tmpfs", target: "/var/run/postgresql" },
    ]);
    expect(JSON.stringify(json)).not.toContain("tmpfs_options");
  });
});

describe("Swarm target: a release bump is a rolling update, never a replacement", () => {
  const before = synth(modelOf(app(), swarmEnv()));
  const after = synth(modelOf(app(), swarmEnv({ release: { web: "1.0.0", api: "1.1.0", db: "16.4" } })));

  it("carries no version label (labels are ForceNew on docker_service: a label change would replace it)", () => {
    for (const s of resourcesOf(before, "docker_service")) {
      expect(s.labels.map((l: Json) => l.label)).not.toContain("app.kubernetes.io/version");
      expect(s.task_spec.container_spec.labels.map((l: Json) => l.label)).not.toContain("app.kubernetes.io/version");
    }
  });

  it("changes only the image of the bumped service, which the provider updates in place", () => {
    const a = service(before, "demo-s-api");
    const b = service(after, "demo-s-api");
    expect(b.task_spec.container_spec.image).toBe("ghcr.io/acme/api:1.1.0");
    expect({ ...b, task_spec: { ...b.task_spec, container_spec: { ...b.task_spec.container_spec, image: a.task_spec.container_spec.image } } }).toEqual(a);
    expect(classify("docker_service", "task_spec.container_spec.image")).toBe("in-place");
    expect(classify("docker_service", "labels.value")).toBe("replace");
  });
});

describe("Swarm target: settings", () => {
  it("publishes on the node itself with publishMode host, and then stops the old task first (the port is taken)", () => {
    const json = synth(modelOf(app(), swarmEnv({ swarm: { publishMode: "host" } } as Partial<EnvironmentConfig>)));
    expect(service(json, "demo-s-web").endpoint_spec.ports[0].publish_mode).toBe("host");
    expect(service(json, "demo-s-web").update_config.order).toBe("stop-first");
    expect(service(json, "demo-s-api").update_config.order).toBe("start-first");
  });

  it("pins a stateful service to a hostname from swarm.nodes, adds the environment's constraints everywhere", () => {
    const json = synth(modelOf(app(), swarmEnv({ swarm: { nodes: { db: "node-3" }, constraints: ["node.role == worker"] } } as Partial<EnvironmentConfig>)));
    expect(service(json, "demo-s-db").task_spec.placement.constraints).toEqual(["node.role == worker", "node.hostname == node-3"]);
    expect(service(json, "demo-s-api").task_spec.placement.constraints).toEqual(["node.role == worker"]);
  });

  it("encrypts the overlay networks on request", () => {
    const json = synth(modelOf(app(), swarmEnv({ swarm: { encryptNetworks: true } } as Partial<EnvironmentConfig>)));
    for (const n of resourcesOf(json, "docker_network")) expect(n.options).toEqual({ encrypted: "true" });
  });

  it("limits replicas per node for stateless services only", () => {
    const json = synth(modelOf(app(), swarmEnv({ swarm: { maxReplicasPerNode: 1 } } as Partial<EnvironmentConfig>)));
    expect(service(json, "demo-s-api").task_spec.placement.max_replicas).toBe(1);
    expect(service(json, "demo-s-db").task_spec.placement.max_replicas).toBeUndefined();
  });

  it("does not wait for convergence when converge is false", () => {
    const json = synth(modelOf(app(), swarmEnv({ swarm: { converge: false } } as Partial<EnvironmentConfig>)));
    expect(service(json, "demo-s-api").converge_config).toBeUndefined();
  });

  // Hostile or mistaken inputs, each refused with the field path and the fix.
  it.each([
    ["a privileged service (the service spec cannot express it)", { services: { api: { security: { privileged: true } } } }, /services\.api\.security\.privileged: Swarm services cannot run privileged/],
    ["an unconfined seccomp profile (tasks always get the default profile)", { services: { api: { security: { seccompProfile: "Unconfined" } } } }, /services\.api\.security\.seccompProfile: "Unconfined": Swarm tasks always run with the engine's default seccomp profile/],
    ["autoscaling (Swarm has none)", { services: { api: { autoscaling: { minReplicas: 2, maxReplicas: 4 } } } }, /services\.api\.autoscaling: Swarm has no autoscaler/],
    ["two replicas of a stateful service (one local volume)", { services: { db: { replicas: 2 } } }, /services\.db\.replicas: stateful service "db" has 2 replicas/],
    ["a node pin for a stateless service", { swarm: { nodes: { api: "node-1" } } }, /swarm\.nodes\.api: "api" is not a stateful service of this environment/],
    ["a service both pinned and unpinned", { swarm: { nodes: { db: "node-1" }, unpinned: ["db"] } }, /swarm\.unpinned\.0: "db" is both pinned/],
    ["a constraint that is not Swarm syntax", { swarm: { constraints: ["node.role = worker"] } }, /swarm\.constraints\.0: must be a Swarm constraint/],
    ["a hostname with an operator in it (constraint injection)", { swarm: { nodes: { db: "x != y" } } }, /swarm\.nodes\.db: must be a node hostname/],
    ["a spread that is not a node label", { swarm: { spread: "node.id" } } , /swarm\.spread: must be a node label/],
    ["a password in the manager address", { swarm: { host: "tcp://admin:hunter2@10.0.0.1:2376" } }, /swarm\.host: "tcp:\/\/admin:\*\*\*@10\.0\.0\.1:2376" embeds a password/],
    ["a range overlapping Swarm's ingress network", { network: { subnet: "10.0.0.0/16" } }, /network\.subnet: "10\.0\.0\.0\/16" overlaps 10\.0\.0\.0\/24, the subnet of Swarm's ingress network/],
    ["a quota (Swarm reads none)", { quota: { cpu: "2" } }, /quota.*has no effect/],
  ])("refuses %s", (_what, over, message) => {
    const text = configErrors(app(), swarmEnv(over as Partial<EnvironmentConfig>));
    expect(text).toMatch(message);
    expect(text).not.toContain("hunter2");
  });
});

describe("Swarm guardrails (each with a passing and a failing fixture)", () => {
  const ids = (a: AppConfig, env: EnvironmentConfig): string[] => findings(a, env).map((f) => f.rule);

  it("the mandatory fixture passes the Swarm rules with the defaults and a spread", () => {
    const rules = ids(app(), mandatoryEnv({ swarm: { spread: "node.labels.zone" } } as Partial<EnvironmentConfig>));
    expect(rules.filter((r) => r.startsWith("ENVK-SWM"))).toEqual([]);
  });

  it("ENVK-SWM-001: a mandatory environment whose failed updates pause instead of rolling back", () => {
    const f = findings(app(), mandatoryEnv({ swarm: { spread: "node.labels.zone", failureAction: "pause" } } as Partial<EnvironmentConfig>)).filter((x) => x.rule === "ENVK-SWM-001");
    expect(f).toEqual([expect.objectContaining({ severity: "error", path: "swarm.failureAction", message: expect.stringMatching(/failureAction "pause": a release whose tasks fail their health check is left half rolled out/) })]);
  });

  it("ENVK-SWM-001: a mandatory environment whose apply does not wait for convergence", () => {
    const f = findings(app(), mandatoryEnv({ swarm: { spread: "node.labels.zone", converge: false } } as Partial<EnvironmentConfig>)).filter((x) => x.rule === "ENVK-SWM-001");
    expect(f.map((x) => x.path)).toEqual(["swarm.converge"]);
  });

  it("ENVK-SWM-001 does not apply in advisory environments", () => {
    expect(ids(app(), swarmEnv({ swarm: { failureAction: "pause" } } as Partial<EnvironmentConfig>))).not.toContain("ENVK-SWM-001");
  });

  it("ENVK-SWM-002: replicated stateless services with no spread in a mandatory environment", () => {
    const f = findings(app(), mandatoryEnv()).filter((x) => x.rule === "ENVK-SWM-002");
    expect(f.map((x) => x.path).sort()).toEqual(["services.api.replicas", "services.web.replicas"]);
    expect(f[0].message).toMatch(/have no spread .* so one node failure can take every replica/);
  });

  it("ENVK-SWM-002: maxReplicasPerNode below the replica count is a spread; equal to it is not", () => {
    expect(ids(app(), mandatoryEnv({ swarm: { maxReplicasPerNode: 1 } } as Partial<EnvironmentConfig>))).not.toContain("ENVK-SWM-002");
    expect(ids(app(), mandatoryEnv({ swarm: { maxReplicasPerNode: 2 } } as Partial<EnvironmentConfig>))).toContain("ENVK-SWM-002");
  });

  it("ENVK-SWM-003: an unpinned stateful service, in every environment", () => {
    const f = findings(app(), swarmEnv({ swarm: { unpinned: ["db"] } } as Partial<EnvironmentConfig>)).filter((x) => x.rule === "ENVK-SWM-003");
    expect(f).toEqual([expect.objectContaining({ severity: "warning", path: "swarm.unpinned", message: expect.stringMatching(/stateful service "db" is not pinned to a node/) })]);
    expect(ids(app(), swarmEnv())).not.toContain("ENVK-SWM-003");
  });

  it("ENVK-NET-003: a tcp:// manager without certificates", () => {
    const f = findings(app(), swarmEnv({ swarm: { host: "tcp://10.0.0.5:2375" } } as Partial<EnvironmentConfig>)).filter((x) => x.rule === "ENVK-NET-003");
    expect(f).toEqual([expect.objectContaining({ path: "swarm.host", message: expect.stringMatching(/2375 is the engine's port for the API without TLS\) and swarm\.certPath is not set/) })]);
    expect(ids(app(), swarmEnv({ swarm: { host: "tcp://10.0.0.5:2376", certPath: "/etc/certs" } } as Partial<EnvironmentConfig>))).not.toContain("ENVK-NET-003");
  });

  it("ENVK-SEC-003: Swarm cannot set no-new-privileges per service, and says so at the target", () => {
    const f = findings(app(), swarmEnv()).filter((x) => x.rule === "ENVK-SEC-003");
    expect(f.length).toBe(3);
    expect(f.every((x) => x.path === "target")).toBe(true);
  });

  it("ENVK-NET-001: the routing mesh publishes the public service on every interface", () => {
    const f = findings(app(), swarmEnv()).filter((x) => x.rule === "ENVK-NET-001");
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/publishes 0\.0\.0\.0:8080 on all interfaces/)]);
  });

  it("the JSON pass sees an escape hatch: an override that makes the root filesystem writable is found (ENVK-SEC-006)", () => {
    const m = modelOf(app(), swarmEnv());
    const stack = new TerraformStack(Testing.app(), "s");
    const env = new SwarmEnvironment(stack, "swarm", { environment: m });
    env.services.get("api")!.service.addOverride("task_spec.container_spec.read_only", false);
    const synthesized = JSON.parse(Testing.synth(stack)) as Json;
    const view = inspectSwarmStack(synthesized);
    expect(view.workloads.find((w) => w.service === "api")!.readOnlyRootFilesystem).toBe(false);
    expect(view.workloads.find((w) => w.service === "web")!.readOnlyRootFilesystem).toBe(true);
  });
});
