import { AppConfig, EnvironmentConfig, ServiceConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { DIGEST, k8sEnv, resolve, resolveOne, resourcesOf, synthJson, appWith as app, dockerFor as docker, pinnedRelease as pinned, swarmFor as swarm } from "../helpers";

/*
 * servicePort other than the container port on Docker and Swarm (README "Jobs, exposure and
 * egress" → "Exposure."): the envkit proxy takes the service's name on the networks of the
 * connections to it, listens on each servicePort and forwards to the container port, where the
 * service's own containers answer to `<svc>-stable`. Judged on the synthesized JSON.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const synth = (a: AppConfig, env: EnvironmentConfig, name = "qa"): Json => synthJson([resolveOne(a, name, env)]).get(name)!;
const problems = (a: AppConfig, env: EnvironmentConfig, name = "qa"): string => resolve(a, { [name]: env }).issues.filter((i) => i.severity !== "warning").map(formatIssue).join("\n");

/** api listens on 3000, its clients dial 80; web reads the address from API_ADDR. */
const translated = (api: Partial<ServiceConfig> = {}, web: Partial<ServiceConfig> = {}): AppConfig =>
  app({ web: { connections: [{ to: "api", port: "http", env: "API_ADDR" }], ...web }, api: { ports: [{ name: "http", port: 3000, servicePort: 80 }], ...api } });

/** `${docker_network.<id>.name|id}` → the network's name. */
const networkName = (json: Json, ref: string): string => {
  const id = /^\$\{docker_network\.([^.]+)\.(name|id)\}$/.exec(ref)![1];
  return json.resource.docker_network[id].name;
};
const subnetOf = (json: Json, name: string): string => resourcesOf(json, "docker_network").find((n) => n.name === name)!.ipam_config[0].subnet;
/** Network name → aliases of a container or a Swarm service (a missing alias list as []). */
const aliases = (json: Json, networks: Json[]): Record<string, string[]> => Object.fromEntries(networks.map((n) => [networkName(json, n.name), n.aliases ?? []]));

const containers = (json: Json, re: RegExp): Json[] => resourcesOf(json, "docker_container").filter((c) => re.test(c.name));
const one = (json: Json, re: RegExp): Json => {
  const hit = containers(json, re);
  if (hit.length !== 1) throw new Error(`${re}: ${hit.length} containers; have ${resourcesOf(json, "docker_container").map((c) => c.name).join(", ")}`);
  return hit[0];
};
const dockerProxyConfig = (json: Json): string => String(one(json, /^demo-qa-proxy-config-/).upload[0].content);
const service = (json: Json, name: string): Json => resourcesOf(json, "docker_service").find((s) => s.name === name)!;
const swarmProxyConfig = (json: Json): string => Buffer.from(String(resourcesOf(json, "docker_config").find((c) => /^demo-qa-proxy-/.test(c.name))!.data), "base64").toString("utf8");
const addressOf = (json: Json, type: string, name: string): string => `${type}.${Object.entries(json.resource[type] as Record<string, Json>).find(([, r]) => r.name === name)![0]}`;

describe("Docker: a servicePort other than the container port, through the envkit proxy", () => {
  const a = translated();
  const json = synth(a, docker(a));
  const proxy = one(json, /^demo-qa-proxy$/);
  const api = one(json, /^demo-qa-api(-[0-9a-f]{8})?-1$/);
  const web = one(json, /^demo-qa-web(-[0-9a-f]{8})?-1$/);

  it("is accepted (no refusal) and the client's address carries the servicePort, as on Kubernetes", () => {
    expect(problems(a, docker(a))).toBe("");
    expect(web.env).toContain("API_ADDR=api:80");
    expect(json.output.services.value.api.internal).toEqual(["api:80"]);
  });

  it("the proxy answers to api on the web-to-api network only; api's containers answer to api-stable there and keep no alias where they are the client", () => {
    expect(aliases(json, proxy.networks_advanced)).toEqual({ "demo-qa-front": [], "demo-qa-web-to-api": ["api"] });
    expect(aliases(json, api.networks_advanced)).toEqual({ "demo-qa-web-to-api": ["api-stable"], "demo-qa-api-to-db": [] });
  });

  it("listens on 80 for the web-to-api subnet only and forwards to api-stable:3000", () => {
    const cfg = dockerProxyConfig(json);
    const subnet = subnetOf(json, "demo-qa-web-to-api");
    expect(cfg).toContain(`frontend api-http\n    bind :80\n    tcp-request connection reject unless { src ${subnet} }\n    default_backend api-http\n`);
    expect(cfg).toContain("backend api-http\n    balance roundrobin\n    server-template stable- 2 api-stable:3000 weight 1\n");
  });

  it("publishes nothing for api, which stays internal; web's published port is unchanged", () => {
    expect(api.ports).toBeUndefined();
    expect(proxy.ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
  });

  it("web starts after the proxy, which starts after api's containers are healthy", () => {
    expect(web.depends_on).toContain(addressOf(json, "docker_container", "demo-qa-proxy"));
    expect(one(json, /^demo-qa-proxy-config-/).depends_on).toContain(addressOf(json, "docker_container", api.name));
    expect(api.healthcheck.test.join(" ")).toContain("3000");
  });

  it("db, whose clients dial its own port, keeps its name and is not behind the proxy", () => {
    expect(aliases(json, one(json, /^demo-qa-db-1$/).networks_advanced)).toEqual({ "demo-qa-api-to-db": ["db"] });
    expect(dockerProxyConfig(json)).not.toContain("db");
  });
});

describe("Docker: what decides whether and how the proxy translates", () => {
  it("no connection to the service: nobody dials its servicePort, so no proxy and no renamed alias", () => {
    const a = app({ web: { rollout: { strategy: "recreate" } }, api: { ports: [{ name: "http", port: 3000, servicePort: 80 }] } });
    const noClient = { ...a, services: { ...a.services, web: { ...a.services.web, connections: [] } } };
    const json = synth(noClient, docker(noClient));
    expect(containers(json, /proxy/)).toEqual([]);
    expect(aliases(json, one(json, /^demo-qa-api(-[0-9a-f]{8})?-1$/).networks_advanced)).toEqual({ "demo-qa-api-to-db": [] });
  });

  it("a database with a backup job: the job keeps dialling the container's own port by the database's name on its network, which the proxy does not join", () => {
    const a = app({ db: { ports: [{ name: "pg", port: 5432, servicePort: 15432 }], backup: { method: "postgres" } }, api: { env: { DB_URL: "postgres://db:15432/app" } } });
    const json = synth(a, docker(a));
    const db = one(json, /^demo-qa-db-1$/);
    expect(aliases(json, db.networks_advanced)).toEqual({ "demo-qa-api-to-db": ["db-stable"], "demo-qa-db-backup": ["db"] });
    expect(aliases(json, one(json, /^demo-qa-proxy$/).networks_advanced)).toMatchObject({ "demo-qa-api-to-db": ["db"] });
    expect(Object.keys(aliases(json, one(json, /^demo-qa-proxy$/).networks_advanced))).not.toContain("demo-qa-db-backup");
    expect(one(json, /^demo-qa-db-backup$/).env.find((e: string) => e.startsWith("ENVKIT_BACKUP_JOB="))).toContain("pg_dump -h db -p 5432");
    expect(dockerProxyConfig(json)).toContain("bind :15432");
    expect(dockerProxyConfig(json)).toContain("db-stable:5432");
  });

  it("a public recreate service still publishes its own hostPort; the proxy only answers its clients, limited to their network", () => {
    const a = app({
      web: { rollout: { strategy: "recreate" } },
      api: { public: true, rollout: { strategy: "recreate" }, ports: [{ name: "http", port: 3000, servicePort: 80, hostPort: 3001 }] },
    });
    const json = synth(a, docker(a));
    expect(one(json, /^demo-qa-api-1$/).ports).toEqual([{ internal: 3000, external: 3001, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(one(json, /^demo-qa-proxy$/).ports).toBeUndefined();
    expect(aliases(json, one(json, /^demo-qa-proxy$/).networks_advanced)).toEqual({ "demo-qa-web-to-api": ["api"] });
    // On the front network api keeps its name: the host's published port reaches the container.
    expect(aliases(json, one(json, /^demo-qa-api-1$/).networks_advanced)).toMatchObject({ "demo-qa-front": ["api"], "demo-qa-web-to-api": ["api-stable"] });
    expect(dockerProxyConfig(json)).toContain(`bind :80\n    tcp-request connection reject unless { src ${subnetOf(json, "demo-qa-web-to-api")} }`);
  });

  it("blue-green and a servicePort: one proxy serves both (listens on 80, forwards to the live slot's port 3000)", () => {
    const a = translated();
    const release = { ...pinned(Object.keys(a.services)) };
    delete release.api;
    const json = synth(a, docker(a, { release, services: { api: { rollout: { strategy: "blue-green", live: "green", slots: { blue: `1.0.0@${DIGEST}`, green: `1.1.0@${DIGEST}` } } } } } as Partial<EnvironmentConfig>));
    expect(containers(json, /^demo-qa-proxy$/)).toHaveLength(1);
    const cfg = dockerProxyConfig(json);
    expect(cfg).toMatch(/frontend api-http\n {4}bind :80\n/);
    expect(cfg).toContain("server-template green- 2 api-green:3000 weight 1");
    expect(aliases(json, one(json, /^demo-qa-api-green(-[0-9a-f]{8})?-1$/).networks_advanced)["demo-qa-web-to-api"]).toEqual(["api-green"]);
  });

  it("a public rolling service with a servicePort: the proxy publishes its hostPort, answers its clients at the servicePort, and resolves its containers as <svc>-stable", () => {
    const a = app({ web: { ports: [{ name: "http", port: 8080, servicePort: 80 }] }, api: { connections: [{ to: "web", port: "http", env: "WEB_ADDR" }, { to: "db", port: "pg" }] } });
    const noCycle = { ...a, services: { ...a.services, web: { ...a.services.web, connections: [] } } };
    const json = synth(noCycle, docker(noCycle));
    const proxy = one(json, /^demo-qa-proxy$/);
    expect(proxy.ports).toEqual([{ internal: 80, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(aliases(json, proxy.networks_advanced)).toEqual({ "demo-qa-front": [], "demo-qa-api-to-web": ["web"] });
    expect(dockerProxyConfig(json)).toContain("server-template stable- 2 web-stable:8080 weight 1");
    expect(aliases(json, one(json, /^demo-qa-web-[0-9a-f]{8}-1$/).networks_advanced)).toEqual({ "demo-qa-front": ["web"], "demo-qa-api-to-web": ["web-stable"] });
    expect(one(json, /^demo-qa-api-[0-9a-f]{8}-1$/).env).toContain("WEB_ADDR=web:80");
  });

  it("two services whose clients both dial 80 share one listener, the destination network picking each service", () => {
    const two = app({
      web: { connections: [{ to: "api", port: "http" }, { to: "search", port: "http" }] },
      api: { ports: [{ name: "http", port: 3000, servicePort: 80 }] },
      search: { image: "ghcr.io/acme/search", ports: [{ name: "http", port: 9200, servicePort: 80 }], health: { command: ["true"] } },
    });
    expect(problems(two, docker(two))).toBe("");
    const json = synth(two, docker(two));
    const toApi = subnetOf(json, "demo-qa-web-to-api");
    const toSearch = subnetOf(json, "demo-qa-web-to-search");
    expect(dockerProxyConfig(json)).toContain(
      `frontend envkit_port_80\n    bind :80\n    tcp-request connection reject unless { src ${toApi} ${toSearch} }\n    use_backend api-http if { src ${toApi} } { dst ${toApi} }\n    use_backend search-http if { src ${toSearch} } { dst ${toSearch} }\n`,
    );
    expect(dockerProxyConfig(json)).toContain("server-template stable- 2 search-stable:9200 weight 1");
  });

  it("Prometheus scrapes each container's metrics port by its <svc>-stable name, never the proxy", () => {
    const pin = (repo: string, c: string): string => `${repo}:v1@sha256:${c.repeat(64)}`;
    const IMAGES = { prometheus: pin("docker.io/prom/prometheus", "1"), alertmanager: pin("docker.io/prom/alertmanager", "2"), grafana: pin("docker.io/grafana/grafana", "3"), cadvisor: pin("gcr.io/cadvisor/cadvisor", "4") };
    const a = translated({ metrics: { port: "http" } });
    const json = synth(a, docker(a, { monitoring: { stack: true, images: IMAGES, receivers: [{ name: "oncall", webhookSecret: "oncall_webhook" }] } }));
    const seed = resourcesOf(json, "docker_container").find((c) => /prometheus/.test(c.name) && c.upload?.some((u: Json) => /prometheus\.yml$/.test(u.file)));
    const prom = String(seed!.upload.find((u: Json) => /prometheus\.yml$/.test(u.file)).content);
    expect(prom).toMatch(/names:\n\s+- api-stable\n\s+type: A\n\s+port: 3000/);
    expect(aliases(json, one(json, /^demo-qa-proxy$/).networks_advanced)).toMatchObject({ "demo-qa-prometheus-to-api": ["api"] });
  });
});

describe("Swarm: a servicePort other than the container port, through the envkit proxy", () => {
  const a = translated();
  const json = synth(a, swarm(a));
  const proxy = service(json, "demo-qa-proxy");

  it("is accepted, and web's address carries the servicePort", () => {
    expect(problems(a, swarm(a))).toBe("");
    expect(service(json, "demo-qa-web").task_spec.container_spec.env.API_ADDR).toBe("api:80");
    expect(json.output.services.value.api.internal).toEqual(["api:80"]);
  });

  it("the proxy service answers to api on web-to-api only; the api service answers to api-stable there", () => {
    expect(aliases(json, proxy.task_spec.networks_advanced)).toEqual({ "demo-qa-web-to-api": ["api"] });
    expect(aliases(json, service(json, "demo-qa-api").task_spec.networks_advanced)).toEqual({ "demo-qa-web-to-api": ["api-stable"], "demo-qa-api-to-db": [] });
  });

  it("listens on 80 for web-to-api and forwards to api's tasks on 3000; it publishes nothing, web still publishes itself", () => {
    const cfg = swarmProxyConfig(json);
    expect(cfg).toContain(`frontend api-http\n    bind :80\n    tcp-request connection reject unless { src ${subnetOf(json, "demo-qa-web-to-api")} }\n`);
    expect(cfg).toContain("server-template stable- 2 tasks.api-stable:3000 weight 1");
    expect(proxy.endpoint_spec.ports).toBeUndefined();
    expect(service(json, "demo-qa-web").endpoint_spec.ports).toEqual([expect.objectContaining({ target_port: 8080, published_port: 8080 })]);
  });

  it("a database with a backup job: the job keeps the database's own name and port on its network, which the proxy does not join", () => {
    const a = app({ db: { ports: [{ name: "pg", port: 5432, servicePort: 15432 }], backup: { method: "postgres" } } });
    const j = synth(a, swarm(a));
    expect(aliases(j, service(j, "demo-qa-db").task_spec.networks_advanced)).toEqual({ "demo-qa-api-to-db": ["db-stable"], "demo-qa-db-backup": ["db"] });
    expect(Object.keys(aliases(j, service(j, "demo-qa-proxy").task_spec.networks_advanced))).toEqual(["demo-qa-api-to-db"]);
    expect(JSON.stringify(service(j, "demo-qa-db-backup").task_spec.container_spec)).toContain("pg_dump -h db -p 5432");
    expect(swarmProxyConfig(j)).toContain("server-template stable- 2 tasks.db-stable:5432 weight 1");
  });

  it("blue-green and a servicePort: one proxy service listens on 80 and forwards to the live slot's tasks on 3000", () => {
    const a = translated();
    const release = { ...pinned(Object.keys(a.services)) };
    delete release.api;
    const j = synth(a, swarm(a, { release, services: { api: { rollout: { strategy: "blue-green", live: "blue", slots: { blue: `1.0.0@${DIGEST}`, green: `1.1.0@${DIGEST}` } } } } } as Partial<EnvironmentConfig>));
    expect(resourcesOf(j, "docker_service").filter((x) => x.name === "demo-qa-proxy")).toHaveLength(1);
    expect(swarmProxyConfig(j)).toMatch(/frontend api-http\n {4}bind :80\n/);
    expect(swarmProxyConfig(j)).toContain("server-template blue- 2 tasks.api-blue:3000 weight 1");
    expect(aliases(j, service(j, "demo-qa-api-blue").task_spec.networks_advanced)["demo-qa-web-to-api"]).toEqual(["api-blue"]);
  });

  it("without a servicePort nothing changes: no proxy, api answers to its own name", () => {
    const plain = app({ web: { connections: [{ to: "api", port: "http", env: "API_ADDR" }] } });
    const j = synth(plain, swarm(plain));
    expect(resourcesOf(j, "docker_service").map((s) => s.name)).not.toContain("demo-qa-proxy");
    expect(aliases(j, service(j, "demo-qa-api").task_spec.networks_advanced)["demo-qa-web-to-api"]).toEqual(["api"]);
  });
});

describe("servicePort on Docker and Swarm: refused where the proxy cannot honour it", () => {
  const targets = [
    ["docker", docker],
    ["swarm", swarm],
  ] as const;

  it.each(targets)("%s: two ports of one service that clients would dial at the same servicePort", (_t, env) => {
    const a = translated({ ports: [{ name: "http", port: 3000, servicePort: 80 }, { name: "admin", port: 3001, servicePort: 80 }] });
    expect(problems(a, env(a))).toContain('services.api.ports.admin.servicePort: clients of "api" would dial 80 for port admin and for port http; give one of them another servicePort');
  });

  it.each(targets)("%s: a UDP port on a service the proxy answers for (it forwards TCP only)", (_t, env) => {
    const a = translated({ ports: [{ name: "http", port: 3000, servicePort: 80 }, { name: "stats", port: 8125, protocol: "udp" }] });
    expect(problems(a, env(a))).toContain('services.api.ports.stats.protocol: "udp": the envkit proxy answers for "api" (its clients dial port http at servicePort 80, the container listens on 3000) and forwards TCP only; set servicePort equal to port for every port of a service with UDP ports');
  });

  it.each(targets)("%s: a servicePort on the proxy's own health port", (_t, env) => {
    const a = translated({ ports: [{ name: "http", port: 3000, servicePort: 8404 }] });
    expect(problems(a, env(a))).toContain('services.api.ports.http.servicePort: the envkit proxy would listen on 8404 for "api" port http and for the proxy\'s own health check; give one of them another servicePort');
  });

  it("docker: a servicePort that a port the proxy publishes already listens on (a public rolling service addressed at 80)", () => {
    const a = app({ web: { ports: [{ name: "http", port: 8080, servicePort: 80 }], connections: [{ to: "api", port: "http" }] }, api: { ports: [{ name: "http", port: 3000, servicePort: 80 }] }, tool: { image: "ghcr.io/acme/tool", connections: [{ to: "web", port: "http" }], health: { command: ["true"] } } });
    expect(problems(a, docker(a))).toContain('services.api.ports.http.servicePort: the envkit proxy would listen on 80 for "api" port http and for "web" port http; give one of them another servicePort');
  });
});

describe("Kubernetes: a servicePort other than the container port", () => {
  const a = app({ db: { ports: [{ name: "pg", port: 5432, servicePort: 15432 }], backup: { method: "postgres" } }, api: { env: { DB_URL: "postgres://db:15432/app" } } });
  const env = { ...k8sEnv({ release: pinned(Object.keys(a.services)), services: { web: { replicas: 2 }, api: { replicas: 2 } } }), policy: { enforcement: "advisory" as const } };
  const json = synth(a, env, "prod");

  it("the backup job dials the database's Service on its servicePort (the Service has no other port)", () => {
    const svc = resourcesOf(json, "kubernetes_service_v1").find((s) => s.metadata.name === "db")!;
    expect(svc.spec.port.map((p: Json) => p.port)).toEqual([15432]);
    const job = resourcesOf(json, "kubernetes_cron_job_v1").find((j) => j.metadata.name === "db-backup")!;
    const script = JSON.stringify(job.spec);
    expect(script).toContain("pg_dump -h db -p 15432");
    expect(script).not.toContain("-p 5432");
  });

  it("the stack's outputs give the addresses clients dial, and a URL only for a service behind the Ingress", () => {
    expect(json.output.services.value.db.internal).toEqual(["db.demo-prod.svc.cluster.local:15432"]);
    const lb = app({ web: { exposure: "LoadBalancer" } });
    const lbJson = synth(lb, k8sEnv({ release: pinned(Object.keys(lb.services)) }), "prod");
    expect(resourcesOf(lbJson, "kubernetes_ingress_v1")).toEqual([]);
    expect(lbJson.output.services.value.web.public).toEqual([]);
    expect(synth(app(), k8sEnv({ release: pinned(Object.keys(app().services)) }), "prod").output.services.value.web.public).toEqual(["http://web.demo.example.com"]);
  });
});
