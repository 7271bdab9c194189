import fc from "fast-check";
import { AppConfig } from "../../lib/config/schema";
import { TerraformStack, Testing } from "../../lib/facade/cdktf";
import { EnvironmentModel, ServiceModel } from "../../lib/model/environment";
import { forcesReplacement, notAppliedInPlace } from "../../lib/review/replacement";
import { inspectDockerStack } from "../../lib/targets/docker/docker-inspect";
import { DockerEnvironment } from "../../lib/targets/docker/docker-environment";
import { tmpfsOptions, tmpfsSize } from "../../lib/targets/docker/docker-service";
import { inRange } from "../../lib/targets/docker/network-plan";
import { dockerEnv, miniApp, referenceEnvironments, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const synthOne = (app: AppConfig, env = dockerEnv(), name = "dev"): Json => synthJson([resolveOne(app, name, env)]).get(name)!;
/** Synthesizes a model directly (no validation): what DockerService does with a model a check let through. */
const synthModel = (m: EnvironmentModel): Json => {
  const stack = new TerraformStack(Testing.app(), "s");
  new DockerEnvironment(stack, "docker", { environment: m });
  return JSON.parse(Testing.synth(stack)) as Json;
};
/** A container or seed name without its replacement hash (rolling sets carry one; see docker-service.ts). */
const unhashed = (name: string): string => name.replace(/-[0-9a-f]{8}(-\d+)$/, "$1").replace(/-secrets-seed-[0-9a-f]{8}$/, "-secrets-seed");
const withService = (m: EnvironmentModel, name: string, f: (s: ServiceModel) => ServiceModel): EnvironmentModel => ({ ...m, services: m.services.map((s) => (s.name === name ? f(s) : s)) });
const container = (json: Json, name: string): Json => {
  // A surged (rolling) container's name carries a hash of what replaces it: <app>-<env>-<svc>-<hash>-<i>.
  const c = resourcesOf(json, "docker_container").find((x) => x.name === name || unhashed(String(x.name)) === name);
  if (!c) throw new Error(`no container ${name}; have ${resourcesOf(json, "docker_container").map((x) => x.name).join(", ")}`);
  return c;
};

describe("Docker target: the reference app's dev and test stacks", () => {
  const stacks = synthJson(referenceEnvironments().filter((e) => e.model.target === "docker"));

  it.each(["dev", "test"])("%s: every container is hardened", (env) => {
    const json = stacks.get(env)!;
    // The five services; the envkit proxy (in front of the public rolling web) is judged in
    // strategies/docker-strategies.test.ts, the backup jobs in backup.test.ts.
    const containers = resourcesOf(json, "docker_container").filter((c) => c.start !== false && c.name !== `shop-${env}-proxy` && !String(c.name).endsWith("-backup"));
    // With the monitoring set: Prometheus, Alertmanager, Grafana and cAdvisor, hardened alike.
    expect(containers.length).toBe(9);
    for (const c of containers) {
      expect(c.healthcheck?.test?.length).toBeGreaterThan(0);
      expect(c.memory).toBeGreaterThan(0);
      expect(c.cpus).toBeUndefined();
      expect(c.cpu_period).toBe(100_000);
      expect(c.cpu_quota).toBeGreaterThanOrEqual(1000);
      expect(c.destroy_grace_seconds).toBe(30);
      expect(c.must_run).toBe(false);
      expect(c.user).toMatch(/^[1-9]\d*:\d+$/);
      expect(c.read_only).toBe(true);
      expect(c.capabilities.drop).toEqual(["ALL"]);
      expect(c.security_opts).toContain("no-new-privileges:true");
      expect(c.log_driver).toBe("json-file");
      expect(c.log_opts).toEqual({ "max-size": "10m", "max-file": "3" });
      expect(c.restart).toBe("on-failure");
      expect(c.max_retry_count).toBe(5);
      expect(c.networks_advanced.length).toBeGreaterThan(0);
      expect(c.privileged).toBe(false);
      expect(JSON.stringify(c)).not.toContain("docker.sock");
    }
  });

  it.each(["dev", "test"])("%s: every image is pinned to the release and kept locally, never built", (env) => {
    for (const img of resourcesOf(stacks.get(env)!, "docker_image").filter((i) => !String(i.name).startsWith("haproxy:"))) {
      expect(img.name).toMatch(/:[0-9][\w.-]*$/);
      expect(img.keep_locally).toBe(true);
      expect(img.build).toBeUndefined();
    }
  });

  it("gives dev and test different subnets, each inside its environment range", () => {
    const subnets = (env: string) => resourcesOf(stacks.get(env)!, "docker_network").map((n) => n.ipam_config[0].subnet as string);
    const dev = subnets("dev");
    const test = subnets("test");
    expect(dev.filter((s) => test.includes(s))).toEqual([]);
    const [devEnv, testEnv] = ["dev", "test"].map((n) => referenceEnvironments().find((e) => e.model.name === n)!.model.subnet!);
    for (const s of dev) expect(inRange(devEnv, s)).toBe(true);
    for (const s of test) expect(inRange(testEnv, s)).toBe(true);
  });

  it("runs postgres and redis non-root with the tmpfs mounts they need", () => {
    const json = stacks.get("dev")!;
    const db = container(json, "shop-dev-db-1");
    expect(db.user).toBe("70:70");
    expect(Object.keys(db.tmpfs).sort()).toEqual(["/tmp", "/var/run/postgresql"]);
    const cache = container(json, "shop-dev-cache-1");
    expect(cache.user).toBe("999:999");
    expect(cache.tmpfs).toEqual({ "/tmp": "rw,noexec,nosuid,size=64m,uid=999,gid=999,mode=0700" });
    expect(Object.values(db.tmpfs)).toEqual(["rw,noexec,nosuid,size=64m,uid=70,gid=70,mode=0700", "rw,noexec,nosuid,size=64m,uid=70,gid=70,mode=0700"]);
  });

  it("reports every container as CPU- and memory-limited to the guardrails (cpu_quota counts, as cpus did)", () => {
    for (const env of ["dev", "test"]) for (const w of inspectDockerStack(stacks.get(env)! as never).workloads) expect({ w: w.resource, limited: w.hasLimits }).toEqual({ w: w.resource, limited: true });
  });

  it("keeps secrets out of the JSON: sensitive variables without default, files under /run/secrets", () => {
    const json = stacks.get("dev")!;
    expect(json.variable.db_password).toEqual(expect.objectContaining({ sensitive: true, type: "string" }));
    expect(json.variable.db_password.default).toBeUndefined();
    const api = container(json, "shop-dev-api-1");
    expect(api.env).toContain("DB_PASSWORD_FILE=/run/secrets/db_password");
    expect(api.upload).toBeUndefined();
    expect(container(json, "shop-dev-api-secrets-seed").upload).toEqual(expect.arrayContaining([{ file: "/run/secrets/db_password", content: "${var.db_password}", permissions: "0444" }]));
  });
});

describe("Docker target: defaults and their overrides", () => {
  it("names everything <app>-<env>-<purpose> and labels containers with app, env, service and version", () => {
    const json = synthOne(miniApp());
    const api = container(json, "demo-dev-api-1");
    const labels = Object.fromEntries(api.labels.map((l: Json) => [l.label, l.value]));
    expect(labels).toMatchObject({ "app.kubernetes.io/part-of": "demo", "envkit.dev/environment": "dev", "app.kubernetes.io/name": "api", "app.kubernetes.io/version": "1.0.0" });
    expect(resourcesOf(json, "docker_network").map((n) => n.name).sort()).toEqual(["demo-dev-api-to-db", "demo-dev-front", "demo-dev-web-to-api"]);
    expect(resourcesOf(json, "docker_volume").map((v) => v.name).sort()).toEqual(["demo-dev-api-secrets", "demo-dev-db-data", "demo-dev-proxy-config"]);
  });

  it("puts only public services on the non-internal front network; connection networks are internal", () => {
    const json = synthOne(miniApp());
    const nets = Object.fromEntries(resourcesOf(json, "docker_network").map((n) => [n.name, n]));
    expect(nets["demo-dev-front"].internal).toBe(false);
    expect(nets["demo-dev-web-to-api"].internal).toBe(true);
    expect(nets["demo-dev-api-to-db"].internal).toBe(true);
    const netNames = (c: Json) => c.networks_advanced.map((n: Json) => n.name as string).sort();
    expect(netNames(container(json, "demo-dev-web-1"))).toEqual([expect.stringMatching(/^\$\{docker_network\.docker_network-front_\w+\.name\}$/), expect.stringMatching(/^\$\{docker_network\.docker_network-web-to-api_\w+\.name\}$/)]);
    // db joins only the api-to-db network: web cannot reach it (no declared connection).
    expect(netNames(container(json, "demo-dev-db-1"))).toHaveLength(1);
    expect(netNames(container(json, "demo-dev-db-1"))[0]).toContain("api-to-db");
  });

  it("gives an unconnected internal service its own network, never the default bridge", () => {
    const app: AppConfig = { name: "demo", services: { batch: { image: "acme/batch", health: { command: ["true"] } } } };
    const json = synthOne(app, dockerEnv({ release: { batch: "1" } }));
    expect(resourcesOf(json, "docker_network").map((n) => n.name)).toEqual(["demo-dev-batch-isolated"]);
    expect(container(json, "demo-dev-batch-1").network_mode).toBeUndefined();
  });

  it("publishes only public services, on loopback by default, and on the configured address otherwise (recreate: on the service's container)", () => {
    const json = synthOne(miniApp(), dockerEnv({ rollout: { strategy: "recreate" } }));
    expect(container(json, "demo-dev-web-1").ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(container(json, "demo-dev-api-1").ports).toBeUndefined();
    const open = synthOne(miniApp(), dockerEnv({ rollout: { strategy: "recreate" }, docker: { publishAddress: "0.0.0.0" }, services: { web: { ports: [{ name: "http", hostPort: 80 }] } } }));
    expect(container(open, "demo-dev-web-1").ports).toEqual([{ internal: 8080, external: 80, ip: "0.0.0.0", protocol: "tcp" }]);
  });

  it("aliases the server on its connection networks so clients reach it by service name", () => {
    const json = synthOne(miniApp());
    const db = container(json, "demo-dev-db-1");
    expect(db.networks_advanced[0].aliases).toEqual(["db"]);
  });

  it("runs replicas as numbered containers sharing the service alias", () => {
    const json = synthOne(miniApp(), dockerEnv({ services: { api: { replicas: 3 } } }));
    const apis = resourcesOf(json, "docker_container").filter((c) => /^demo-dev-api-\d+$/.test(unhashed(String(c.name))));
    expect(apis.map((c) => unhashed(c.name)).sort()).toEqual(["demo-dev-api-1", "demo-dev-api-2", "demo-dev-api-3"]);
    for (const c of apis) expect(c.networks_advanced.find((n: Json) => String(n.name).includes("web-to-api")).aliases).toEqual(["api"]);
  });

  it("derives limits from the service quantities (memory in MiB, CPUs as a decimal)", () => {
    const json = synthOne(miniApp(), dockerEnv({ services: { api: { resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1500m", memoryLimit: "1Gi" } } } }));
    const api = container(json, "demo-dev-api-1");
    expect(api.memory).toBe(1024);
    expect(api.memory_swap).toBe(1024);
    expect(api.cpu_quota).toBe(150_000);
  });

  it("never emits `cpus`, which crashes kreuzwerker/docker 3.6.2: cpu_quota = millicores × 100 over a 100 ms period", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 1024 * 1000 }), (milli) => {
        const m = withService(resolveOne(miniApp(), "dev", dockerEnv()).model, "api", (s) => ({ ...s, resources: { ...s.resources, cpuLimitMillis: milli } }));
        const api = container(synthModel(m), "demo-dev-api-1");
        expect(api.cpus).toBeUndefined();
        expect(api.cpu_period).toBe(100_000);
        expect(api.cpu_quota).toBe(milli * 100);
        expect(Number.isSafeInteger(api.cpu_quota)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it("defaults: CPU limit twice the request, memory limit equal to the request", () => {
    const api = container(synthOne(miniApp(), dockerEnv({ services: { api: { resources: { cpu: "300m", memory: "200Mi" } } } })), "demo-dev-api-1");
    expect(api.cpu_quota).toBe(60_000);
    expect(api.memory).toBe(200);
  });

  it("gives each writable-path tmpfs to the service user (runc leaves it root-owned otherwise)", () => {
    const json = synthOne(miniApp(), dockerEnv({ services: { api: { writablePaths: ["/tmp", "/var/cache/api"], security: { user: "10001:10001" } } } }));
    expect(container(json, "demo-dev-api-1").tmpfs).toEqual({
      "/tmp": "rw,noexec,nosuid,size=64m,uid=10001,gid=10001,mode=0700",
      "/var/cache/api": "rw,noexec,nosuid,size=64m,uid=10001,gid=10001,mode=0700",
    });
    expect(container(json, "demo-dev-web-1").tmpfs).toEqual({ "/tmp": "rw,noexec,nosuid,size=64m,uid=10001,gid=10001,mode=0700" });
  });

  it("keeps Docker's tmpfs defaults for a root service, so an entrypoint that drops privileges can still write", () => {
    const json = synthOne(miniApp(), dockerEnv({ services: { api: { security: { runAsNonRoot: false, user: "0:0" } } } }));
    expect(container(json, "demo-dev-api-1").tmpfs).toEqual({ "/tmp": "rw,noexec,nosuid,size=64m" });
  });

  it("sizes the writable tmpfs from the service's writable size when the model has one, 64 MiB otherwise", () => {
    const m = withService(resolveOne(miniApp(), "dev", dockerEnv()).model, "api", (s) => ({ ...s, writableSizeBytes: 256 * 1024 * 1024 }) as ServiceModel);
    const json = synthModel(m);
    expect(container(json, "demo-dev-api-1").tmpfs["/tmp"]).toBe("rw,noexec,nosuid,size=256m,uid=10001,gid=10001,mode=0700");
    expect(container(json, "demo-dev-web-1").tmpfs["/tmp"]).toContain(",size=64m,");
  });

  it.each([0, -1, 1.5, Number.NaN])("refuses a writable size of %s bytes rather than an unlimited (size=0) or broken tmpfs", (bytes) => {
    const m = withService(resolveOne(miniApp(), "dev", dockerEnv()).model, "api", (s) => ({ ...s, writableSizeBytes: bytes }) as ServiceModel);
    expect(() => synthModel(m)).toThrow(/^services\.api\.writableSize: .* bytes is not a tmpfs size; use a positive size such as "64Mi"$/);
  });

  it("renders tmpfs sizes the kernel reads back exactly: whole MiB as <n>m, anything else in bytes, never a fraction", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (bytes) => {
        const s = tmpfsSize(bytes);
        expect(s).toMatch(/^\d+m?$/);
        expect(s.endsWith("m") ? Number(s.slice(0, -1)) * 1024 * 1024 : Number(s)).toBe(bytes);
        expect(tmpfsOptions(1, 1, bytes).split(",")).toContain(`size=${s}`);
      }),
    );
  });

  it("stops with a 30 s grace period on destroy and replacement instead of SIGKILL at once", () => {
    for (const c of resourcesOf(synthOne(miniApp()), "docker_container").filter((c) => c.start !== false)) {
      expect({ name: c.name, grace: c.destroy_grace_seconds, stop: c.stop_timeout }).toEqual({ name: c.name, grace: 30, stop: 30 });
    }
  });

  it("does not set must_run, so a plan's refresh never deletes a stopped container (and its logs)", () => {
    for (const c of resourcesOf(synthOne(miniApp()), "docker_container")) expect(c.must_run).toBe(false);
  });

  it("refuses to lower a Localhost seccomp profile to Docker rather than emit seccomp=<path>, which the engine cannot start", () => {
    const m = withService(resolveOne(miniApp(), "dev", dockerEnv()).model, "api", (s) => ({ ...s, security: { ...s.security, seccompProfile: "Localhost/profiles/api.json" } }));
    expect(() => synthModel(m)).toThrow(/^services\.api\.security\.seccompProfile: "Localhost\/profiles\/api\.json" cannot be lowered to Docker .*use "RuntimeDefault" on Docker$/);
  });

  it("builds the health check from the health spec and waits for healthy", () => {
    const json = synthOne(miniApp());
    const web = container(json, "demo-dev-web-1");
    expect(web.healthcheck).toEqual({ test: ["CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:8080/healthz' || exit 1"], interval: "10s", timeout: "5s", retries: 3, start_period: "30s" });
    expect(web.wait).toBe(true);
    expect(web.wait_timeout).toBe(30 + 10 * 4 + 30);
    expect(container(json, "demo-dev-db-1").healthcheck.test).toEqual(["CMD", "pg_isready"]);
  });

  it("omits health check and wait when the service declares none", () => {
    const app = miniApp();
    delete (app.services.api as { health?: unknown }).health;
    const api = container(synthOne(app), "demo-dev-api-1");
    expect(api.healthcheck).toBeUndefined();
    expect(api.wait).toBe(false);
  });

  it("can switch every hardening default off, per environment", () => {
    const json = synthOne(
      miniApp(),
      dockerEnv({
        services: {
          api: {
            security: { runAsNonRoot: false, user: "0:0", readOnlyRootFilesystem: false, dropCapabilities: [], addCapabilities: ["NET_ADMIN"], noNewPrivileges: false, privileged: true, seccompProfile: "Unconfined" },
            restart: { policy: "unless-stopped" },
            logging: { maxSize: "50m", maxFile: 5 },
          },
        },
      }),
    );
    const api = container(json, "demo-dev-api-1");
    expect(api.user).toBe("0:0");
    expect(api.read_only).toBe(false);
    expect(api.tmpfs).toBeUndefined();
    expect(api.capabilities).toEqual({ drop: [], add: ["NET_ADMIN"] });
    expect(api.security_opts).toEqual(["seccomp=unconfined"]);
    expect(api.cpu_quota).toBeGreaterThan(0);
    expect(api.privileged).toBe(true);
    expect(api.restart).toBe("unless-stopped");
    expect(api.max_retry_count).toBeUndefined();
    expect(api.log_opts).toEqual({ "max-size": "50m", "max-file": "5" });
  });

  it("mounts volumes for stateful services and protects them when asked", () => {
    const plain = synthOne(miniApp());
    const vol = resourcesOf(plain, "docker_volume").find((v) => v.name === "demo-dev-db-data")!;
    expect(vol.lifecycle).toBeUndefined();
    expect(container(plain, "demo-dev-db-1").mounts).toEqual([{ type: "volume", source: expect.stringMatching(/^\$\{docker_volume\.docker_db_volume-data_\w+\.name\}$/), target: "/var/lib/postgresql/data" }]);
    const kept = synthOne(miniApp(), dockerEnv({ volumes: { preventDestroy: true } }));
    expect(resourcesOf(kept, "docker_volume").find((v) => v.name === "demo-dev-db-data")!.lifecycle).toEqual({ prevent_destroy: true });
  });

  it("reads secrets from operator-provided host files when secretsHostDir is set (no upload, no value in state)", () => {
    const json = synthOne(miniApp(), dockerEnv({ docker: { secretsHostDir: "/etc/envkit/secrets/dev" } }));
    const api = container(json, "demo-dev-api-1");
    expect(api.upload).toBeUndefined();
    expect(api.mounts).toEqual([{ type: "bind", source: "/etc/envkit/secrets/dev/api_token", target: "/run/secrets/api_token", read_only: true }]);
  });

  it("uses the local socket by default, and a TLS host's certificate folder (a path, never key material)", () => {
    expect(synthOne(miniApp()).provider.docker).toEqual([{ host: "unix:///var/run/docker.sock" }]);
    const remote = synthOne(miniApp(), dockerEnv({ docker: { host: "tcp://docker.internal:2376", certPath: "/etc/docker/certs/dev" } }));
    expect(remote.provider.docker).toEqual([{ host: "tcp://docker.internal:2376", cert_path: "/etc/docker/certs/dev" }]);
    expect(JSON.stringify(remote)).not.toMatch(/key_material|cert_material|ca_material|BEGIN /);
  });

  it("pins the image to the digest when the release has one", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const json = synthOne(miniApp(), dockerEnv({ release: { web: "1.0.0", api: `1.0.0@${digest}`, db: `@${digest}` } }));
    const names = resourcesOf(json, "docker_image").map((i) => i.name).filter((n) => !n.startsWith("haproxy:")).sort();
    expect(names).toEqual([`docker.io/library/postgres@${digest}`, `ghcr.io/acme/api:1.0.0@${digest}`, "ghcr.io/acme/web:1.0.0"].sort());
  });

  it("maps command to the entrypoint and args to the command, and caps on-failure restarts as configured", () => {
    const json = synthOne(miniApp(), dockerEnv({ services: { api: { command: ["node"], args: ["dist/server.js", "--port", "3000"], restart: { maxRetries: 2 } } } }));
    const api = container(json, "demo-dev-api-1");
    expect(api.entrypoint).toEqual(["node"]);
    expect(api.command).toEqual(["dist/server.js", "--port", "3000"]);
    expect(api.restart).toBe("on-failure");
    expect(api.max_retry_count).toBe(2);
    expect(container(json, "demo-dev-web-1").entrypoint).toBeUndefined();
  });

  it("passes configured env vars, APP_ENV and <NAME>_FILE for secrets, sorted", () => {
    const json = synthOne(miniApp(), dockerEnv({ services: { api: { env: { LOG_LEVEL: "debug" } } } }));
    expect(container(json, "demo-dev-api-1").env).toEqual(["API_TOKEN_FILE=/run/secrets/api_token", "APP_ENV=dev", "LOG_LEVEL=debug"]);
  });

  it("exposes the provider resources as escape hatches", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const de = new DockerEnvironment(stack, "docker", { environment: resolveOne(miniApp(), "dev", dockerEnv()).model });
    de.services.get("api")!.containers[0].addOverride("stop_timeout", 45);
    const json = JSON.parse(Testing.synth(stack)) as Json;
    expect(Object.values(json.resource.docker_container as Record<string, Json>).find((c) => unhashed(c.name) === "demo-dev-api-1")!.stop_timeout).toBe(45);
    expect(de.networks.get("front")!.nameInput).toBe("demo-dev-front");
    expect(de.services.get("db")!.volumes[0].nameInput).toBe("demo-dev-db-data");
  });
});

describe("Docker target: what the guardrails and the review know about the containers", () => {
  const limited = (c: Json): boolean => inspectDockerStack({ resource: { docker_container: { c } } } as never).workloads[0].hasLimits;

  it("counts a positive cpu_quota (or cpus) with memory as limits, and an expression as set", () => {
    expect(limited({ memory: 128, cpu_period: 100_000, cpu_quota: 20_000 })).toBe(true);
    expect(limited({ memory: 128, cpus: "0.5" })).toBe(true);
    expect(limited({ memory: "${var.mem}", cpu_quota: "${var.quota}" })).toBe(true);
  });

  it.each([
    ["cpu_shares is a weight, not a cap", { memory: 128, cpu_shares: 512 }],
    ["cpu_quota -1 is unlimited", { memory: 128, cpu_quota: -1 }],
    ["cpu_quota 0 is unlimited", { memory: 128, cpu_quota: 0 }],
    ["cpus 0 is unlimited", { memory: 128, cpus: "0" }],
    ["memory 0 is unlimited", { memory: 0, cpu_quota: 20_000 }],
    ["no memory limit", { cpu_quota: 20_000 }],
  ])("does not count as limited: %s", (_why, c) => {
    expect(limited(c)).toBe(false);
  });

  it("review: a cpus change replaces the container (ForceNew in 3.6.2), not an in-place update", () => {
    expect(forcesReplacement("docker_container", "cpus")).toBe(true);
  });

  it.each(["restart", "max_retry_count", "cpu_shares", "cpu_set", "memory", "memory_swap"])("review: %s is updated in place (sent by the provider's Update)", (attr) => {
    expect(forcesReplacement("docker_container", attr)).toBe(false);
    expect(notAppliedInPlace("docker_container", attr)).toBe(false);
  });

  it.each(["cpu_period", "cpu_quota", "tmpfs./tmp", "healthcheck.test", "destroy_grace_seconds", "must_run", "wait_timeout", "init"])(
    "review: %s is planned in place but never applied by 3.6.2 (not a replacement)",
    (attr) => {
      expect(forcesReplacement("docker_container", attr)).toBe(false);
      expect(notAppliedInPlace("docker_container", attr)).toBe(true);
    },
  );

  it.each(["image", "env", "stop_timeout", "user", "security_opts", "upload.content"])("review: %s replaces the container", (attr) => {
    expect(forcesReplacement("docker_container", attr)).toBe(true);
    expect(notAppliedInPlace("docker_container", attr)).toBe(false);
  });

  it("review: editing an existing mount is planned in place and never applied; adding or removing one replaces", () => {
    expect(notAppliedInPlace("docker_container", "mounts.source")).toBe(true);
    expect(forcesReplacement("docker_container", "mounts.source")).toBe(true);
  });
});
