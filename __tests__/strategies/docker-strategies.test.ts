import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { dockerEnv, miniApp, resolve, resolveOne, synthJson } from "../helpers";

/*
 * Delivery strategies on one Docker host, judged on the synthesized JSON: container names,
 * lifecycle, aliases, what the proxy publishes, and which resources a change touches.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The releases without the given services' (blue-green services pin theirs in slots). */
const without = (r: Record<string, string>, ...names: string[]): Record<string, string> => Object.fromEntries(Object.entries(r).filter(([k]) => !names.includes(k)));

const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
const app = (over: Partial<AppConfig> = {}): AppConfig => miniApp(over);

const synth = (env: EnvironmentConfig, a: AppConfig = app()): Json => synthJson([resolveOne(a, "dev", env)]).get("dev")!;
const containers = (json: Json): Record<string, Json> => (json.resource?.docker_container ?? {}) as Record<string, Json>;
const byName = (json: Json, re: RegExp): Json[] => Object.values(containers(json)).filter((c) => re.test(String(c.name)));
const one = (json: Json, name: string): Json => {
  const hit = Object.values(containers(json)).filter((c) => c.name === name);
  if (hit.length !== 1) throw new Error(`${name}: ${hit.length} containers; have ${Object.values(containers(json)).map((c) => c.name).join(", ")}`);
  return hit[0];
};
const proxySeed = (json: Json): Json => byName(json, /^demo-dev-proxy-config-/)[0];
const proxyConfig = (json: Json): string => String(proxySeed(json).upload[0].content);

/** The web service as blue-green with the given live slot (both slots pinned). */
const blueGreen = (live: "blue" | "green", over: Json = {}): EnvironmentConfig => {
  const release = without(dockerEnv().release as Record<string, string>, "web");
  return dockerEnv({ release, services: { web: { rollout: { strategy: "blue-green", live, slots: { blue: "1.0.0", green: "1.1.0" }, ...over } } } } as Partial<EnvironmentConfig>);
};
const canary = (weight: number, replicas = 4): EnvironmentConfig =>
  dockerEnv({ services: { web: { replicas, rollout: { strategy: "canary", canary: { release: "1.1.0", weight } } } } } as Partial<EnvironmentConfig>);

describe("recreate on Docker: today's behaviour", () => {
  const json = synth(dockerEnv({ rollout: { strategy: "recreate" } } as Partial<EnvironmentConfig>));

  it("keeps the plain names and no create_before_destroy (the old container stops first)", () => {
    for (const name of ["demo-dev-web-1", "demo-dev-api-1", "demo-dev-db-1"]) expect(one(json, name).lifecycle?.create_before_destroy).toBeUndefined();
  });

  it("publishes the public port on the service's own container, with no proxy", () => {
    expect(one(json, "demo-dev-web-1").ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(byName(json, /proxy/)).toEqual([]);
  });
});

describe("rolling on Docker", () => {
  const json = synth(dockerEnv({ services: { api: { replicas: 2 } } } as Partial<EnvironmentConfig>));
  const api = byName(json, /^demo-dev-api-[0-9a-f]{8}-\d$/);

  it("names each container by a hash of what forces its replacement, and creates the successor first", () => {
    expect(api.map((c) => c.name.replace(/-[0-9a-f]{8}-/, "-<h>-")).sort()).toEqual(["demo-dev-api-<h>-1", "demo-dev-api-<h>-2"]);
    for (const c of api) expect(c.lifecycle.create_before_destroy).toBe(true);
  });

  it("waits until the new containers are healthy (wait), so the old ones go only after", () => {
    for (const c of api) expect({ wait: c.wait, timeout: c.wait_timeout > 0 }).toEqual({ wait: true, timeout: true });
  });

  it("gives every replica of an internal service the one alias Docker's DNS round-robins over", () => {
    for (const c of api) expect(c.networks_advanced.find((n: Json) => n.aliases)?.aliases).toEqual(["api"]);
  });

  it("changes the names with a new release (so both generations can exist at once) and keeps them otherwise", () => {
    const bumped = synth(dockerEnv({ release: { web: "1.0.0", api: "1.0.1", db: "16.4" }, services: { api: { replicas: 2 } } } as Partial<EnvironmentConfig>));
    const names = (j: Json) => byName(j, /^demo-dev-api-/).map((c) => c.name).sort();
    expect(names(bumped)).not.toEqual(names(json));
    expect(names(synth(dockerEnv({ services: { api: { replicas: 2 } } } as Partial<EnvironmentConfig>)))).toEqual(names(json));
  });

  it("names the surged service's secrets seed by its image and secret revisions (create_before_destroy extends to it)", () => {
    const seeds = byName(json, /^demo-dev-api-secrets-seed/);
    expect(seeds.map((s) => s.name)).toEqual([expect.stringMatching(/^demo-dev-api-secrets-seed-[0-9a-f]{8}$/)]);
  });

  it("rolls a stateful service by recreating it (two processes must never share its volume)", () => {
    expect(one(json, "demo-dev-db-1").lifecycle?.create_before_destroy).toBeUndefined();
  });

  it("puts a public service behind the proxy: the proxy publishes the port, the containers publish nothing", () => {
    const web = byName(json, /^demo-dev-web-[0-9a-f]{8}-1$/);
    expect(web).toHaveLength(1);
    expect(web[0].ports).toBeUndefined();
    const proxy = one(json, "demo-dev-proxy");
    expect(proxy.ports).toEqual([{ internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(proxyConfig(json)).toContain("server-template stable- 2 web:8080 weight 1");
  });

  it("allows several replicas of a public service (they no longer bind the host port)", () => {
    expect(() => synth(dockerEnv({ services: { web: { replicas: 3 } } } as Partial<EnvironmentConfig>))).not.toThrow();
  });
});

describe("the Docker proxy container", () => {
  const json = synth(dockerEnv());
  const proxy = one(json, "demo-dev-proxy");

  it("is hardened like every service: read-only root, no capabilities, no-new-privileges, non-root, limits, health check", () => {
    expect({ ro: proxy.read_only, caps: proxy.capabilities, sec: proxy.security_opts, user: proxy.user }).toEqual({ ro: true, caps: { drop: ["ALL"] }, sec: ["no-new-privileges:true"], user: "99:99" });
    expect({ memory: proxy.memory, quota: proxy.cpu_quota, wait: proxy.wait }).toEqual({ memory: 128, quota: 50_000, wait: true });
    expect(proxy.healthcheck.test).toEqual(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8404/healthz"]);
  });

  it("runs the pinned default image, overridable by docker.proxy.image", () => {
    const image = (j: Json) => Object.values(j.resource.docker_image as Record<string, Json>).map((i) => i.name).filter((n: string) => /haproxy|proxy/.test(n));
    expect(image(json)).toEqual(["haproxy:2.6-alpine@sha256:e03315a00e5cac5bd2adc48ad3412bec80f589222ff36db5ed2843f9f24ffb2b"]);
    const own = `registry.example.com/haproxy:2.6.12@${DIGEST("b")}`;
    expect(image(synth(dockerEnv({ docker: { proxy: { image: own } } } as Partial<EnvironmentConfig>)))).toEqual([own]);
  });

  it("refuses a proxy image without a digest, naming the field and the fix", () => {
    const r = resolve(app(), { dev: dockerEnv({ docker: { proxy: { image: "haproxy:2.6" } } } as Partial<EnvironmentConfig>) });
    expect(r.issues.map((i) => `${i.path}: ${i.message}`).join("\n")).toMatch(/docker\.proxy\.image: "haproxy:2\.6" has no digest; pin the proxy image as repository:tag@sha256:<digest>/);
  });

  it("reads its configuration from a volume written by a never-started seed, not from its own attributes", () => {
    const seed = proxySeed(json);
    expect({ start: seed.start, net: seed.network_mode, cbd: seed.lifecycle.create_before_destroy }).toEqual({ start: false, net: "none", cbd: true });
    expect(seed.upload).toEqual([{ file: "/usr/local/etc/envkit-proxy/haproxy.cfg", content: expect.stringContaining("frontend web-http"), permissions: "0444" }]);
    expect(proxy.mounts).toEqual([{ type: "volume", source: expect.stringMatching(/docker_volume\..*proxy.*config.*\.name/), target: "/usr/local/etc/envkit-proxy", read_only: true }]);
    expect(JSON.stringify(proxy)).not.toContain("frontend");
    // Replaced only with a network it joins, never with its configuration.
    expect(proxy.lifecycle).toEqual({ replace_triggered_by: [expect.stringMatching(/^docker_network\..*front.*\.id$/)] });
  });

  it("moves traffic only after the upstream containers exist: the seed depends on them", () => {
    const web = Object.entries(containers(json)).filter(([, c]) => /^demo-dev-web-/.test(c.name)).map(([k]) => `docker_container.${k}`);
    expect(proxySeed(json).depends_on).toEqual(expect.arrayContaining(web));
  });
});

describe("blue-green on Docker", () => {
  const blue = synth(blueGreen("blue"));
  const green = synth(blueGreen("green"));

  it("runs two container sets <svc>-blue and <svc>-green, each with its own release pin", () => {
    const images = (j: Json) => Object.values(j.resource.docker_image as Record<string, Json>).map((i) => i.name).filter((n: string) => n.includes("acme/web")).sort();
    expect(images(blue)).toEqual(["ghcr.io/acme/web:1.0.0", "ghcr.io/acme/web:1.1.0"]);
    expect(byName(blue, /^demo-dev-web-blue-[0-9a-f]{8}-1$/)).toHaveLength(1);
    expect(byName(blue, /^demo-dev-web-green-[0-9a-f]{8}-1$/)).toHaveLength(1);
  });

  it("gives each slot its own alias and the proxy the service's name", () => {
    const aliases = (re: RegExp) => byName(blue, re)[0].networks_advanced.flatMap((n: Json) => n.aliases ?? []);
    expect(aliases(/^demo-dev-web-blue-/)).toEqual(["web-blue"]);
    expect(aliases(/^demo-dev-web-green-/)).toEqual(["web-green"]);
    expect(one(blue, "demo-dev-proxy").networks_advanced.flatMap((n: Json) => n.aliases ?? [])).toEqual(["web"]);
  });

  it("routes the service's port to the live slot and a loopback preview port to the idle one", () => {
    expect(proxyConfig(blue)).toMatch(/backend web-http\n    balance roundrobin\n    server-template blue- 2 web-blue:8080 weight 1\n/);
    expect(proxyConfig(blue)).toMatch(/backend web-http-preview\n    balance roundrobin\n    server-template green- 2 web-green:8080 weight 1\n/);
    expect(one(blue, "demo-dev-proxy").ports).toEqual([
      { internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
      { internal: 18080, external: 18080, ip: "127.0.0.1", protocol: "tcp" },
    ]);
  });

  it("a blue→green switch changes only the proxy's configuration seed, never an app container or the proxy", () => {
    const changed = (a: Json, b: Json): string[] => {
      const out: string[] = [];
      for (const type of new Set([...Object.keys(a.resource), ...Object.keys(b.resource)])) {
        const [ra, rb] = [a.resource[type] ?? {}, b.resource[type] ?? {}];
        for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) if (JSON.stringify(ra[k]) !== JSON.stringify(rb[k])) out.push(`${type}.${k}`);
      }
      return out;
    };
    const diff = changed(blue, green);
    expect(diff).toHaveLength(1);
    expect(diff[0]).toMatch(/^docker_container\..*proxy.*config-seed/);
    expect(proxyConfig(green)).toMatch(/backend web-http\n    balance roundrobin\n    server-template green- 2 web-green:8080/);
  });

  it("scales the idle slot to idleReplicas and stops previewing it at 0", () => {
    const soaked = synth(blueGreen("green", { idleReplicas: 0 }));
    expect(byName(soaked, /^demo-dev-web-blue-/)).toEqual([]);
    expect(byName(soaked, /^demo-dev-web-green-/)).toHaveLength(1);
    expect(proxyConfig(soaked)).not.toContain("preview");
  });

  it("keeps an internal blue-green service's listener closed to networks that did not declare a connection", () => {
    const release = without(dockerEnv().release as Record<string, string>, "api");
    const json = synth(dockerEnv({ release, services: { api: { rollout: { strategy: "blue-green", live: "green", slots: { blue: "1.0.0", green: "1.1.0" } } } } } as Partial<EnvironmentConfig>));
    expect(proxyConfig(json)).toMatch(/frontend api-http\n    bind :3000\n    tcp-request connection reject unless \{ src 10\.210\.\d+\.\d+\/\d+ \}\n/);
    // The client reaches the proxy under the server's name and starts after it.
    const web = byName(json, /^demo-dev-web-/)[0];
    expect(web.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^docker_container\..*proxy_container/)]));
  });
});

describe("canary on Docker", () => {
  it("runs stable and canary sets split like every target, and weights them exactly by percent", () => {
    const json = synth(canary(20, 4));
    expect(byName(json, /^demo-dev-web-stable-/)).toHaveLength(3);
    expect(byName(json, /^demo-dev-web-canary-/)).toHaveLength(1);
    // 3 stable servers × 4 : 1 canary × 3 = 12 : 3 = 80 : 20.
    expect(proxyConfig(json)).toMatch(/server-template stable- 6 web-stable:8080 weight 4\n    server-template canary- 2 web-canary:8080 weight 3\n/);
  });

  it("a weight change rewrites the proxy's configuration; the stable containers keep their names", () => {
    const [a, b] = [synth(canary(20, 4)), synth(canary(50, 4))];
    expect(byName(b, /^demo-dev-web-stable-/).map((c) => c.name).every((n) => byName(a, /^demo-dev-web-stable-/).some((c) => c.name === n))).toBe(true);
    expect(proxyConfig(a)).not.toBe(proxyConfig(b));
  });

  it("without a canary in flight runs the stable set alone with all the traffic", () => {
    const json = synth(dockerEnv({ rollout: { strategy: "canary" } } as Partial<EnvironmentConfig>));
    expect(byName(json, /^demo-dev-web-canary-/)).toEqual([]);
    expect(proxyConfig(json)).toMatch(/server-template stable- 2 web-stable:8080 weight 1\n/);
  });
});

describe("Docker strategy validation", () => {
  const errors = (env: EnvironmentConfig, a: AppConfig = app()): string => resolve(a, { dev: env }).issues.filter((i) => i.severity !== "warning").map((i) => `${i.path}: ${i.message}`).join("\n");

  it("refuses a UDP port on a service behind the proxy (TCP only), naming the port and the fix", () => {
    const a = app({ services: { ...app().services, web: { ...app().services.web, ports: [{ name: "dns", port: 5353, protocol: "udp" }], health: { command: ["true"] }, connections: [] } } } as Partial<AppConfig>);
    expect(errors(dockerEnv(), a)).toMatch(/services\.web\.ports\.dns\.protocol: "udp": the envkit proxy in front of rolling services forwards TCP only; use rollout\.strategy recreate/);
  });

  it("refuses two routed services the proxy would listen for on one port", () => {
    const release = without(dockerEnv().release as Record<string, string>, "api", "web");
    const bg = { strategy: "blue-green", live: "blue", slots: { blue: "1.0.0", green: "1.0.0" } };
    const a = app({ services: { ...app().services, api: { ...app().services.api, ports: [{ name: "http", port: 8080 }] } } } as Partial<AppConfig>);
    expect(errors(dockerEnv({ release, services: { web: { rollout: bg }, api: { rollout: bg } } } as Partial<EnvironmentConfig>), a)).toMatch(/the envkit proxy would listen on 8080 for "api" port http and for "web" port http|the envkit proxy would listen on 8080 for "web" port http and for "api" port http/);
  });

  it("checks docker.hostBudget against each strategy's peak plus the proxy, with the arithmetic", () => {
    const msg = errors(dockerEnv({ docker: { hostBudget: { memory: "512Mi" } }, services: { api: { replicas: 2 } } } as Partial<EnvironmentConfig>));
    expect(msg).toMatch(/docker\.hostBudget\.memory: the containers' memory limits add up to .* at peak but the host budget is 512Mi: .*api .* × 4 \(rolling: 2 replicas .*; on Docker every container of a rolling set overlaps its successor: 2 \+ 2\).*the envkit proxy 128Mi; raise docker\.hostBudget\.memory/);
    expect(errors(dockerEnv({ docker: { hostBudget: { memory: "64Gi", cpu: "64" } } } as Partial<EnvironmentConfig>))).toBe("");
  });

  it("counts a recreated service once (no overlap) in the host budget", () => {
    const recreate = errors(dockerEnv({ rollout: { strategy: "recreate" }, docker: { hostBudget: { memory: "1Mi" } } } as Partial<EnvironmentConfig>));
    expect(recreate).toMatch(/api \S+ × 1 \(recreate/);
    expect(recreate).not.toMatch(/envkit proxy/);
  });
});
