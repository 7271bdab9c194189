import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { DEFAULT_PROXY_IMAGE, ProxyPlan, ProxySet, configHash, haproxyConfig, proxyEntrypoint, routeWeights } from "../../lib/targets/shared/proxy";
import { parseImageRef } from "../../lib/model/image-ref";

/*
 * The proxy configuration generator shared by the Docker and Swarm targets (lib/targets/shared/proxy.ts).
 */

const set = (name: string, servers: number, share: number): ProxySet => ({ name, host: `web-${name}`, servers, share });
const plan = (sets: ProxySet[]): ProxyPlan => ({ scope: "shop-dev", routes: [{ name: "web-http", service: "web", listen: 8080, port: 8080, sets }] });

/** Which HAProxy binary can check a configuration here (Debian: the haproxy package). */
const HAPROXY = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].find((p) => fs.existsSync(p));
if (!HAPROXY) process.stderr.write("\n*** SKIPPED: haproxy -c checks of the generated configuration (no haproxy binary; apt-get install haproxy) ***\n\n");

describe("routeWeights: per-server weights that give each set its share", () => {
  it("splits 80/20 between one stable and one canary server as weights 4:1", () => {
    expect(routeWeights([set("stable", 1, 80), set("canary", 1, 20)])).toEqual({ weights: { stable: 4, canary: 1 }, exact: true });
  });

  it("accounts for the number of servers in each set (3 stable servers at 90%, 1 canary at 10%)", () => {
    // 3 × w_s : 1 × w_c must be 90 : 10, so w_s : w_c = 3 : 1.
    expect(routeWeights([set("stable", 3, 90), set("canary", 1, 10)])).toEqual({ weights: { stable: 3, canary: 1 }, exact: true });
  });

  it("gives a set with a 0% share weight 0 (no traffic), and the other set everything", () => {
    expect(routeWeights([set("stable", 2, 100), set("canary", 1, 0)]).weights).toEqual({ stable: 1, canary: 0 });
  });

  it("property: whenever exact, each set's total weight is proportional to its share", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 99 }), (ns, nc, p) => {
        const { weights, exact } = routeWeights([set("stable", ns, 100 - p), set("canary", nc, p)]);
        expect(weights.stable).toBeGreaterThanOrEqual(1);
        expect(weights.canary).toBeGreaterThanOrEqual(1);
        expect(Math.max(weights.stable, weights.canary)).toBeLessThanOrEqual(256);
        if (exact) expect(ns * weights.stable * p).toBe(nc * weights.canary * (100 - p));
      }),
      { numRuns: 500 },
    );
  });
});

/** Two internal services whose clients both dial 80 (servicePort), each on networks of its own. */
const sharedPlan = (): ProxyPlan => ({
  scope: "shop-dev",
  routes: [
    { name: "api-http", service: "api", listen: 80, port: 3000, sets: [{ name: "stable", host: "api-stable", servers: 1, share: 100 }], allow: ["10.1.0.0/28", "10.1.0.32/28"] },
    { name: "search-http", service: "search", listen: 80, port: 9200, sets: [{ name: "stable", host: "search-stable", servers: 2, share: 100 }], allow: ["10.1.0.16/28"] },
  ],
});

describe("haproxyConfig", () => {
  it("routes a blue-green service to the live slot only, via a DNS-resolved server template", () => {
    const cfg = haproxyConfig(plan([set("blue", 2, 100)]));
    expect(cfg).toContain("frontend web-http\n    bind :8080\n    default_backend web-http\n");
    expect(cfg).toContain("backend web-http\n    balance roundrobin\n    server-template blue- 4 web-blue:8080 weight 1\n");
    expect(cfg).not.toContain("web-green");
  });

  it("lets only the networks where an internal service is addressed connect to its listener", () => {
    const p = plan([set("blue", 1, 100)]);
    const cfg = haproxyConfig({ ...p, routes: [{ ...p.routes[0], allow: ["10.210.1.0/28", "10.210.2.16/28"] }] });
    expect(cfg).toContain("frontend web-http\n    bind :8080\n    tcp-request connection reject unless { src 10.210.1.0/28 10.210.2.16/28 }\n");
    expect(haproxyConfig(p)).not.toContain("tcp-request");
  });

  it("leaves a 0% set out of the backend instead of giving it a server", () => {
    expect(haproxyConfig(plan([set("stable", 1, 100), set("canary", 1, 0)]))).not.toContain("web-canary");
  });

  it("resolves through the engine's DNS at run time, so a rolling update changes no configuration", () => {
    const cfg = haproxyConfig(plan([set("stable", 1, 100)]));
    expect(cfg).toMatch(/nameserver dns 127\.0\.0\.11:53/);
    expect(cfg).toMatch(/default-server init-addr last,libc,none resolvers engine .*check inter 1s/);
    expect(cfg).toMatch(/option redispatch 1/);
  });

  it("is deterministic: the same plan gives the same bytes (its hash names what carries it)", () => {
    const p = plan([set("stable", 2, 80), set("canary", 1, 20)]);
    expect(haproxyConfig(p)).toBe(haproxyConfig(JSON.parse(JSON.stringify(p)) as ProxyPlan));
    expect(configHash(haproxyConfig(p))).toMatch(/^[0-9a-f]{12}$/);
    expect(configHash(haproxyConfig(p))).not.toBe(configHash(haproxyConfig(plan([set("stable", 2, 70), set("canary", 1, 30)]))));
  });

  it("refuses two routes on one port and shares that do not add up to 100 (a lowering bug, not a config error)", () => {
    const twice: ProxyPlan = { scope: "s", routes: [plan([set("stable", 1, 100)]).routes[0], { ...plan([set("stable", 1, 100)]).routes[0], name: "api-http" }] };
    expect(() => haproxyConfig(twice)).toThrow(/"web-http" and "api-http" both listen on 8080/);
    expect(() => haproxyConfig(plan([set("stable", 1, 70), set("canary", 1, 20)]))).toThrow(/shares add up to 90, not 100/);
  });

  it("lets internal routes share a port, the destination network picking each; refuses a shared port an open route or an overlapping range would make ambiguous", () => {
    const shared = sharedPlan();
    const cfg = haproxyConfig(shared);
    expect(cfg).toContain(
      "frontend envkit_port_80\n    bind :80\n    tcp-request connection reject unless { src 10.1.0.0/28 10.1.0.32/28 10.1.0.16/28 }\n    use_backend api-http if { src 10.1.0.0/28 10.1.0.32/28 } { dst 10.1.0.0/28 10.1.0.32/28 }\n    use_backend search-http if { src 10.1.0.16/28 } { dst 10.1.0.16/28 }\n\nbackend api-http\n",
    );
    expect(cfg).not.toContain("frontend api-http");
    const [api, search] = shared.routes;
    expect(() => haproxyConfig({ ...shared, routes: [api, { ...search, allow: undefined }] })).toThrow(/"api-http" and "search-http" both listen on 80, and "search-http" is not limited to source ranges of its own/);
    expect(() => haproxyConfig({ ...shared, routes: [api, { ...search, allow: ["10.1.0.32/28"] }] })).toThrow(/"api-http" and "search-http" both listen on 80 and both accept 10\.1\.0\.32\/28/);
  });

  (HAPROXY ? it : it.skip)("is accepted by haproxy -c (HAProxy 2.6) with routes sharing a port by destination", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-proxy-cfg-"));
    try {
      const file = path.join(dir, "haproxy.cfg");
      fs.writeFileSync(file, haproxyConfig(sharedPlan()));
      expect(() => execFileSync(HAPROXY!, ["-c", "-q", "-f", file], { stdio: "pipe" })).not.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  (HAPROXY ? it : it.skip)("is accepted by haproxy -c (HAProxy 2.6) for every strategy's shape", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-proxy-cfg-"));
    try {
      for (const sets of [[set("stable", 1, 100)], [set("green", 3, 100)], [set("stable", 2, 80), set("canary", 1, 20)]]) {
        const file = path.join(dir, "haproxy.cfg");
        const p: ProxyPlan = { scope: "shop-dev", routes: [{ ...plan(sets).routes[0], allow: ["10.1.0.0/28"] }, { name: "web-http-preview", service: "web", listen: 18080, port: 8080, sets: [{ ...sets[0], share: 100 }] }] };
        fs.writeFileSync(file, haproxyConfig(p));
        expect(() => execFileSync(HAPROXY!, ["-c", "-q", "-f", file], { stdio: "pipe" })).not.toThrow();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the proxy's program and image", () => {
  it("reloads only a file haproxy -c accepts, by SIGUSR2 to the master-worker", () => {
    const [sh, c, script] = proxyEntrypoint();
    expect([sh, c]).toEqual(["/bin/sh", "-c"]);
    expect(script).toContain('haproxy -W -db -f "$cfg"');
    expect(script).toMatch(/if haproxy -c -q -f "\$cfg"; then kill -USR2 "\$pid"/);
  });

  (fs.existsSync("/bin/sh") ? it : it.skip)("is a script /bin/sh can parse", () => {
    expect(() => execFileSync("/bin/sh", ["-n", "-c", proxyEntrypoint()[2]])).not.toThrow();
  });

  it("defaults to an image pinned by digest", () => {
    const ref = parseImageRef(DEFAULT_PROXY_IMAGE);
    expect(ref.ok && ref.value.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
