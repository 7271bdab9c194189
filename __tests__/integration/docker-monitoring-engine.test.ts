/*
 * The Docker monitoring set on a real engine, applied through engine-api.ts (the requests
 * kreuzwerker/docker 3.6.2 sends), with every image replaced by one offline stand-in
 * (monitoring-standin.ts: the set's images are pinned by digest and cannot be pulled here). What
 * runs is envkit's wiring: the seeds' config volumes, the secrets, the networks and aliases, the
 * cgroup parents and cAdvisor's read-only cgroup mount. Prometheus, Alertmanager, Grafana and
 * cAdvisor themselves do not run. Skipped, loudly, without an engine or a static busybox.
 */
import * as fs from "node:fs";
import { parse } from "yaml";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { fromTerraformLiteral } from "../../lib/targets/shared/terraform-literal";
import { dockerEnv, resolveOne, synthJson } from "../helpers";
import { Created, api, applyStack, destroyStack, emptyCreated, engineProblemsSync, exec, inspect, namesIn, removeNamed } from "./engine-api";
import { STANDIN_IMAGE, fakeMonitoringImages, importMonitoringStandIn, nslookupAnswers, removeMonitoringStandIn, withMonitoringStandIn } from "./monitoring-standin";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BUSYBOX = "/bin/busybox";
const reasons = [...engineProblemsSync(), ...(fs.existsSync(BUSYBOX) ? [] : [`no static ${BUSYBOX} (install busybox-static)`])];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: Docker monitoring-set engine tests: ${reasons.join("; ")} ***\n\n`);

const [REPO, TAG] = STANDIN_IMAGE.split(/:(?=[^:]+$)/);
const app: AppConfig = {
  name: "dkm",
  services: {
    api: { image: REPO, ports: [{ name: "http", port: 8080 }], health: { http: { path: "/health", port: "http" }, interval: "2s", timeout: "2s", retries: 2, startPeriod: "2s" }, metrics: { port: "http", path: "/metrics" } },
  },
} as AppConfig;
const env: EnvironmentConfig = dockerEnv({
  release: { api: TAG },
  network: { subnet: "10.234.0.0/16" },
  monitoring: { stack: true, images: fakeMonitoringImages(["prometheus", "alertmanager", "grafana", "cadvisor"]) as never, receivers: [{ name: "oncall", webhookSecret: "oncall_url" }] },
  services: { api: { replicas: 2 } },
});
const VARS = { oncall_url: "https://hooks.example.invalid/D0", grafana_admin_password: "docker-test-grafana-5e2a" };

(enabled ? describe : describe.skip)(`the Docker monitoring set on a real engine, with stand-in images${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  let json: Json = {};
  const created: Created = emptyCreated();
  const containers = (): Json[] => Object.values(json.resource.docker_container as Record<string, Json>);
  /** The synthesized name of a service's container (stateless ones carry a release hash before the ordinal). */
  const real = (svc: string, n = 1): string => containers().find((c) => String(c.name).replace(/-[0-9a-f]{8}-(\d+)$/, "-$1") === `dkm-dev-${svc}-${n}`)!.name;
  const upload = (svc: string, file: string): string => fromTerraformLiteral(containers().find((c) => c.name === `dkm-dev-${svc}-secrets-seed`)!.upload.find((u: Json) => u.file === file).content);

  beforeAll(async () => {
    await importMonitoringStandIn();
    json = withMonitoringStandIn(synthJson([resolveOne(app, "dev", env)]).get("dev")!);
    await removeNamed(namesIn(json)); // leftovers of an interrupted run
    await applyStack(json, VARS, created);
  }, 240_000);

  afterAll(async () => {
    await destroyStack(created);
    await removeNamed(namesIn(json));
    await removeMonitoringStandIn();
  }, 120_000);

  it("brings up the set and both api replicas healthy", async () => {
    for (const name of [real("api", 1), real("api", 2), ...["prometheus", "alertmanager", "grafana", "cadvisor"].map((r) => real(r))]) {
      expect({ name, health: (await inspect(name)).State.Health?.Status }).toEqual({ name, health: "healthy" });
    }
  });

  it("Prometheus' files arrive read-only under /etc/envkit; the receiver URL is a secret file Alertmanager reads", async () => {
    const prom = real("prometheus");
    expect((await exec(prom, ["cat", "/etc/envkit/prometheus.yml"])).out).toBe(upload("prometheus", "/etc/envkit/prometheus.yml").trim());
    expect((await exec(prom, ["sh", "-c", "echo x > /etc/envkit/rules.yml"])).code).not.toBe(0);
    expect((await exec(prom, ["id", "-u"])).out).toBe("65534");
    expect(parse(upload("alertmanager", "/etc/envkit/alertmanager.yml")).receivers[0].webhook_configs[0].url_file).toBe("/run/secrets/oncall_url");
    expect((await exec(real("alertmanager"), ["cat", "/run/secrets/oncall_url"])).out).toBe(VARS.oncall_url);
  });

  it("the api alias answers both replicas from Prometheus, on the network they share, and each serves /metrics", async () => {
    const prom = real("prometheus");
    const netName = Object.values(json.resource.docker_network as Record<string, Json>).find((n) => String(n.name).endsWith("prometheus-to-api"))!.name;
    const want = (await Promise.all([1, 2].map(async (n) => String((await inspect(real("api", n))).NetworkSettings.Networks[netName].IPAddress)))).sort();
    let got: string[] = [];
    for (let i = 0; i < 20 && got.join() !== want.join(); i++) {
      got = nslookupAnswers((await exec(prom, ["nslookup", "api"])).out);
      if (got.join() !== want.join()) await new Promise((r) => setTimeout(r, 500));
    }
    expect(got).toEqual(want);
    for (const ip of got) expect((await exec(prom, ["wget", "-q", "-O", "-", `http://${ip}:8080/metrics`])).out).toContain("http_requests_total");
    // cAdvisor shares no network with the api.
    expect(nslookupAnswers((await exec(real("cadvisor"), ["nslookup", "api"])).out)).toEqual([]);
  });

  it("cAdvisor sees each api container's cgroup under the service's parent, matching the rules' selector, and cannot write there", async () => {
    const cad = real("cadvisor");
    const exprs: string[] = (parse(upload("prometheus", "/etc/envkit/rules.yml")).groups as Json[]).flatMap((g) => g.rules.map((r: Json) => String(r.expr)));
    // The selector as generated, a PromQL string (\\ is one backslash) holding an RE2 pattern that
    // Prometheus anchors, e.g. .*/dkm-dev-api\.slice/(docker-)?[0-9a-f]{64}(\.scope)?
    const selector = exprs.map((e) => /id=~"((?:[^"\\]|\\.)*)"/.exec(e)?.[1]).find(Boolean)!.replace(/\\(.)/g, "$1");
    const anchored = new RegExp(`^(?:${selector})$`);
    // Each api container's own cgroups (cgroup v1: one line per controller; v2: the 0:: line). The
    // path can sit below a prefix (this machine nests its memory controller under process_api/…),
    // which is why the selector starts with .*/ ; cAdvisor's id label is that path.
    const engine = String((await api("GET", "/info")).json?.CgroupDriver ?? "?");
    const checked: string[] = [];
    for (const n of [1, 2]) {
      const lines = (await exec(real("api", n), ["cat", "/proc/self/cgroup"])).out.split("\n").map((l) => l.split(":"));
      const v1 = lines.filter(([, ctrl]) => ctrl === "cpu" || ctrl === "cpu,cpuacct" || ctrl === "memory");
      for (const [, ctrl, p] of v1.length ? v1 : lines.filter(([id]) => id === "0")) {
        expect({ p, matches: anchored.test(p) }).toEqual({ p, matches: true });
        // cAdvisor sees the same folder through its read-only mount of the host's tree.
        const dir = ctrl ? `/sys/fs/cgroup/${ctrl}${p}` : `/sys/fs/cgroup${p}`;
        expect({ dir, seen: (await exec(cad, ["sh", "-c", `[ -d '${dir}' ]`])).code }).toEqual({ dir, seen: 0 });
        checked.push(p);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(2);
    expect((await exec(cad, ["sh", "-c", "touch /sys/fs/cgroup/x"])).code).not.toBe(0);
    const version = String((await api("GET", "/version")).json?.Version ?? "unknown");
    process.stderr.write(`engine test (Docker Engine ${version}, cgroup driver ${engine}): ${checked.length} cgroup paths of the api containers (e.g. ${checked[0]}) match the generated selector ${selector} and are visible to cAdvisor\n`);
  });
});
