import { sourceFromObjects } from "../../lib/config/load";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { TerraformStack, Testing } from "../../lib/facade/cdktf";
import { validateSource } from "../../lib/pipeline";
import { SwarmEnvironment } from "../../lib/targets/swarm/swarm-environment";

/*
 * Delivery strategies on a Docker Swarm, judged on the synthesized JSON: one docker_service per
 * release set, their update_config, aliases, the proxy service and its content-named config, and
 * which resources a switch changes.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The releases without the given services' (blue-green services pin theirs in slots). */
const without = (r: Record<string, string>, ...names: string[]): Record<string, string> => Object.fromEntries(Object.entries(r).filter(([k]) => !names.includes(k)));

const app: AppConfig = {
  name: "demo",
  services: {
    web: { image: "ghcr.io/acme/web", public: true, ports: [{ name: "http", port: 8080 }], health: { http: { path: "/healthz", port: "http" } }, connections: [{ to: "api", port: "http" }] },
    api: { image: "ghcr.io/acme/api", ports: [{ name: "http", port: 3000 }], health: { http: { path: "/health", port: "http" } }, connections: [{ to: "db", port: "pg" }] },
    db: { image: "docker.io/library/postgres", kind: "stateful", ports: [{ name: "pg", port: 5432 }], health: { command: ["pg_isready"] }, volumes: [{ name: "data", path: "/var/lib/postgresql/data" }], security: { user: "70:70" } },
  },
};
const RELEASES = { web: "1.0.0", api: "1.0.0", db: "16.4" };

function swarmEnv(over: Json = {}): EnvironmentConfig {
  return { target: "swarm", release: RELEASES, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over } as EnvironmentConfig;
}

function synth(env: EnvironmentConfig): Json {
  const r = validateSource(sourceFromObjects(app, { s: env }));
  const errors = r.configIssues.filter((i) => i.severity !== "warning");
  if (errors.length) throw new Error(errors.map(formatIssue).join("\n"));
  const stack = new TerraformStack(Testing.app(), "s");
  new SwarmEnvironment(stack, "swarm", { environment: r.environments[0].model });
  return JSON.parse(Testing.synth(stack)) as Json;
}

const services = (json: Json): Json[] => Object.values((json.resource?.docker_service ?? {}) as Record<string, Json>);
const service = (json: Json, name: string): Json => {
  const hit = services(json).filter((s) => s.name === name);
  if (hit.length !== 1) throw new Error(`${name}: ${hit.length}; have ${services(json).map((s) => s.name).join(", ")}`);
  return hit[0];
};
const update = (s: Json): Json => s.update_config[0] ?? s.update_config;
const aliases = (s: Json): string[] => s.task_spec.networks_advanced.flatMap((n: Json) => n.aliases ?? []);
const proxyText = (json: Json): string => Buffer.from(String(Object.values(json.resource.docker_config as Record<string, Json>)[0].data), "base64").toString("utf8");

const blueGreen = (live: "blue" | "green"): EnvironmentConfig => {
  const release = without(RELEASES, "web");
  return swarmEnv({ release, services: { web: { replicas: 2, rollout: { strategy: "blue-green", live, slots: { blue: "1.0.0", green: "1.1.0" } } } } });
};

describe("recreate and rolling on Swarm", () => {
  it("rolling: new task first, as many at once as maxSurge allows, rolled back on failure", () => {
    const json = synth(swarmEnv({ rollout: { maxSurge: "50%" }, services: { api: { replicas: 4 } } }));
    expect(update(service(json, "demo-s-api"))).toMatchObject({ order: "start-first", parallelism: 2, failure_action: "rollback" });
  });

  it("rolling a stateful service stops the old task first (two postgres on one volume corrupt it)", () => {
    expect(update(service(synth(swarmEnv()), "demo-s-db"))).toMatchObject({ order: "stop-first", parallelism: 1 });
  });

  it("recreate: stop-first, every task at once (parallelism 0)", () => {
    expect(update(service(synth(swarmEnv({ rollout: { strategy: "recreate" } })), "demo-s-api"))).toMatchObject({ order: "stop-first", parallelism: 0 });
  });

  it("needs no proxy: the routing mesh publishes a rolling public service", () => {
    const json = synth(swarmEnv());
    expect(services(json).map((s) => s.name).sort()).toEqual(["demo-s-api", "demo-s-db", "demo-s-web"]);
    expect(service(json, "demo-s-web").endpoint_spec.ports ?? service(json, "demo-s-web").endpoint_spec[0].ports).toEqual([expect.objectContaining({ published_port: 8080, target_port: 8080 })]);
  });
});

describe("blue-green on Swarm", () => {
  const blue = synth(blueGreen("blue"));
  const green = synth(blueGreen("green"));

  it("runs two services <svc>-blue and <svc>-green with their own release and alias, publishing nothing", () => {
    const [b, g] = [service(blue, "demo-s-web-blue"), service(blue, "demo-s-web-green")];
    expect([b.task_spec.container_spec.image, g.task_spec.container_spec.image]).toEqual(["ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0"]);
    expect([aliases(b), aliases(g)]).toEqual([["web-blue"], ["web-green"]]);
    for (const s of [b, g]) expect(s.endpoint_spec.ports ?? s.endpoint_spec[0]?.ports).toBeUndefined();
  });

  it("publishes the port on an envkit proxy service that answers to the service's name and routes to the live slot", () => {
    const proxy = service(blue, "demo-s-proxy");
    expect(proxy.endpoint_spec.ports ?? proxy.endpoint_spec[0].ports).toEqual([expect.objectContaining({ published_port: 8080, target_port: 8080, publish_mode: "ingress" })]);
    expect(aliases(proxy)).toEqual(["web"]);
    expect(proxyText(blue)).toMatch(/backend web-http\n    balance roundrobin\n    server-template blue- 4 tasks.web-blue:8080 weight 1\n/);
    expect(proxyText(blue)).not.toContain("web-green:");
  });

  it("is hardened: non-root, read-only, no capabilities, limits, a health check, the config read-only from a docker_config", () => {
    const c = service(blue, "demo-s-proxy").task_spec.container_spec;
    expect({ user: c.user, ro: c.read_only, caps: c.cap_drop }).toEqual({ user: "99:99", ro: true, caps: ["ALL"] });
    expect(c.healthcheck.test).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8404/healthz"]);
    expect(c.configs).toEqual([expect.objectContaining({ file_name: "/usr/local/etc/envkit-proxy/haproxy.cfg", file_mode: 0o444 })]);
    expect(c.image).toMatch(/^haproxy:2\.6-alpine@sha256:[0-9a-f]{64}$/);
  });

  it("a blue→green switch changes only the proxy: a new content-named config (created first) and the proxy service's reference to it, rolled start-first", () => {
    const changed: string[] = [];
    for (const type of new Set([...Object.keys(blue.resource), ...Object.keys(green.resource)])) {
      for (const k of new Set([...Object.keys(blue.resource[type] ?? {}), ...Object.keys(green.resource[type] ?? {})])) {
        if (JSON.stringify(blue.resource[type]?.[k]) !== JSON.stringify(green.resource[type]?.[k])) changed.push(`${type}.${k}`);
      }
    }
    expect(changed.sort()).toEqual([expect.stringMatching(/^docker_config\..*proxy/)]);
    const [cb, cg] = [blue, green].map((j) => Object.values(j.resource.docker_config as Record<string, Json>)[0]);
    expect(cb.name).not.toBe(cg.name);
    expect(cg.lifecycle).toEqual({ create_before_destroy: true });
    expect(update(service(green, "demo-s-proxy"))).toMatchObject({ order: "start-first" });
  });
});

describe("canary on Swarm", () => {
  it("runs <svc>-stable and <svc>-canary and weights them by percent through the proxy", () => {
    const json = synth(swarmEnv({ services: { api: { replicas: 4, rollout: { strategy: "canary", canary: { release: "1.1.0", weight: 20 } } } } }));
    expect(service(json, "demo-s-api-stable").mode.replicated.replicas ?? service(json, "demo-s-api-stable").mode[0].replicated[0].replicas).toBe(3);
    expect(service(json, "demo-s-api-canary").task_spec.container_spec.image).toBe("ghcr.io/acme/api:1.1.0");
    // The tasks' own addresses (tasks.<alias>): 3 stable tasks × 4 : 1 canary task × 3 = 80 : 20.
    expect(proxyText(json)).toMatch(/server-template stable- 6 tasks\.api-stable:3000 weight 4\n    server-template canary- 2 tasks\.api-canary:3000 weight 3\n/);
    // An internal service's listener accepts only its clients' network.
    expect(proxyText(json)).toMatch(/frontend api-http\n    bind :3000\n    tcp-request connection reject unless \{ src 10\.230\.\d+\.\d+\/\d+ \}\n/);
  });
});
