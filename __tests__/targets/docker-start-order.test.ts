import fc from "fast-check";
import { AppConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { startOrderCycles } from "../../lib/targets/docker/network-plan";
import { dockerEnv, miniApp, resolve, resolveOne, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const synthOne = (app: AppConfig, env = dockerEnv()): Json => synthJson([resolveOne(app, "dev", env)]).get("dev")!;

/** Terraform address (`docker_container.<key>`) of the resource of `type` named `name`. */
function address(json: Json, type: string, name: string): string {
  const entry = Object.entries((json.resource?.[type] ?? {}) as Record<string, Json>).find(([, body]) => body.name === name || String(body.name).replace(/-[0-9a-f]{8}(-\d+)$/, "$1").replace(/-secrets-seed-[0-9a-f]{8}$/, "-secrets-seed") === name);
  if (!entry) throw new Error(`no ${type} named ${name}`);
  return `${type}.${entry[0]}`;
}
const body = (json: Json, type: string, name: string): Json => json.resource[type][address(json, type, name).split(".")[1]];

/** Errors of resolving `app` on Docker, formatted. */
function errorsOf(app: AppConfig): string {
  return resolve(app, { dev: dockerEnv() }).issues.filter((i) => i.severity !== "warning").map(formatIssue).join("\n");
}

/** web → api → db, plus `extra` connections (by service). */
function withConnections(extra: Record<string, { to: string; port: string }[]>): AppConfig {
  const app = miniApp();
  const services = { ...app.services };
  for (const [name, conns] of Object.entries(extra)) services[name] = { ...services[name], connections: [...(services[name].connections ?? []), ...conns] };
  return { ...app, services };
}

describe("Docker start order: clients start after the servers they connect to are healthy", () => {
  it("makes each client container depend on exactly the containers of the servers it connects to", () => {
    const json = synthOne(miniApp());
    expect(body(json, "docker_container", "demo-dev-web-1").depends_on).toEqual([address(json, "docker_container", "demo-dev-api-1")]);
    // api also waits for its secrets seed, which carries the uploaded files.
    expect(body(json, "docker_container", "demo-dev-api-1").depends_on).toEqual([address(json, "docker_container", "demo-dev-api-secrets-seed"), address(json, "docker_container", "demo-dev-db-1")]);
    // A service that connects to nothing waits for nothing.
    expect(body(json, "docker_container", "demo-dev-db-1").depends_on).toBeUndefined();
    // The servers it waits for are the ones that wait until healthy.
    expect(body(json, "docker_container", "demo-dev-db-1").wait).toBe(true);
  });

  it("waits for every replica of a server, once, however many connections name it", () => {
    const app = withConnections({ web: [{ to: "api", port: "http" }] });
    const json = synthOne(app, dockerEnv({ services: { api: { replicas: 2 } } }));
    const api = [address(json, "docker_container", "demo-dev-api-1"), address(json, "docker_container", "demo-dev-api-2")];
    expect(body(json, "docker_container", "demo-dev-web-1").depends_on).toEqual(api);
  });

  it("replaces a container together with any network it joins, so a network is never deleted under active endpoints", () => {
    const json = synthOne(miniApp());
    const net = (purpose: string): string => `${address(json, "docker_network", `demo-dev-${purpose}`)}.id`;
    expect(body(json, "docker_container", "demo-dev-web-1").lifecycle.replace_triggered_by).toEqual([net("front"), net("web-to-api")]);
    expect(body(json, "docker_container", "demo-dev-api-1").lifecycle.replace_triggered_by).toEqual([`${address(json, "docker_container", "demo-dev-api-secrets-seed")}.id`, net("api-to-db"), net("web-to-api")]);
    expect(body(json, "docker_container", "demo-dev-db-1").lifecycle.replace_triggered_by).toEqual([net("api-to-db")]);
  });

  it("writes plain addresses, never ${…} interpolations, which Terraform rejects in depends_on and replace_triggered_by", () => {
    const json = synthOne(miniApp());
    for (const c of Object.values(json.resource.docker_container as Record<string, Json>)) {
      for (const ref of c.depends_on ?? []) expect(ref).toMatch(/^docker_container\.[A-Za-z0-9_-]+$/);
      for (const ref of c.lifecycle?.replace_triggered_by ?? []) expect(ref).toMatch(/^docker_(network|container)\.[A-Za-z0-9_-]+\.id$/);
    }
  });

  it("refuses two services that connect to each other, naming the cycle and the fix", () => {
    const errors = errorsOf(withConnections({ db: [{ to: "api", port: "http" }] }));
    expect(errors).toContain(
      'services.api.connections: connections form a start-order cycle api → db → api: on Docker a service starts only after the services it connects to are healthy, so none of these can start first; remove one of these connections (e.g. "api" → "db")',
    );
  });

  it("refuses a longer cycle, naming every service on it in order", () => {
    const errors = errorsOf(withConnections({ db: [{ to: "web", port: "http" }] }));
    expect(errors).toContain("services.api.connections: connections form a start-order cycle api → db → web → api:");
  });

  it("reports two separate cycles once each", () => {
    const app: AppConfig = {
      name: "demo",
      services: Object.fromEntries(
        [
          ["a", "b"],
          ["b", "a"],
          ["c", "d"],
          ["d", "c"],
        ].map(([from, to]) => [from, { image: "ghcr.io/acme/x", ports: [{ name: "http", port: 80 }], connections: [{ to, port: "http" }] }]),
      ),
    };
    const r = resolve(app, { dev: dockerEnv({ release: { a: "1", b: "1", c: "1", d: "1" } }) });
    const cycles = r.issues.map(formatIssue).filter((m) => m.includes("start-order cycle"));
    expect(cycles).toHaveLength(2);
    expect(cycles[0]).toContain("cycle a → b → a");
    expect(cycles[1]).toContain("cycle c → d → c");
  });

  it("does not call a diamond (two paths to one server) a cycle", () => {
    const services = [{ name: "a" }, { name: "b" }, { name: "c" }, { name: "d" }];
    const connections = [
      { from: "a", to: "b" },
      { from: "a", to: "c" },
      { from: "b", to: "d" },
      { from: "c", to: "d" },
    ];
    expect(startOrderCycles({ services: services.map((s) => ({ ...s, public: false, replicas: 1 })), connections })).toEqual([]);
  });

  it("reports a cycle through 20,000 services without running out of stack", () => {
    const n = 20_000;
    const services = Array.from({ length: n }, (_, i) => ({ name: `s${String(i).padStart(5, "0")}`, public: false, replicas: 1 }));
    const connections = services.map((s, i) => ({ from: s.name, to: services[(i + 1) % n].name }));
    const cycles = startOrderCycles({ services, connections });
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n + 1);
    expect(cycles[0][0]).toBe("s00000");
  });

  it("finds a cycle exactly when the connections have no start order, and every reported cycle is made of declared connections (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })), { maxLength: 20 }))),
        ([n, pairs]) => {
          const services = Array.from({ length: n }, (_, i) => ({ name: `s${i}`, public: false, replicas: 1 }));
          const connections = pairs.filter(([a, b]) => a !== b).map(([a, b]) => ({ from: `s${a}`, to: `s${b}` }));
          const cycles = startOrderCycles({ services, connections });
          // Kahn's algorithm: a start order exists iff every service can be removed server first.
          const remaining = new Set(services.map((s) => s.name));
          for (let progress = true; progress; ) {
            progress = false;
            for (const s of [...remaining]) {
              if (!connections.some((c) => c.from === s && remaining.has(c.to))) {
                remaining.delete(s);
                progress = true;
              }
            }
          }
          expect(cycles.length > 0).toBe(remaining.size > 0);
          for (const cycle of cycles) {
            expect(cycle[0]).toBe(cycle[cycle.length - 1]);
            expect(new Set(cycle.slice(1)).size).toBe(cycle.length - 1);
            for (let i = 0; i + 1 < cycle.length; i++) expect(connections.some((c) => c.from === cycle[i] && c.to === cycle[i + 1])).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Docker-only limits the engine enforces at create", () => {
  it("a Localhost seccomp profile is refused on Docker (the engine wants the JSON, not a path)", () => {
    const r = resolve(miniApp(), { dev: dockerEnv({ services: { api: { security: { seccompProfile: "Localhost/profiles/api.json" } } } }) });
    expect(r.issues.map((i) => `${i.path}: ${i.message}`).join("\n")).toMatch(/services\.api\.security\.seccompProfile: "Localhost\/profiles\/api\.json": Docker takes the seccomp profile's JSON, not a file path/);
  });

  it("a CPU limit below 10m is refused on Docker (the engine's CFS quota minimum)", () => {
    const r = resolve(miniApp(), { dev: dockerEnv({ services: { api: { resources: { cpu: "5m", cpuLimit: "5m" } } } }) });
    expect(r.issues.map((i) => `${i.path}: ${i.message}`).join("\n")).toMatch(/services\.api\.resources\.cpuLimit: 5m is below the 10m Docker can enforce/);
  });
});
