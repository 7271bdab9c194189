import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { REFERENCE_APP, dockerEnv, resolveOne, synthJson } from "../helpers";
import { Created, api, applyStack, destroyStack, emptyCreated, engineProblemsSync, exec, inspect as inspectByName, namesIn, removeNamed, updateStack } from "./engine-api";
import { proxyImageBuilt, proxyImageProblems, withLocalProxyImage } from "./proxy-image";

/*
 * Applies synthesized Docker stacks to a real engine through engine-api.ts, which sends the
 * Engine API the requests kreuzwerker/docker 3.6.2 sends (see its header). The main subject is
 * the reference app's dev stack exactly as synthesized, with each image replaced by an offline
 * stand-in built from a static busybox that behaves like the real one where the stack relies on
 * it (ports, health check commands, the files and users it needs). Needs a running engine and
 * /bin/busybox (Debian: docker.io, busybox-static); skipped, loudly, when either is missing.
 */
const BUSYBOX = "/bin/busybox";
const staticBusybox = fs.existsSync(BUSYBOX) && execFileSync("file", ["-L", BUSYBOX], { encoding: "utf8" }).includes("statically linked");
const reasons = [...engineProblemsSync(), ...(staticBusybox ? [] : [`no static ${BUSYBOX} (install busybox-static)`]), ...proxyImageProblems()];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: Docker engine tests: ${reasons.join("; ")} ***\n\n`);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const TAG = "e2e";
const image = (svc: string): string => `envkit-e2e/${svc}`;

/**
 * Shell scripts standing in for the programs the reference app's images run. Timeouts come from
 * `timeout`, never `wget -T`: Debian's static busybox 1.35 wget segfaults with -T (exit 139),
 * which once made "cannot reach" checks pass for the wrong reason.
 */
const STUBS: Record<string, string> = {
  // Every server: exits 0 on SIGTERM (a clean stop within the grace period), serves HTTP on its port.
  serve: `trap 'exit 0' TERM\nhttpd -f -p "$1" -h /www & wait`,
  // nginx-unprivileged (uid 101): HTTP on 8080.
  "web-server": `exec /bin/serve 8080`,
  // The api refuses to start without both of its secrets, then serves /health on 3000.
  "api-server": `cat "$DB_PASSWORD_FILE" "$JWT_SECRET_FILE" >/dev/null || exit 1\nexec /bin/serve 3000`,
  // postgres: reads its password file (POSTGRES_PASSWORD_FILE), writes PGDATA on the volume.
  "docker-entrypoint.sh": `cat "$POSTGRES_PASSWORD_FILE" >/dev/null || exit 1\nmkdir -p "$PGDATA" && echo 16 > "$PGDATA/PG_VERSION" || exit 1\nexec /bin/serve 5432`,
  pg_isready: `timeout 2 wget -q -O /dev/null http://127.0.0.1:5432/`,
  // redis-server --appendonly yes --dir /data: writes its append-only file in --dir.
  "redis-server": `dir=/data; while [ $# -gt 0 ]; do [ "$1" = --dir ] && dir=$2; shift; done\necho x > "$dir/appendonly.aof" || exit 1\nexec /bin/serve 6379`,
  "redis-cli": `timeout 2 wget -q -O /dev/null http://127.0.0.1:6379/ && echo PONG`,
  // node dist/worker.js | dist/healthcheck.js: the worker's health check needs its secret, db and cache.
  node: [
    `case "$1" in`,
    `dist/worker.js) cat "$DB_PASSWORD_FILE" >/dev/null || exit 1; trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done ;;`,
    `dist/healthcheck.js) cat "$DB_PASSWORD_FILE" >/dev/null && timeout 2 wget -q -O /dev/null "http://$DB_HOST:5432/" && timeout 2 wget -q -O /dev/null "http://$REDIS_HOST:6379/" ;;`,
    `*) echo "node stub: unknown script $1" >&2; exit 2 ;;`,
    `esac`,
  ].join("\n"),
};
/** Image config per stand-in image (the real images' CMD/ENTRYPOINT where the app relies on them). */
const IMAGES: Record<string, string[]> = {
  web: ['CMD ["/bin/web-server"]'],
  api: ['CMD ["/bin/api-server"]'],
  worker: ['CMD ["node", "dist/worker.js"]'],
  db: ['CMD ["/bin/docker-entrypoint.sh"]'],
  cache: ['CMD ["redis-server"]'],
  // For the smaller stacks below: serves /healthz on 8080.
  plain: ['CMD ["/bin/serve", "8080"]'],
};

/**
 * One busybox root filesystem for every stand-in image: the stubs, a web root, and the data
 * folders the real images give to their users (postgres uid 70, redis uid 999, the app uid 10001),
 * plus two root-owned folders a non-root user cannot write: /cache (0755, with a file) and /private (0700).
 */
async function buildImages(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-rootfs-"));
  const tar = `${root}.tar`;
  try {
    const dirs = ["bin", "www", "tmp", "cache", "private", "run", "var/run", "var/lib/postgresql/data", "data", "appdata"];
    for (const d of dirs) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const tool of ["sh", "wget", "httpd", "id", "cat", "touch", "grep", "sleep", "stat", "mkdir", "echo", "ls", "timeout"]) fs.symlinkSync("busybox", path.join(root, "bin", tool));
    for (const [name, body] of Object.entries(STUBS)) fs.writeFileSync(path.join(root, "bin", name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(root, "www", "index.html"), "ok\n");
    for (const f of ["health", "healthz"]) fs.writeFileSync(path.join(root, "www", f), "ok\n");
    fs.writeFileSync(path.join(root, "cache", "seed"), "from the image\n");
    fs.chmodSync(path.join(root, "cache"), 0o755);
    fs.chmodSync(path.join(root, "private"), 0o700);
    fs.chmodSync(path.join(root, "tmp"), 0o1777); // as in every real base image
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "--no-recursion", "-cf", tar, ...["bin", "www", "tmp", "cache", "private", "run", "var", "var/run", "var/lib", "var/lib/postgresql"]]);
    const files = ["bin", "www", "cache"].flatMap((d) => fs.readdirSync(path.join(root, d)).map((f) => `${d}/${f}`));
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "--no-recursion", "-rf", tar, ...files]);
    execFileSync("tar", ["-C", root, "--owner=70", "--group=70", "-rf", tar, "var/lib/postgresql/data"]);
    execFileSync("tar", ["-C", root, "--owner=999", "--group=999", "-rf", tar, "data"]);
    execFileSync("tar", ["-C", root, "--owner=10001", "--group=10001", "-rf", tar, "appdata"]);
    const body = fs.readFileSync(tar);
    for (const [svc, changes] of Object.entries(IMAGES)) {
      // POST /images/create?fromSrc=- is `docker import`: one layer, image config from `changes`.
      const q = new URLSearchParams([["fromSrc", "-"], ["repo", image(svc)], ["tag", TAG], ...["ENV PATH=/bin", ...changes].map((c): [string, string] => ["changes", c])]);
      const res = await api("POST", `/images/create?${q}`, body, { contentType: "application/x-tar" });
      if (/"error"/.test(res.body.toString("utf8"))) throw new Error(`import of ${image(svc)}: ${res.body.toString("utf8").slice(0, 300)}`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  }
}

let building: Promise<void> | undefined;
/** Builds the stand-in images once per run (both suites use them). */
const imagesBuilt = (): Promise<void> => (building ??= (async () => {
  const t = Date.now();
  await buildImages();
  process.stderr.write(`engine test: built ${Object.keys(IMAGES).length} stand-in images in ${Date.now() - t} ms\n`);
})());

/** The reference application with each service's image replaced by its offline stand-in. */
function referenceDev(): { app: AppConfig; env: EnvironmentConfig } {
  const app = parse(fs.readFileSync(path.join(REFERENCE_APP, "app.yaml"), "utf8")) as AppConfig;
  const env = parse(fs.readFileSync(path.join(REFERENCE_APP, "environments", "dev.yaml"), "utf8")) as EnvironmentConfig;
  const services = Object.fromEntries(Object.entries(app.services).map(([name, s]) => [name, { ...s, image: image(name) }]));
  // Without the monitoring set: its images are pinned by digest and cannot be pulled or stood in
  // for offline (a local import has no repo digest). Its wiring ran on a swarm with stand-ins
  // (swarm-engine.test.ts); on Docker it is checked in the synthesized JSON only.
  const monitoring = { ...env.monitoring, stack: false, images: undefined, receivers: undefined };
  return { app: { ...app, services }, env: { ...env, monitoring, release: Object.fromEntries(Object.keys(services).map((n) => [n, TAG])) } };
}

function hostGet(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: p, timeout: 5000 }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

/**
 * A container's name without the hash a rolling set's containers and seeds carry
 * (`shop-dev-api-3a9e0cde-1` → `shop-dev-api-1`, docker-service.ts): the tests name containers
 * the readable way and `real` finds the synthesized name.
 */
const plain = (name: string): string => name.replace(/-[0-9a-f]{8}(-\d+)$/, "$1").replace(/-secrets-seed-[0-9a-f]{8}$/, "-secrets-seed");
const synthesized = new Map<string, string>();
/** Records every container name of a synthesized stack under its plain form. */
const remember = (json: Json): Json => {
  for (const c of Object.values((json.resource?.docker_container ?? {}) as Record<string, Json>)) synthesized.set(plain(String(c.name)), String(c.name));
  return json;
};
const real = (name: string): string => synthesized.get(name) ?? name;
const inspect = (container: string) => inspectByName(real(container));
const sh = (container: string, cmd: string) => exec(real(container), ["sh", "-c", cmd]);
const SECRETS = { db_password: "e2e-db-password", jwt_secret: "e2e-jwt-secret" };

(enabled ? describe : describe.skip)(`the reference app's dev stack on a real Docker engine, applied as kreuzwerker/docker 3.6.2 would${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  let json: Json = {};
  let created: Created = emptyCreated();
  const applyStarted = { at: 0, ms: 0 };

  beforeAll(async () => {
    await Promise.all([imagesBuilt(), proxyImageBuilt()]);
    const { app, env } = referenceDev();
    // As synthesized; only the proxy's pinned image is replaced by its offline stand-in.
    json = remember(withLocalProxyImage(synthJson([resolveOne(app, "dev", env)]).get("dev")!));
    await removeNamed(namesIn(json)); // leftovers of an interrupted run
    applyStarted.at = Date.now();
    try {
      await applyStack(json, SECRETS, created);
    } finally {
      applyStarted.ms = Date.now() - applyStarted.at;
    }
  }, 240_000);

  afterAll(async () => {
    await destroyStack(created);
    await removeNamed(namesIn(json));
  }, 120_000);

  const containers = (): Json[] => Object.values(json.resource.docker_container as Record<string, Json>);
  const apps = ["web", "api", "worker", "db", "cache"].map((s) => `shop-dev-${s}-1`);

  it("brings up all five services healthy, and creates one never-started secrets seed per service with secrets", async () => {
    for (const name of apps) expect({ name, health: (await inspect(name)).State.Health?.Status }).toEqual({ name, health: "healthy" });
    // web is public and rolls: the envkit proxy publishes its port (strategies/docker-strategies.test.ts).
    expect([...created.started].map(plain).sort()).toEqual([...apps, "shop-dev-proxy"].sort());
    expect((await inspect("shop-dev-proxy")).State.Health?.Status).toBe("healthy");
    const seeds = containers().filter((c) => c.start === false && !/proxy-config/.test(c.name)).map((c) => plain(c.name)).sort();
    expect(seeds).toEqual(["shop-dev-api-secrets-seed", "shop-dev-db-secrets-seed", "shop-dev-worker-secrets-seed"]);
    for (const s of seeds) {
      const info = await inspect(s);
      expect({ s, status: info.State.Status, started: info.State.StartedAt }).toEqual({ s, status: "created", started: "0001-01-01T00:00:00Z" });
      // No network, no port: nothing can reach it, even if someone started it by hand.
      expect({ s, networks: Object.keys(info.NetworkSettings.Networks ?? {}), ports: info.HostConfig.PortBindings ?? {} }).toEqual({ s, networks: ["none"], ports: {} });
    }
    process.stderr.write(`engine test: applied ${created.containers.length} containers (${created.started.length} started), ${created.networks.length} networks, ${created.volumes.length} volumes in ${applyStarted.ms} ms\n`);
  });

  it("delivers each secret as a root-owned 0444 file the non-root service reads and cannot change, on a read-only root", async () => {
    const expected: [string, string, string[]][] = [
      ["shop-dev-api-1", "10001", ["db_password", "jwt_secret"]],
      ["shop-dev-worker-1", "10001", ["db_password"]],
      ["shop-dev-db-1", "70", ["db_password"]],
    ];
    for (const [c, uid, names] of expected) {
      expect((await sh(c, "id -u")).out).toBe(uid);
      for (const n of names) {
        const file = `/run/secrets/${n}`;
        expect({ c, n, read: (await sh(c, `cat ${file}`)).out }).toEqual({ c, n, read: SECRETS[n as keyof typeof SECRETS] });
        // Owner and mode as the provider's tar leaves them (no uid/gid in its headers).
        expect({ c, n, stat: (await sh(c, `stat -c '%u:%g %a' ${file}`)).out }).toEqual({ c, n, stat: "0:0 444" });
        expect({ c, n, overwrite: (await sh(c, `echo x > ${file}`)).code }).not.toEqual({ c, n, overwrite: 0 });
      }
      expect({ c, add: (await sh(c, "echo x > /run/secrets/new")).out }).toEqual({ c, add: expect.stringMatching(/Read-only file system/) });
      expect({ c, root: (await sh(c, "touch /x")).code }).not.toEqual({ c, root: 0 });
    }
    // A service without secrets has no such folder, and a service's secrets volume is mounted by its own containers only.
    expect((await sh("shop-dev-web-1", "ls /run/secrets")).code).not.toBe(0);
    for (const c of [...apps, "shop-dev-api-secrets-seed", "shop-dev-db-secrets-seed", "shop-dev-worker-secrets-seed"]) {
      const svc = c.replace(/^shop-dev-/, "").replace(/-(\d+|secrets-seed)$/, "");
      const secretVolumes = ((await inspect(c)).Mounts as Json[]).map((m) => String(m.Name ?? "")).filter((n) => n.endsWith("-secrets"));
      expect({ c, secretVolumes }).toEqual({ c, secretVolumes: ["api", "worker", "db"].includes(svc) ? [`shop-dev-${svc}-secrets`] : [] });
    }
  });

  it("runs the exec-form command health checks (pg_isready, redis-cli, node) and the HTTP ones, all passing", async () => {
    const tests = Object.fromEntries(await Promise.all(apps.map(async (c) => [c, (await inspect(c)).Config.Healthcheck.Test])));
    expect(tests).toEqual({
      "shop-dev-web-1": ["CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:8080/' || exit 1"],
      "shop-dev-api-1": ["CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:3000/health' || exit 1"],
      "shop-dev-worker-1": ["CMD", "node", "dist/healthcheck.js"],
      "shop-dev-db-1": ["CMD", "pg_isready", "-U", "shop", "-d", "shop"],
      "shop-dev-cache-1": ["CMD", "redis-cli", "ping"],
    });
    for (const c of apps) {
      const log = (await inspect(c)).State.Health.Log as Json[];
      expect({ c, lastExit: log[log.length - 1].ExitCode }).toEqual({ c, lastExit: 0 });
    }
  });

  it("creates every client only after the servers it connects to were healthy (depends_on + wait)", async () => {
    const createdAt = async (c: string): Promise<number> => Date.parse((await inspect(c)).Created);
    const healthyBy = async (c: string): Promise<number> => Math.min(...((await inspect(c)).State.Health.Log as Json[]).filter((l) => l.ExitCode === 0).map((l) => Date.parse(l.End)));
    const pairs: [string, string][] = [
      ["api", "db"],
      ["api", "cache"],
      ["worker", "db"],
      ["worker", "cache"],
      ["web", "api"],
    ];
    for (const [client, server] of pairs) {
      const [c, s] = [`shop-dev-${client}-1`, `shop-dev-${server}-1`];
      const order = created.createdOrder.map(plain);
      expect({ client, server, after: order.indexOf(c) > order.indexOf(s) }).toEqual({ client, server, after: true });
      // The engine's own clock agrees: a passing probe of the server ended before the client existed.
      expect({ client, server, createdAfterHealthy: (await createdAt(c)) >= (await healthyBy(s)) }).toEqual({ client, server, createdAfterHealthy: true });
    }
    // Each app container is created after its seed has written the files.
    const order = created.createdOrder.map(plain);
    for (const s of ["api", "worker", "db"]) expect(order.indexOf(`shop-dev-${s}-1`)).toBeGreaterThan(order.indexOf(`shop-dev-${s}-secrets-seed`));
  });

  it("lets each declared client reach its server by alias", async () => {
    const reach = async (from: string, host: string, port: number) => (await sh(`shop-dev-${from}-1`, `timeout 3 wget -q -O - http://${host}:${port}/ && echo reached`)).out;
    for (const [from, host, port] of [["web", "api", 3000], ["api", "db", 5432], ["api", "cache", 6379], ["worker", "db", 5432], ["worker", "cache", 6379]] as const) {
      expect({ from, host, out: await reach(from, host, port) }).toEqual({ from, host, out: "ok\nreached" });
    }
  });

  it("makes every undeclared pair unreachable, by alias and by address", async () => {
    const ipsOf = async (c: string): Promise<string[]> => Object.values((await inspect(c)).NetworkSettings.Networks as Record<string, Json>).map((n) => String(n.IPAddress));
    const pairs: [string, string, number][] = [["web", "db", 5432], ["web", "cache", 6379], ["worker", "api", 3000], ["db", "cache", 6379], ["cache", "db", 5432], ["db", "web", 8080]];
    // Refused for the right reason: no such name, no route, or no answer (timeout's 143); never a crash.
    const blocked = /bad address|can't connect|unreachable|^$/;
    await Promise.all(pairs.map(async ([from, to, port]) => {
      const byAlias = await sh(`shop-dev-${from}-1`, `timeout 2 wget -q -O /dev/null http://${to}:${port}/`);
      expect({ from, to, code: byAlias.code === 0 || byAlias.code === 139, out: byAlias.out }).toEqual({ from, to, code: false, out: expect.stringMatching(blocked) });
      for (const ip of await ipsOf(`shop-dev-${to}-1`)) {
        const byAddress = await sh(`shop-dev-${from}-1`, `timeout 2 wget -q -O /dev/null http://${ip}:${port}/`);
        expect({ from, to, ip, code: byAddress.code === 0 || byAddress.code === 139, out: byAddress.out }).toEqual({ from, to, ip, code: false, out: expect.stringMatching(blocked) });
      }
    }));
  });

  it("publishes only the public service, on loopback, through the envkit proxy (no service container binds a host port)", async () => {
    expect(await hostGet(8080, "/")).toEqual({ status: 200, body: "ok\n" });
    for (const c of apps) expect({ c, ports: (await inspect(c)).HostConfig.PortBindings ?? {} }).toEqual({ c, ports: {} });
    expect((await inspect("shop-dev-proxy")).HostConfig.PortBindings).toEqual({ "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] });
  });

  it("applies the hardening, limits, restart and log settings as the provider sends them", async () => {
    const info = await inspect("shop-dev-api-1");
    const hc = info.HostConfig;
    expect({ ro: hc.ReadonlyRootfs, drop: hc.CapDrop, sec: hc.SecurityOpt, init: hc.Init }).toEqual({ ro: true, drop: ["ALL"], sec: ["no-new-privileges:true"], init: false });
    // 256Mi and the 500m CPU limit (the default: twice the 250m request) as the provider converts them.
    expect({ memory: hc.Memory, swap: hc.MemorySwap, period: hc.CpuPeriod, quota: hc.CpuQuota, nano: hc.NanoCpus }).toEqual({ memory: 256 * 1024 * 1024, swap: 256 * 1024 * 1024, period: 100_000, quota: 50_000, nano: 0 });
    expect(hc.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 5 });
    expect(hc.LogConfig).toEqual({ Type: "json-file", Config: { "max-file": "3", "max-size": "10m" } });
    expect(info.Config.StopTimeout).toBe(30);
    expect((await sh("shop-dev-api-1", "grep CapEff /proc/self/status")).out).toMatch(/CapEff:\s+0000000000000000/);
    expect((await sh("shop-dev-api-1", "grep NoNewPrivs /proc/self/status")).out).toMatch(/NoNewPrivs:\s+1/);
  });

  it("gives the stateful services their volumes: postgres and redis write their data as uid 70 and 999", async () => {
    expect((await sh("shop-dev-db-1", "stat -c '%u' /var/lib/postgresql/data/pgdata/PG_VERSION")).out).toBe("70");
    expect((await sh("shop-dev-cache-1", "stat -c '%u' /data/appendonly.aof")).out).toBe("999");
    expect((await sh("shop-dev-db-1", "echo x > /var/run/postgresql/probe && echo written")).out).toBe("written");
  });

  it("destroys everything it created, each started app stopping cleanly on SIGTERM within its grace period (exit 0)", async () => {
    const exitCodes = await destroyStack(created);
    expect(Object.fromEntries(Object.entries(exitCodes).map(([k, v]) => [plain(k), v]))).toEqual(Object.fromEntries([...apps, "shop-dev-proxy"].map((a) => [a, 0])));
    const names = namesIn(json);
    for (const c of names.containers) expect({ c, status: (await api("GET", `/containers/${c}/json`, undefined, { allow: [404] })).status }).toEqual({ c, status: 404 });
    for (const n of names.networks) expect({ n, status: (await api("GET", `/networks/${n}`, undefined, { allow: [404] })).status }).toEqual({ n, status: 404 });
    for (const v of names.volumes) expect({ v, status: (await api("GET", `/volumes/${v}`, undefined, { allow: [404] })).status }).toEqual({ v, status: 404 });
    created = emptyCreated();
  }, 120_000);
});

(enabled ? describe : describe.skip)(`Docker secrets and writable paths on a real engine${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  const serve = { image: image("plain"), ports: [{ name: "http", port: 8080 }] };
  const health = { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "2s", retries: 3, startPeriod: "2s" };
  const stacks: Json[] = [];
  const made: Created[] = [];
  /** Synthesizes and applies a one-off stack, remembering it for cleanup. */
  const up = async (app: AppConfig, env: EnvironmentConfig, vars: Record<string, string> = {}): Promise<Json> => {
    const json = synthJson([resolveOne(app, "dev", env)]).get("dev")!;
    stacks.push(json);
    await removeNamed(namesIn(json));
    const c = emptyCreated();
    made.push(c);
    await applyStack(json, vars, c);
    return json;
  };

  beforeAll(() => imagesBuilt(), 120_000);
  afterAll(async () => {
    // Every container of every stack first (stacks share logical ids, so one at a time), then the
    // networks and volumes they were attached to.
    for (const c of made) await destroyStack({ ...c, networks: [], volumes: [] });
    for (const c of made) await removeNamed({ networks: c.networks.map((n) => n.name), volumes: c.volumes.map((v) => v.name) });
    for (const j of stacks) await removeNamed(namesIn(j));
  }, 120_000);

  it("the old design fails as the provider would: an upload into a read-only container is refused by the engine", async () => {
    const json = synthJson([resolveOne({ name: "e2eo", services: { app: { ...serve, health, secrets: ["token"] } } }, "dev", dockerEnv({ release: { app: TAG }, network: { subnet: "10.246.0.0/16" }, rollout: { strategy: "recreate" } } as Partial<EnvironmentConfig>))]).get("dev")!;
    // Move the seed's upload onto the read-only app container, and drop the seed.
    const byName = (n: string) => Object.entries(json.resource.docker_container as Record<string, Json>).find(([, c]) => c.name === n)!;
    const [seedKey, seed] = byName("e2eo-dev-app-secrets-seed");
    const [, appC] = byName("e2eo-dev-app-1");
    appC.upload = seed.upload;
    appC.mounts = (appC.mounts as Json[]).map((m) => ({ ...m, read_only: false }));
    delete appC.depends_on;
    delete json.resource.docker_container[seedKey];
    stacks.push(json);
    await removeNamed(namesIn(json));
    const c = emptyCreated();
    made.push(c);
    await expect(applyStack(json, { token: "t" }, c)).rejects.toThrow(/Unable to upload volume content \(\/run\/secrets\/token\): HTTP 500: .*container rootfs is marked read-only/);
    expect(c.started).toEqual([]);
  });

  it("a new secret value replaces the seed and the app reads it (what replace_triggered_by on the seed's id gives)", async () => {
    const app: AppConfig = { name: "e2er", services: { app: { ...serve, health, secrets: ["token"] } } };
    const env = dockerEnv({ release: { app: TAG }, network: { subnet: "10.245.0.0/16" }, rollout: { strategy: "recreate" } } as Partial<EnvironmentConfig>);
    const json = await up(app, env, { token: "first" });
    expect((await sh("e2er-dev-app-1", "cat $TOKEN_FILE")).out).toBe("first");
    // Terraform's plan for the new value: the seed (upload is ForceNew) and, through the trigger, the app.
    const app1 = Object.values(json.resource.docker_container as Record<string, Json>).find((c) => c.name === "e2er-dev-app-1")!;
    expect(app1.lifecycle.replace_triggered_by[0]).toMatch(/^docker_container\.[\w-]+secrets-seed[\w-]*\.id$/);
    const first = made[made.length - 1];
    const seedAddress = first.containers.find((c) => c.name === "e2er-dev-app-secrets-seed")!.address;
    const replaced = first.containers.filter((c) => c.address === seedAddress || c.name === "e2er-dev-app-1");
    await destroyStack({ ...emptyCreated(), containers: replaced, started: first.started }); // destroy, then create
    const again = emptyCreated();
    made.push(again);
    await applyStack(json, { token: "second" }, again, { replace: replaced.map((c) => c.address) });
    expect(again.createdOrder).toEqual(["e2er-dev-app-secrets-seed", "e2er-dev-app-1"]);
    // The volume was kept (only the two containers were created again), with the new content.
    expect({ volumes: again.volumes, networks: again.networks }).toEqual({ volumes: [], networks: [] });
    expect((await sh("e2er-dev-app-1", "cat $TOKEN_FILE")).out).toBe("second");
  });

  it("with docker.secretsHostDir: no variable is declared, the host file is bind-mounted read-only and readable", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-e2e-secrets-"));
    try {
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path.join(dir, "token"), "from-the-host", { mode: 0o644 });
      const json = await up({ name: "e2eh", services: { app: { ...serve, health, secrets: ["token"] } } }, dockerEnv({ release: { app: TAG }, network: { subnet: "10.244.0.0/16" }, docker: { secretsHostDir: dir }, rollout: { strategy: "recreate" } } as Partial<EnvironmentConfig>));
      expect(json.variable).toBeUndefined();
      expect((await sh("e2eh-dev-app-1", "id -u; cat $TOKEN_FILE")).out).toBe("10001\nfrom-the-host");
      expect((await sh("e2eh-dev-app-1", "echo x > $TOKEN_FILE")).code).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("writable paths of non-root services, on folders the image gives to root", () => {
    const writable = ["/tmp", "/cache", "/private", "/scratch"];
    beforeAll(async () => {
      const svc = { ...serve, health, writablePaths: writable };
      await up({ name: "e2ew", services: { app: svc, redis: { ...svc, security: { user: "999:999" } } } }, dockerEnv({ release: { app: TAG, redis: TAG }, network: { subnet: "10.249.0.0/16" }, rollout: { strategy: "recreate" } } as Partial<EnvironmentConfig>));
    }, 120_000);

    it.each([
      ["e2ew-dev-app-1", "10001"],
      ["e2ew-dev-redis-1", "999"],
    ])("%s (uid %s) can write a file in each writable path", async (c, uid) => {
      const probe = writable.map((d) => `echo x > ${d}/probe && echo "${d} ok"`).join("; ");
      expect((await sh(c, `id -u; ${probe}`)).out).toBe([uid, ...writable.map((d) => `${d} ok`)].join("\n"));
    });

    it("keeps the other users out of a folder the image lacks, and the writes off the read-only root", async () => {
      expect((await sh("e2ew-dev-redis-1", "stat -c '%u:%g %a' /scratch /cache")).out).toBe("999:999 700\n999:999 755");
      expect((await sh("e2ew-dev-redis-1", "touch /probe")).code).not.toBe(0);
    });
  });
});

(enabled ? describe : describe.skip)(`a job on a real engine: it runs to completion before its dependants${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  const serve = { image: image("plain"), ports: [{ name: "http", port: 8080 }], health: { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "2s", retries: 3, startPeriod: "2s" } };
  const made: { json: Json; created: Created }[] = [];
  /** The app: a job that runs `script` (as the service user, on the read-only root) before `api`. */
  const stack = (name: string, script: string, subnet: string): Json =>
    synthJson([resolveOne({ name, services: { api: serve, migrate: { image: image("plain"), kind: "job", runBefore: ["api"], command: ["sh", "-c", script] } } }, "dev", dockerEnv({ release: { api: TAG, migrate: TAG }, network: { subnet } }))]).get("dev")!;
  const up = async (json: Json): Promise<Created> => {
    await removeNamed(namesIn(json));
    const created = emptyCreated();
    made.push({ json, created });
    await applyStack(json, {}, created);
    return created;
  };

  beforeAll(() => imagesBuilt(), 120_000);
  afterAll(async () => {
    for (const m of made) await destroyStack(m.created);
    for (const m of made) await removeNamed(namesIn(m.json));
  }, 120_000);

  it("a job that exits 0: apply waited for it, then created the dependant (which came up healthy)", async () => {
    const created = await up(stack("e2ej", "id -u > /tmp/uid; sleep 2; exit 0", "10.247.0.0/16"));
    expect(created.exitCodes.get("e2ej-dev-migrate-1")).toBe(0);
    const job = await inspect("e2ej-dev-migrate-1");
    // A rolling set's containers carry a replacement hash in their names.
    const apiName = created.createdOrder.find((n) => /^e2ej-dev-api-([0-9a-f]{8}-)?1$/.test(n))!;
    const api = await inspect(apiName);
    expect(job.State.Status).toBe("exited");
    expect(job.Config.User).toBe("10001:10001");
    expect(job.HostConfig.RestartPolicy.Name).toBe("no");
    // The dependant was created only after the job had finished.
    expect(Date.parse(api.Created)).toBeGreaterThanOrEqual(Date.parse(job.State.FinishedAt));
    expect(created.createdOrder.indexOf(apiName)).toBeGreaterThan(created.createdOrder.indexOf("e2ej-dev-migrate-1"));
    expect(api.State.Health.Status).toBe("healthy");
  });

  it("a job that exits non-zero fails apply with its postcondition's message, and the dependant is never created", async () => {
    const json = stack("e2ek", "exit 3", "10.248.0.0/16");
    await expect(up(json)).rejects.toThrow(/Resource postcondition failed: job "migrate" exited with a non-zero code; read its output with docker logs e2ek-dev-migrate-1/);
    expect(made[made.length - 1].created.exitCodes.get("e2ek-dev-migrate-1")).toBe(3);
    expect(made[made.length - 1].created.createdOrder.filter((n) => n.startsWith("e2ek-dev-api-"))).toEqual([]);
    const left = (await api("GET", `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ name: ["e2ek-dev-api-"] }))}`)).json as unknown as Json[];
    expect(left).toEqual([]);
  });
});

(enabled ? describe : describe.skip)(`init steps on a real engine: they run to completion, in order, before the service's container, and again when it is replaced${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  const health = { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "2s", retries: 3, startPeriod: "2s" };
  const serve = { image: image("plain"), ports: [{ name: "http", port: 8080 }], health };
  const made: { json: Json; created: Created }[] = [];
  /**
   * `api` (stateful: its volume is at /appdata, which the image gives to uid 10001) has two steps:
   * the first reaches its server `db` by alias over the connection's network, then writes into
   * the volume; the second reads what the first wrote. `first` replaces the first step's script.
   */
  const stack = (name: string, subnet: string, first = "timeout 3 wget -q -O /dev/null http://db:8080/healthz && echo reached-db > /appdata/step1 && echo run >> /appdata/runs", env: Record<string, string> = {}): Json =>
    synthJson([
      resolveOne(
        {
          name,
          services: {
            db: serve,
            api: {
              ...serve,
              kind: "stateful",
              env,
              volumes: [{ name: "data", path: "/appdata" }],
              connections: [{ to: "db", port: "http" }],
              init: [{ command: ["sh", "-c", first] }, { command: ["sh", "-c", "cat /appdata/step1 > /appdata/step2 && id -u >> /appdata/step2"] }],
            },
          },
        },
        "dev",
        dockerEnv({ release: { api: TAG, db: TAG }, network: { subnet }, rollout: { strategy: "recreate" } } as Partial<EnvironmentConfig>),
      ),
    ]).get("dev")!;
  const up = async (json: Json): Promise<Created> => {
    await removeNamed(namesIn(json));
    const created = emptyCreated();
    made.push({ json, created });
    const t = Date.now();
    try {
      await applyStack(json, {}, created);
    } finally {
      process.stderr.write(`engine test: init-step stack ${String(Object.values(json.resource.docker_container as Record<string, Json>)[0]?.name ?? "").split("-")[0]} applied in ${Date.now() - t} ms\n`);
    }
    return created;
  };

  beforeAll(() => imagesBuilt(), 120_000);
  afterAll(async () => {
    for (const m of made) await destroyStack({ ...m.created, networks: [], volumes: [] });
    for (const m of made) await removeNamed(namesIn(m.json));
  }, 120_000);

  it("passing steps: each ran to exit 0 in order, after the server was healthy, as the service user on a read-only root; then the service started and sees what they wrote", async () => {
    const json = stack("e2ei", "10.243.0.0/16");
    const created = await up(json);
    expect({ s1: created.exitCodes.get("e2ei-dev-api-init-1"), s2: created.exitCodes.get("e2ei-dev-api-init-2") }).toEqual({ s1: 0, s2: 0 });
    const [s1, s2, svc, db] = await Promise.all(["e2ei-dev-api-init-1", "e2ei-dev-api-init-2", "e2ei-dev-api-1", "e2ei-dev-db-1"].map((n) => inspect(n)));
    for (const s of [s1, s2]) {
      expect({ status: s.State.Status, restart: s.HostConfig.RestartPolicy.Name, user: s.Config.User, ro: s.HostConfig.ReadonlyRootfs, drop: s.HostConfig.CapDrop, sec: s.HostConfig.SecurityOpt }).toEqual({ status: "exited", restart: "no", user: "10001:10001", ro: true, drop: ["ALL"], sec: ["no-new-privileges:true"] });
      // No alias on the networks it joined: nothing resolves "api" to a step.
      for (const n of Object.values(s.NetworkSettings.Networks as Record<string, Json>)) expect((n.Aliases ?? []).filter((a: string) => a === "api")).toEqual([]);
    }
    // The image's CMD is not appended to a step's command (it would be `sh -c <script> /bin/serve 8080`).
    expect(s1.Config.Cmd ?? null).toBeNull();
    // In order: the server first (step 1 reached it by alias, or it would have failed), step 1
    // finished before step 2 started, step 2 finished before the service was created.
    expect(created.createdOrder.indexOf("e2ei-dev-db-1")).toBeLessThan(created.createdOrder.indexOf("e2ei-dev-api-init-1"));
    expect(Date.parse(s1.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(db.State.StartedAt));
    expect(Date.parse(s2.State.StartedAt)).toBeGreaterThanOrEqual(Date.parse(s1.State.FinishedAt));
    expect(Date.parse(svc.Created)).toBeGreaterThanOrEqual(Date.parse(s2.State.FinishedAt));
    expect(created.createdOrder.filter((n) => n.startsWith("e2ei-dev-api"))).toEqual(["e2ei-dev-api-init-1", "e2ei-dev-api-init-2", "e2ei-dev-api-1"]);
    expect(svc.State.Health.Status).toBe("healthy");
    expect((await sh("e2ei-dev-api-1", "cat /appdata/step2")).out).toBe("reached-db\n10001");
    const ms = (c: Json) => Date.parse(c.State.FinishedAt) - Date.parse(c.State.StartedAt);
    process.stderr.write(`engine test: init steps ran ${ms(s1)} ms and ${ms(s2)} ms; the service was created ${Date.parse(svc.Created) - Date.parse(s2.State.FinishedAt)} ms after the last one finished\n`);
  });

  it("a change that replaces the service's container replaces its steps first: they run again before the new container", async () => {
    const before = made[0].json;
    const after = stack("e2ei", "10.243.0.0/16", undefined, { LOG_LEVEL: "debug" });
    const { plan, created } = await updateStack(before, after, made[0].created);
    made[0] = { json: after, created };
    const names = (addresses: string[]) => addresses.map((a) => created.containers.find((c) => c.address === a)?.name).filter(Boolean).sort();
    expect(names(plan.replaced.map((r) => r.address))).toEqual(["e2ei-dev-api-1", "e2ei-dev-api-init-1", "e2ei-dev-api-init-2"]);
    expect(plan.replaced.every((r) => r.order === "destroy-before-create")).toBe(true);
    expect((await sh("e2ei-dev-api-1", "cat /appdata/runs")).out).toBe("run\nrun");
    expect((await inspect("e2ei-dev-api-1")).State.Health.Status).toBe("healthy");
  }, 120_000);

  it("a failing step fails apply with its postcondition's message: the next step and the service's container are never created", async () => {
    const json = stack("e2ef", "10.242.0.0/16", "echo failing >&2; exit 4");
    await expect(up(json)).rejects.toThrow(/Resource postcondition failed: init step 1 of "api" exited with a non-zero code, so "api" was not started; read its output with docker logs e2ef-dev-api-init-1/);
    const created = made[made.length - 1].created;
    expect(created.exitCodes.get("e2ef-dev-api-init-1")).toBe(4);
    expect(created.createdOrder.filter((n) => n.startsWith("e2ef-dev-api"))).toEqual(["e2ef-dev-api-init-1"]);
    const left = (await api("GET", `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ name: ["e2ef-dev-api-"] }))}`)).json as unknown as Json[];
    expect(left.map((c) => String(c.Names[0]).replace(/^\//, ""))).toEqual(["e2ef-dev-api-init-1"]);
    // The exited step keeps its output for docker logs (must_run false: no refresh deletes it).
    expect((await inspect("e2ef-dev-api-init-1")).State).toMatchObject({ Status: "exited", ExitCode: 4 });
  });
});
