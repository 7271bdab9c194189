import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { resolveOne, synthJson } from "../helpers";
import { Created, UpdatePlan, api, applyStack, destroyStack, emptyCreated, engineProblemsSync, exec, inspect, namesIn, removeNamed, updateStack } from "./engine-api";
import { importReleaseImage, proxyImageBuilt, proxyImageProblems, withLocalProxyImage } from "./proxy-image";

/*
 * Blue-green and canary through the envkit proxy on a real engine (the issue's "done when"): the
 * synthesized Docker stack applied through engine-api.ts (the requests kreuzwerker/docker 3.6.2
 * sends), then a second synthesis applied as Terraform would apply the change (planUpdate /
 * updateStack: replacements, create_before_destroy, replace_triggered_by), while a bounded loop of
 * requests on loopback counts what answers. Upstreams are busybox httpd images that answer with
 * their release's name; the proxy image is the Debian HAProxy 2.6 binary on busybox
 * (proxy-image.ts). Needs docker.io, busybox-static and haproxy; skipped, loudly, without them.
 */
const BUSYBOX = "/bin/busybox";
const staticBusybox = fs.existsSync(BUSYBOX) && execFileSync("file", ["-L", BUSYBOX], { encoding: "utf8" }).includes("statically linked");
const reasons = [...engineProblemsSync(), ...(staticBusybox ? [] : [`no static ${BUSYBOX} (install busybox-static)`]), ...proxyImageProblems()];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: Docker strategy engine tests (blue-green switch, canary weights through the proxy): ${reasons.join("; ")} ***\n\n`);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REPO = "envkit-e2e/slot";
const WEB_PORT = 18481;
const API_PORT = 18482;
const SITE_PORT = 18483;
const PREVIEW_OFFSET = 10000;

/** One busybox image per release: httpd on 8080 answering "/" with the release's name, /healthz for the check. */
const buildSlotImages = async (): Promise<void> => {
  for (const release of ["blue", "green"]) await importReleaseImage(REPO, release, "healthz", '["/bin/serve"]');
};

const health = { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "2s", retries: 3, startPeriod: "1s" };
const app: AppConfig = {
  name: "e2ebg",
  services: {
    web: { image: REPO, public: true, ports: [{ name: "http", port: 8080 }], health },
    api: { image: REPO, public: true, ports: [{ name: "http", port: 8080 }], health, replicas: 2 },
    site: { image: REPO, public: true, ports: [{ name: "http", port: 8080 }], health, replicas: 2 },
    // Internal, listening on 8080; their clients dial back:80 and other:80 (servicePort) through
    // the proxy, which shares its port 80 between them by the destination network.
    back: { image: REPO, ports: [{ name: "http", port: 8080, servicePort: 80 }], health, replicas: 2 },
    other: { image: REPO, ports: [{ name: "http", port: 8080, servicePort: 80 }], health },
    client: { image: REPO, ports: [{ name: "http", port: 8080 }], health, connections: [{ to: "back", port: "http", env: "BACK_ADDR" }, { to: "other", port: "http", env: "OTHER_ADDR" }] },
  },
} as AppConfig;

function env(live: "blue" | "green", weight: number, site = "blue"): EnvironmentConfig {
  return {
    target: "docker",
    network: { subnet: "10.238.0.0/16" },
    policy: { enforcement: "advisory" },
    release: { api: "blue", site, back: "blue", other: "green", client: "blue" },
    docker: { proxy: { previewPortOffset: PREVIEW_OFFSET } },
    services: {
      web: { ports: [{ name: "http", hostPort: WEB_PORT }], rollout: { strategy: "blue-green", live, slots: { blue: "blue", green: "green" } } },
      api: { ports: [{ name: "http", hostPort: API_PORT }], rollout: { strategy: "canary", canary: { release: "green", weight } } },
      // rolling, the default: behind the proxy because it is public
      site: { ports: [{ name: "http", hostPort: SITE_PORT }] },
    },
  } as unknown as EnvironmentConfig;
}

const synth = (live: "blue" | "green", weight: number, site = "blue"): Json => withLocalProxyImage(synthJson([resolveOne(app, "e2e", env(live, weight, site))]).get("e2e")!);

/** One GET on a fresh connection (no keep-alive: each request is a new connection the proxy balances). */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Requests one after another until `stop()` says so or `max` were sent; every answer or error in order. */
async function loop(port: number, stop: () => boolean, max: number): Promise<{ answers: string[]; failures: string[] }> {
  const answers: string[] = [];
  const failures: string[] = [];
  while (!stop() && answers.length + failures.length < max) {
    try {
      answers.push(await get(port));
    } catch (e) {
      failures.push(`${answers.length + failures.length}: ${(e as Error).message}`);
    }
  }
  return { answers, failures };
}

const tally = (xs: string[]): Record<string, number> => xs.reduce<Record<string, number>>((a, x) => ({ ...a, [x]: (a[x] ?? 0) + 1 }), {});

(enabled ? describe : describe.skip)(`blue-green and canary through the envkit proxy on a real Docker engine${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  const stacks: Json[] = [];
  let created: Created = emptyCreated();
  let current: Json = {};

  beforeAll(async () => {
    await Promise.all([buildSlotImages(), proxyImageBuilt()]);
    current = synth("blue", 20);
    stacks.push(current);
    await removeNamed(namesIn(current));
    created = await applyStack(current, {}, created);
  }, 180_000);

  afterAll(async () => {
    await destroyStack(created);
    for (const s of stacks) await removeNamed(namesIn(s));
  }, 120_000);

  it("serves the live slot on the public port and the idle slot on the loopback preview port", async () => {
    expect(await get(WEB_PORT)).toBe("blue");
    expect(await get(WEB_PORT + PREVIEW_OFFSET)).toBe("green");
    const proxy = await inspect("e2ebg-e2e-proxy");
    expect({ user: proxy.Config.User, ro: proxy.HostConfig.ReadonlyRootfs, caps: proxy.HostConfig.CapDrop, health: proxy.State.Health.Status }).toEqual({ user: "99:99", ro: true, caps: ["ALL"], health: "healthy" });
  });

  it("a client dials back:80 and other:80 (its generated BACK_ADDR, OTHER_ADDR) and reaches each one's containers listening on 8080; a service with no connection to back cannot", async () => {
    const list = async (prefix: string): Promise<string[]> =>
      ((await api("GET", `/containers/json?filters=${encodeURIComponent(JSON.stringify({ name: [prefix] }))}`)).json as unknown as Json[]).map((c) => String(c.Names[0]).slice(1)).filter((n) => !/seed/.test(n));
    const [client] = await list("e2ebg-e2e-client-");
    const [site] = await list("e2ebg-e2e-site-");
    // busybox wget's own -T segfaults (Debian busybox-static 1.35): bounded by busybox timeout instead.
    const dial = (container: string, address: string) => exec(container, ["sh", "-c", `busybox timeout 5 wget -q -O - "http://${address}/" 2>&1`]);
    // What the name resolves to, by the engine's DNS.
    const lookup = async (container: string, name: string) => (await exec(container, ["sh", "-c", `busybox nslookup ${name} 127.0.0.11 | busybox awk '/^Address/ && $2 !~ /:/ { a = $2 } END { print a }'`])).out;
    const env = await exec(client, ["sh", "-c", "echo $BACK_ADDR"]);
    const started = Date.now();
    const answers: string[] = [];
    const others: string[] = [];
    for (let i = 0; i < 20; i++) {
      answers.push((await dial(client, "$BACK_ADDR")).out);
      others.push((await dial(client, "$OTHER_ADDR")).out);
    }
    const resolved = await lookup(client, "back");
    const resolvedOther = await lookup(client, "other");
    const perRequestMs = (Date.now() - started) / 40;
    const direct = await dial(client, "back:8080");
    const stranger = await dial(site, "back:80");
    const proxyIps = Object.values((await inspect("e2ebg-e2e-proxy")).NetworkSettings.Networks as Record<string, Json>).map((n) => String(n.IPAddress));
    process.stderr.write(
      `engine test: servicePort: BACK_ADDR=${env.out} resolved to ${resolved} (the proxy's addresses: ${proxyIps.join(", ")}); 20 requests from client to back:80 → ${JSON.stringify(tally(answers))}, 20 to other:80 (resolved to ${resolvedOther}) → ${JSON.stringify(tally(others))} (${perRequestMs.toFixed(0)} ms each, docker exec included); back:8080 from client: exit ${direct.code} (${direct.out.replace(/\n/g, " ")}); back:80 from site (no connection): exit ${stranger.code} (${stranger.out.replace(/\n/g, " ")})\n`,
    );
    expect(env.out).toBe("back:80");
    expect(proxyIps).toContain(resolved);
    expect(tally(answers)).toEqual({ blue: 20 });
    // One listener on 80 for both: the proxy's address the client dialled picks the service.
    expect(proxyIps).toContain(resolvedOther);
    expect(resolvedOther).not.toBe(resolved);
    expect(tally(others)).toEqual({ green: 20 });
    // The name is the proxy's, and it listens on 80 only: the container port is not served under it.
    expect(direct.code).not.toBe(0);
    // Default-deny holds: the proxy joined client-to-back only, so site cannot resolve back.
    expect(stranger.code).not.toBe(0);
    expect(stranger.out).toMatch(/bad address 'back:80'/);
    expect(await lookup(site, "back")).toBe("");
  });

  it("switches blue → green with no failed request, replacing only the proxy's configuration seed", async () => {
    const next = synth("green", 20);
    stacks.push(next);
    const proxyId = (await inspect("e2ebg-e2e-proxy")).Id;
    let done = false;
    let seenGreenAt = 0;
    const started = Date.now();
    // Bounded: at most 5000 requests, and the loop ends 1 s after the update returned.
    const running = loop(WEB_PORT, () => done, 5000);
    await new Promise((r) => setTimeout(r, 500));
    const switchAt = Date.now();
    const update = await updateStack(current, next, created);
    created = update.created;
    current = next;
    // Wait (bounded) until the proxy answers green, then keep the loop going a second longer.
    for (let i = 0; i < 100 && !seenGreenAt; i++) {
      if ((await get(WEB_PORT)) === "green") seenGreenAt = Date.now();
      else await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1000));
    done = true;
    const { answers, failures } = await running;
    const plan: UpdatePlan = update.plan;
    process.stderr.write(
      `engine test: blue→green switch: apply ${update.timings.totalMs} ms, first green ${seenGreenAt - switchAt} ms after the apply started; ${answers.length + failures.length} requests in ${Date.now() - started} ms, ${failures.length} failed, answers ${JSON.stringify(tally(answers))}\n`,
    );
    expect(failures).toEqual([]);
    expect(seenGreenAt).toBeGreaterThan(0);
    // Every answer is blue until the switch, then green: never back.
    const firstGreen = answers.indexOf("green");
    expect({ firstGreen: firstGreen > 0, afterSwitch: answers.slice(firstGreen).every((a) => a === "green"), before: answers.slice(0, firstGreen).every((a) => a === "blue") }).toEqual({ firstGreen: true, afterSwitch: true, before: true });
    expect(plan.added).toEqual([]);
    expect(plan.removed).toEqual([]);
    expect(plan.replaced).toEqual([{ address: expect.stringMatching(/^docker_container\..*proxy.*config-seed/), order: "create-before-destroy" }]);
    // The proxy was not touched: same container, still publishing.
    expect((await inspect("e2ebg-e2e-proxy")).Id).toBe(proxyId);
    expect(await get(WEB_PORT + PREVIEW_OFFSET)).toBe("blue");
  }, 120_000);

  it("splits the canary service's traffic by weight exactly: 20% of 100 requests, then 50% after a weight change", async () => {
    const count = async (n: number) => {
      const { answers, failures } = await loop(API_PORT, () => false, n);
      return { ...tally(answers), failures: failures.length } as Record<string, number>;
    };
    const at20 = await count(100);
    const next = synth("green", 50);
    stacks.push(next);
    const update = await updateStack(current, next, created);
    created = update.created;
    current = next;
    expect(update.plan.replaced.map((r) => r.address)).toEqual([expect.stringMatching(/proxy.*config-seed/)]);
    // Until the proxy reloaded (within a few seconds), then count.
    for (let i = 0; i < 50; i++) {
      const probe = await count(10);
      if ((probe.green ?? 0) === 5) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const at50 = await count(100);
    process.stderr.write(`engine test: canary 20%: ${JSON.stringify(at20)} of 100; after the step to 50%: ${JSON.stringify(at50)} of 100\n`);
    expect(at20).toEqual({ blue: 80, green: 20, failures: 0 });
    expect(at50).toEqual({ blue: 50, green: 50, failures: 0 });
  }, 120_000);

  // Not zero: a connection the proxy hands to an old container in the instant it stops is reset
  // (Docker drops its DNS name only once it has stopped, and a TCP proxy cannot replay a request).
  // Measured 0 of 455–1,200 on a quiet engine and 1 of 1,108–1,210 under the full suite's load; the
  // bound below is that measurement, printed every run (README "How each strategy works on Docker").
  it("rolls a public service to a new release losing at most 1 request in 200: successors healthy before the old containers go", async () => {
    const next = synth("green", 50, "green");
    stacks.push(next);
    let done = false;
    const running = loop(SITE_PORT, () => done, 5000);
    await new Promise((r) => setTimeout(r, 500));
    const update = await updateStack(current, next, created);
    created = update.created;
    current = next;
    await new Promise((r) => setTimeout(r, 1500));
    done = true;
    const { answers, failures } = await running;
    process.stderr.write(`engine test: rolling release of a public service (2 replicas): apply ${update.timings.totalMs} ms (successors healthy after ${update.timings.createdMs} ms); ${answers.length + failures.length} requests, ${failures.length} failed, answers ${JSON.stringify(tally(answers))}\n`);
    expect(failures.length).toBeLessThanOrEqual(Math.floor((answers.length + failures.length) / 200));
    expect(answers.length).toBeGreaterThan(200);
    expect(answers[answers.length - 1]).toBe("green");
    // Only the site's image and containers were replaced, successors first; the proxy and its configuration stayed.
    expect(update.plan.replaced.map((r) => `${r.address.replace(/_[0-9A-F]{8}$/, "")} ${r.order}`).sort()).toEqual([
      "docker_container.docker_site_container-1 create-before-destroy",
      "docker_container.docker_site_container-2 create-before-destroy",
      "docker_image.docker_site_image create-before-destroy",
    ]);
    const names = (await api("GET", `/containers/json?filters=${encodeURIComponent(JSON.stringify({ name: ["e2ebg-e2e-site-"] }))}`)).json as unknown as Json[];
    expect(names.map((c) => String(c.Names[0])).filter((n) => !/seed/.test(n))).toHaveLength(2);
  }, 120_000);
});
