import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { formatIssue } from "../../lib/errors";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { RuleFileSchema } from "../../lib/observability/rule-file";
import { viewOf } from "../../lib/policy/engine";
import { ruleById } from "../../lib/policy/rules";
import { promqlErrors } from "../observability/promql";
import { dockerEnv, k8sEnv, miniApp, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Test fixtures, not real images: the schema only checks the pinned form.
const pin = (repo: string, tag: string, c: string): string => `${repo}:${tag}@sha256:${c.repeat(64)}`;
const IMAGES = { prometheus: pin("docker.io/prom/prometheus", "v2.53.0", "1"), alertmanager: pin("docker.io/prom/alertmanager", "v0.27.0", "2"), grafana: pin("docker.io/grafana/grafana", "11.1.0", "3"), cadvisor: pin("gcr.io/cadvisor/cadvisor", "v0.49.1", "4") };
const app = (): AppConfig => {
  const a = miniApp();
  return { ...a, services: { ...a.services, api: { ...a.services.api, metrics: { port: "http" }, replicas: 2 } } };
};
const withStack = (over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => dockerEnv({ monitoring: { stack: true, images: IMAGES, receivers: [{ name: "oncall", webhookSecret: "oncall_webhook" }] }, ...over });
const problems = (env: EnvironmentConfig, name = "dev"): string => resolve(app(), { [name]: env }).issues.filter((i) => i.severity !== "warning").map(formatIssue).join("\n");

describe("Docker monitoring set (monitoring.stack: true)", () => {
  const json = synthJson([resolveOne(app(), "dev", withStack())]).get("dev")!;
  const containers = resourcesOf(json, "docker_container");
  // Stateless containers are named with a release hash (<app>-<env>-<svc>-<hash>-<n>): match around it.
  const container = (name: string): Json => containers.find((c) => c.name === name || c.name.replace(/-[0-9a-f]{8}-(\d+)$/, "-$1") === name || c.name.replace(/-[0-9a-f]{8}$/, "") === name)!;
  const seedUploads = (svc: string): Map<string, string> => new Map(container(`demo-dev-${svc}-secrets-seed`).upload.map((u: Json) => [u.file, u.content]));
  const networksOf = (name: string): string[] => container(name).networks_advanced.map((n: Json) => n.name.replace(/^\$\{docker_network\.docker_network-(.*)_[0-9A-F]+\.name\}$/, "$1")).sort();

  it("runs Prometheus, Alertmanager, Grafana and cAdvisor pinned by digest", () => {
    const images = resourcesOf(json, "docker_image").map((i) => i.name);
    for (const image of Object.values(IMAGES)) expect(images).toContain(image);
  });

  it("hardens every monitoring container like a service: read-only root, non-root, capabilities dropped, limits, health checks", () => {
    for (const role of ["prometheus", "alertmanager", "grafana", "cadvisor"]) {
      const c = container(`demo-dev-${role}-1`);
      expect(c).toMatchObject({ read_only: true, capabilities: { drop: ["ALL"] }, security_opts: ["no-new-privileges:true"] });
      expect(c.user).not.toMatch(/^0(:|$)/);
      expect(c.memory).toBeGreaterThan(0);
      expect(c.cpu_quota).toBeGreaterThan(0);
      expect(c.healthcheck.test.join(" ")).toContain("wget");
    }
  });

  it("mounts no Docker socket anywhere; cAdvisor reads only the cgroup tree, read-only", () => {
    expect(containers.flatMap((c) => (c.mounts ?? []).map((m: Json) => String(m.source))).filter((s) => s.includes("docker.sock"))).toEqual([]);
    const binds = containers.flatMap((c) => (c.mounts ?? []).filter((m: Json) => m.type === "bind").map((m: Json) => [c.name, m.source, m.read_only]));
    expect(binds.map(([n, ...rest]) => [String(n).replace(/-[0-9a-f]{8}-1$/, "-1"), ...rest])).toEqual([["demo-dev-cadvisor-1", "/sys/fs/cgroup", true]]);
  });

  it("Prometheus joins the networks of what it scrapes and queries, and only those", () => {
    expect(networksOf("demo-dev-prometheus-1")).toEqual(["grafana-to-prometheus", "prometheus-to-alertmanager", "prometheus-to-api", "prometheus-to-cadvisor"]);
    expect(networksOf("demo-dev-grafana-1")).toEqual(["front", "grafana-to-prometheus"]);
    // The database is not on any network of the monitoring set.
    expect(networksOf("demo-dev-db-1").some((n) => /prometheus|grafana|cadvisor|alertmanager/.test(n))).toBe(false);
  });

  it("scrapes every replica by the service's DNS name on the shared network, on the metrics port, labelled with environment and service", () => {
    const config = parse(seedUploads("prometheus").get("/etc/envkit/prometheus.yml")!);
    expect(config.scrape_configs[0]).toEqual({
      job_name: "api",
      metrics_path: "/metrics",
      dns_sd_configs: [{ names: ["api"], type: "A", port: 3000, refresh_interval: "15s" }],
      relabel_configs: [
        { target_label: "environment", replacement: "dev" },
        { target_label: "service", replacement: "api" },
      ],
    });
    expect(config.rule_files).toEqual(["/etc/envkit/rules.yml"]);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    const prom = container("demo-dev-prometheus-1");
    expect(prom.mounts).toContainEqual({ type: "volume", source: expect.stringContaining("prometheus_config-volume"), target: "/etc/envkit", read_only: true });
  });

  const promtool = spawnSync("promtool", ["--version"]).status === 0;
  (promtool ? it : it.skip)("promtool check config accepts the generated prometheus.yml with its rules", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-prom-"));
    try {
      const uploads = seedUploads("prometheus");
      fs.writeFileSync(path.join(dir, "rules.yml"), uploads.get("/etc/envkit/rules.yml")!);
      fs.writeFileSync(path.join(dir, "prometheus.yml"), uploads.get("/etc/envkit/prometheus.yml")!.replace("/etc/envkit/rules.yml", path.join(dir, "rules.yml")));
      expect(execFileSync("promtool", ["check", "config", path.join(dir, "prometheus.yml")], { encoding: "utf8" })).toMatch(/SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  if (!promtool) it("promtool is missing: SKIPPED `promtool check config` (apt-get install -y prometheus)", () => console.warn("SKIPPED: promtool not found; the generated prometheus.yml was not checked by promtool"));

  it("the uploaded rule file is valid and every expression parses", () => {
    const rules = parse(seedUploads("prometheus").get("/etc/envkit/rules.yml")!);
    expect(RuleFileSchema.safeParse(rules).success).toBe(true);
    for (const g of rules.groups) for (const r of g.rules) expect(promqlErrors(r.expr)).toEqual([]);
  });

  it("cAdvisor tells services apart by their cgroup parent (it has no socket for names)", () => {
    expect(container("demo-dev-api-1").cgroup_parent).toBe("demo-dev-api.slice");
    const rules = seedUploads("prometheus").get("/etc/envkit/rules.yml")!;
    expect(rules).toContain(String.raw`id=~".*/demo-dev-api\\.slice/(docker-)?[0-9a-f]{64}(\\.scope)?"`);
  });

  it("Grafana's admin password comes from the grafana_admin_password secret, never a value", () => {
    const g = container("demo-dev-grafana-1");
    expect(g.env).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana_admin_password");
    expect(g.env.some((e: string) => e.startsWith("GF_SECURITY_ADMIN_PASSWORD="))).toBe(false);
    expect(json.variable.grafana_admin_password).toMatchObject({ sensitive: true });
  });

  it("a literal admin123 Grafana password in config is refused by the secret scan", () => {
    const a = app();
    const leaky: AppConfig = { ...a, services: { ...a.services, api: { ...a.services.api, env: { GF_SECURITY_ADMIN_PASSWORD: "admin123" } } } };
    const text = resolve(leaky, { dev: withStack() }).issues.map(formatIssue).join("\n");
    expect(text).toMatch(/GF_SECURITY_ADMIN_PASSWORD/);
    expect(text).toMatch(/\[ENVK-SEC-001\] "GF_SECURITY_ADMIN_PASSWORD" looks like a secret/);
  });

  it("provisions one dashboard per service with request, error, latency, CPU and memory panels whose PromQL parses", () => {
    const uploads = seedUploads("grafana");
    const api = JSON.parse(uploads.get("/etc/envkit/dashboards/api.json")!);
    expect(api).toMatchObject({ uid: expect.any(String), title: "demo dev: api", schemaVersion: 39 });
    expect(api.panels.map((p: Json) => p.title)).toEqual(["Request rate", "Errors (5xx share)", "Latency P99", "CPU (% of limit)", "Memory (% of limit)"]);
    for (const s of ["web", "api", "db"]) {
      const d = JSON.parse(uploads.get(`/etc/envkit/dashboards/${s}.json`)!);
      expect(new Set(d.panels.map((p: Json) => p.id)).size).toBe(d.panels.length);
      for (const p of d.panels) {
        expect(p).toMatchObject({ type: "timeseries", datasource: { type: "prometheus", uid: "envkit-prometheus" }, gridPos: { h: 8, w: 12 } });
        for (const t of p.targets) expect(promqlErrors(t.expr)).toEqual([]);
      }
    }
    expect(parse(uploads.get("/etc/envkit/provisioning/datasources/prometheus.yml")!).datasources[0]).toMatchObject({ uid: "envkit-prometheus", url: "http://prometheus:9090" });
  });

  it("Alertmanager sends to the receivers' webhooks through url_file, the URL a secret", () => {
    const am = parse(seedUploads("alertmanager").get("/etc/envkit/alertmanager.yml")!);
    expect(am.receivers).toEqual([{ name: "oncall", webhook_configs: [{ url_file: "/run/secrets/oncall_webhook", send_resolved: true }] }]);
    expect(json.variable.oncall_webhook).toMatchObject({ sensitive: true });
  });

  it("is refused without pinned images, on a target without the set, and with a service already named like one of it", () => {
    expect(problems(dockerEnv({ monitoring: { stack: true } }))).toMatch(/monitoring\.stack: .*|monitoring\.images: stack: true needs every image pinned by digest; add images\.prometheus, images\.alertmanager, images\.grafana, images\.cadvisor/);
    expect(problems(dockerEnv({ monitoring: { stack: true, images: { ...IMAGES, grafana: "grafana/grafana:latest" } } }))).toMatch(/monitoring\.images\.grafana: must be pinned as "repository:tag@sha256:<64 hex digits>"/);
    expect(problems(k8sEnv({ monitoring: { stack: true, images: IMAGES } }), "staging")).toMatch(/monitoring\.stack: target "kubernetes" runs no monitoring set/);
  });

  it("keeps its own rollout whatever the environment's strategy: blue-green or canary everywhere asks nothing of the set (it could not be made valid)", () => {
    for (const strategy of ["blue-green", "canary"] as const) {
      const found = problems(withStack({ rollout: { strategy } }));
      expect(found).not.toMatch(/cadvisor|prometheus|alertmanager|grafana/);
    }
    const resolved = resolveOne(app(), "dev", withStack({ rollout: { strategy: "canary" } }));
    expect(resolved.model.services.find((x) => x.name === "cadvisor")!.rollout.strategy).toBe("rolling");
  });

  it("ENVK-MON-001: a mandatory environment whose monitoring set has no receiver", () => {
    const rule = ruleById("ENVK-MON-001")!;
    const prod = (monitoring: EnvironmentConfig["monitoring"]) => resolveOne(app(), "prod", dockerEnv({ policy: { enforcement: "mandatory" }, monitoring })).model;
    expect(rule.check({ pass: "model", env: prod({ stack: true, images: IMAGES, receivers: [{ name: "oncall", webhookSecret: "oncall_webhook" }] }) })).toEqual([]);
    expect(rule.check({ pass: "model", env: prod({ stack: false }) })).toEqual([]);
    expect(rule.check({ pass: "model", env: prod({ stack: true, images: IMAGES }) })).toEqual([{ path: "monitoring.receivers", message: "the monitoring set's Alertmanager has no receiver: every alert goes nowhere" }]);
    expect(rule.productionOnly).toBe(true);
  });

  it("ENVK-SEC-009 reports a monitoring container that mounts the engine socket; cAdvisor's read-only cgroups are a host path it names", () => {
    const env = resolveOne(app(), "dev", withStack());
    const mutated: Json = JSON.parse(JSON.stringify(json));
    const prom = Object.values(mutated.resource.docker_container as Record<string, Json>).find((c) => c.name === "demo-dev-prometheus-1")!;
    prom.mounts.push({ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", read_only: true });
    const findings = ruleById("ENVK-SEC-009")!.check({ pass: "json", env: env.model, stack: viewOf(env, mutated) });
    expect(findings.map((f) => f.message)).toContain("mounts the Docker socket /var/run/docker.sock");
    const plain = ruleById("ENVK-SEC-009")!.check({ pass: "json", env: env.model, stack: viewOf(env, json) });
    expect(plain.map((f) => f.message)).toEqual(["mounts host paths /sys/fs/cgroup"]);
  });

  it("without the stack, no monitoring container and no cgroup parent", () => {
    const plain = synthJson([resolveOne(app(), "dev", dockerEnv())]).get("dev")!;
    expect(resourcesOf(plain, "docker_container").map((c) => c.name).filter((n) => /prometheus|grafana|cadvisor|alertmanager/.test(n))).toEqual([]);
    expect(resourcesOf(plain, "docker_container").every((c) => c.cgroup_parent === undefined)).toBe(true);
  });
});
