import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig } from "../../lib/config/schema";
import { dockerEnv, resolveOne, synthJson } from "../helpers";
import { Created, applyStack, destroy, docker, engineAvailable, waitHealthy } from "./docker-cli";

/*
 * Runs the synthesized dev stack of a small app on a real Docker engine (loopback and the test's
 * own bridge networks only). Needs a running engine and a static busybox to build the test image
 * offline (Debian: docker.io, busybox-static). Skipped, loudly, when either is missing.
 */
const BUSYBOX = "/bin/busybox";
/** Whether the engine can create the kind of network envkit emits (some sandboxes forbid bridges). */
function canCreateNetworks(): boolean {
  const name = `envkit-probe-${process.pid}`;
  const ok = docker(["network", "create", "--internal", "--subnet", "10.252.0.0/24", name], { allowFail: true }).code === 0;
  docker(["network", "rm", name], { allowFail: true });
  return ok;
}

const engine = engineAvailable();
const reasons = [
  ...(engine ? [] : ["no Docker engine answers (install docker.io and start dockerd)"]),
  ...(engine && !canCreateNetworks() ? ["the engine cannot create bridge networks here"] : []),
  ...(fs.existsSync(BUSYBOX) && execFileSync("file", [BUSYBOX], { encoding: "utf8" }).includes("statically linked") ? [] : [`no static ${BUSYBOX} (install busybox-static)`]),
];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: Docker engine tests: ${reasons.join("; ")} ***\n\n`);

const IMAGE = "envkit-e2e/busybox";
const TAG = "1.0";

/**
 * An image built offline: busybox, a web root with /healthz, /data owned by the app user, and two
 * root-owned folders a non-root user cannot write: /cache (0755, with a file, like
 * /var/cache/nginx) and /private (0700).
 */
function buildImage(): void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-rootfs-"));
  for (const d of ["bin", "www", "data", "tmp", "cache", "private"]) fs.mkdirSync(path.join(root, d));
  fs.writeFileSync(path.join(root, "cache", "seed"), "from the image\n");
  fs.chmodSync(path.join(root, "cache"), 0o755);
  fs.chmodSync(path.join(root, "private"), 0o700);
  fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
  fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
  for (const tool of ["sh", "wget", "httpd", "id", "cat", "touch", "grep", "sleep", "stat"]) fs.symlinkSync("busybox", path.join(root, "bin", tool));
  fs.writeFileSync(path.join(root, "www", "healthz"), "ok\n");
  const tar = path.join(root, "..", `${path.basename(root)}.tar`);
  fs.chmodSync(path.join(root, "tmp"), 0o1777); // as in every real base image
  execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "-cf", tar, "bin", "www", "tmp", "cache", "private"]);
  execFileSync("tar", ["-C", root, "--owner=10001", "--group=10001", "-rf", tar, "data"]);
  execFileSync("sh", ["-c", `docker import -c 'ENV PATH=/bin' ${tar} ${IMAGE}:${TAG} >/dev/null`]);
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(tar, { force: true });
}

function hostGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: p, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
}

(enabled ? describe : describe.skip)(`the dev stack on a real Docker engine${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  // The shell is PID 1 and exits cleanly on SIGTERM, as a well-behaved app does: a stop within the
  // grace period ends with exit code 0, a SIGKILL with 137.
  const serve = ["/bin/sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"];
  const health = { http: { path: "/healthz", port: "http" }, interval: "1s", timeout: "2s", retries: 3, startPeriod: "2s" };
  const app: AppConfig = {
    name: "e2e",
    services: {
      web: { image: IMAGE, public: true, ports: [{ name: "http", port: 8080, hostPort: 18080 }], command: serve, health, connections: [{ to: "api", port: "http" }] },
      api: { image: IMAGE, ports: [{ name: "http", port: 8080 }], command: serve, health, secrets: ["api_token"], connections: [{ to: "db", port: "http" }] },
      db: { image: IMAGE, kind: "stateful", ports: [{ name: "http", port: 8080 }], command: serve, health, volumes: [{ name: "data", path: "/data" }] },
    },
  };
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-e2e-secrets-"));
  fs.chmodSync(secrets, 0o755);
  fs.writeFileSync(path.join(secrets, "api_token"), "e2e-token-value", { mode: 0o644 });
  let created: Created = { containers: [], networks: [], volumes: [] };
  const exec = (c: string, cmd: string) => docker(["exec", c, "sh", "-c", cmd], { allowFail: true });

  beforeAll(() => {
    buildImage();
    const env = resolveOne(app, "dev", dockerEnv({ release: { web: TAG, api: TAG, db: TAG }, network: { subnet: "10.250.0.0/16" }, docker: { secretsHostDir: secrets } }));
    const json = synthJson([env]).get("dev")!;
    destroy({ containers: ["e2e-dev-web-1", "e2e-dev-api-1", "e2e-dev-db-1"], networks: ["e2e-dev-front", "e2e-dev-web-to-api", "e2e-dev-api-to-db"], volumes: ["e2e-dev-db-data"] });
    created = applyStack(json);
  }, 180_000);

  afterAll(() => {
    destroy(created);
    fs.rmSync(secrets, { recursive: true, force: true });
  }, 120_000);

  it("every container becomes healthy under the hardened defaults", () => {
    for (const c of created.containers) expect({ c, status: waitHealthy(c, 60) }).toEqual({ c, status: "healthy" });
  });

  it("starts servers before their clients, each healthy first (depends_on + wait, as the provider does)", () => {
    const order = created.started ?? [];
    expect(order.indexOf("e2e-dev-db-1")).toBeLessThan(order.indexOf("e2e-dev-api-1"));
    expect(order.indexOf("e2e-dev-api-1")).toBeLessThan(order.indexOf("e2e-dev-web-1"));
    // The engine's own record agrees: each server was up before its client started.
    const startedAt = (c: string): number => Date.parse(docker(["inspect", "--format", "{{.State.StartedAt}}", c]).out);
    expect(startedAt("e2e-dev-db-1")).toBeLessThanOrEqual(startedAt("e2e-dev-api-1"));
    expect(startedAt("e2e-dev-api-1")).toBeLessThanOrEqual(startedAt("e2e-dev-web-1"));
  });

  it("runs as the non-root user with no capabilities and a read-only root, writable paths on tmpfs", () => {
    expect(exec("e2e-dev-api-1", "id -u").out).toBe("10001");
    expect(exec("e2e-dev-api-1", "grep CapEff /proc/self/status").out).toMatch(/CapEff:\s+0000000000000000/);
    expect(exec("e2e-dev-api-1", "touch /x").code).not.toBe(0);
    expect(exec("e2e-dev-api-1", "touch /tmp/x && echo written").out).toBe("written");
    expect(exec("e2e-dev-api-1", "grep NoNewPrivs /proc/self/status").out).toMatch(/NoNewPrivs:\s+1/);
  });

  it("allows declared connections by service name", () => {
    expect(exec("e2e-dev-web-1", "wget -q -O - http://api:8080/healthz").out).toBe("ok");
    expect(exec("e2e-dev-api-1", "wget -q -O - http://db:8080/healthz").out).toBe("ok");
  });

  it("makes undeclared traffic impossible: web cannot reach db, db cannot reach web", () => {
    expect(exec("e2e-dev-web-1", "wget -q -T 3 -O - http://db:8080/healthz").code).not.toBe(0);
    expect(exec("e2e-dev-db-1", "wget -q -T 3 -O - http://web:8080/healthz").code).not.toBe(0);
  });

  it("publishes only the public service, on loopback", async () => {
    expect(await hostGet(18080, "/healthz")).toBe("ok\n");
    const ports = docker(["inspect", "--format", "{{json .HostConfig.PortBindings}}", "e2e-dev-api-1"]).out;
    expect(ports === "{}" || ports === "null").toBe(true);
    expect(docker(["inspect", "--format", "{{json .HostConfig.PortBindings}}", "e2e-dev-web-1"]).out).toContain('"HostIp":"127.0.0.1"');
  });

  it("delivers the secret as a read-only file and the volume as writable data", () => {
    expect(exec("e2e-dev-api-1", "cat $API_TOKEN_FILE").out).toBe("e2e-token-value");
    expect(exec("e2e-dev-db-1", "touch /data/x && echo written").out).toBe("written");
  });

  it("delivers an uploaded secret (the default, no host folder) readable by the non-root app", () => {
    const env = resolveOne(
      { name: "e2eu", services: { app: { image: IMAGE, ports: [{ name: "http", port: 8080 }], command: serve, health, secrets: ["api_token"] } } },
      "dev",
      dockerEnv({ release: { app: TAG }, network: { subnet: "10.251.0.0/16" } }),
    );
    destroy({ containers: ["e2eu-dev-app-1"], networks: ["e2eu-dev-app-isolated"], volumes: ["e2eu-dev-app-secrets"] });
    const made = applyStack(synthJson([env]).get("dev")!, { api_token: "uploaded-token" });
    try {
      expect(waitHealthy("e2eu-dev-app-1", 30)).toBe("healthy");
      expect(exec("e2eu-dev-app-1", "id -u; cat $API_TOKEN_FILE").out).toBe("10001\nuploaded-token");
      expect(exec("e2eu-dev-app-1", "echo x > $API_TOKEN_FILE").code).not.toBe(0); // read-only to the app
    } finally {
      destroy(made);
    }
  });

  it("applies memory, CPU, restart and log rotation limits", () => {
    const hc = JSON.parse(docker(["inspect", "--format", "{{json .HostConfig}}", "e2e-dev-api-1"]).out);
    expect(hc.Memory).toBe(128 * 1024 * 1024);
    expect({ period: hc.CpuPeriod, quota: hc.CpuQuota, nano: hc.NanoCpus }).toEqual({ period: 100_000, quota: 20_000, nano: 0 }); // 200m
    expect(hc.RestartPolicy).toEqual({ Name: "on-failure", MaximumRetryCount: 5 });
    expect(hc.LogConfig).toEqual({ Type: "json-file", Config: { "max-file": "3", "max-size": "10m" } });
  });

  it("destroys with a grace period: the app's SIGTERM handler runs (exit 0, not SIGKILL's 137)", () => {
    const env = resolveOne({ name: "e2eg", services: { app: { image: IMAGE, ports: [{ name: "http", port: 8080 }], command: serve, health } } }, "dev", dockerEnv({ release: { app: TAG }, network: { subnet: "10.248.0.0/16" } }));
    destroy({ containers: ["e2eg-dev-app-1"], networks: ["e2eg-dev-app-isolated"], volumes: [] });
    const made = applyStack(synthJson([env]).get("dev")!);
    try {
      expect(waitHealthy("e2eg-dev-app-1", 30)).toBe("healthy");
      expect(docker(["inspect", "--format", "{{.Config.StopTimeout}}", "e2eg-dev-app-1"]).out).toBe("30");
    } finally {
      expect(destroy(made)).toEqual({ "e2eg-dev-app-1": 0 });
    }
  }, 120_000);

  describe("writable paths of non-root services, on folders the image gives to root", () => {
    const writable = ["/tmp", "/cache", "/private", "/scratch"];
    let made: Created = { containers: [], networks: [], volumes: [] };
    beforeAll(() => {
      const svc = { image: IMAGE, ports: [{ name: "http", port: 8080 }], command: serve, health, writablePaths: writable };
      const env = resolveOne(
        { name: "e2ew", services: { app: svc, redis: { ...svc, security: { user: "999:999" } } } },
        "dev",
        dockerEnv({ release: { app: TAG, redis: TAG }, network: { subnet: "10.249.0.0/16" } }),
      );
      destroy({ containers: ["e2ew-dev-app-1", "e2ew-dev-redis-1"], networks: ["e2ew-dev-app-isolated", "e2ew-dev-redis-isolated"], volumes: [] });
      made = applyStack(synthJson([env]).get("dev")!);
    }, 120_000);
    afterAll(() => destroy(made), 120_000);

    it.each([
      ["e2ew-dev-app-1", "10001"],
      ["e2ew-dev-redis-1", "999"],
    ])("%s (uid %s) can write a file in each writable path", (c, uid) => {
      expect(waitHealthy(c, 30)).toBe("healthy");
      const probe = writable.map((d) => `echo x > ${d}/probe && echo "${d} ok"`).join("; ");
      expect(exec(c, `id -u; ${probe}`).out).toBe([uid, ...writable.map((d) => `${d} ok`)].join("\n"));
    });

    it("keeps the other users out of a folder the image lacks, and the writes off the read-only root", () => {
      expect(exec("e2ew-dev-redis-1", "stat -c '%u:%g %a' /scratch /cache").out).toBe("999:999 700\n999:999 755");
      expect(exec("e2ew-dev-redis-1", "touch /probe").code).not.toBe(0);
    });
  });
});
