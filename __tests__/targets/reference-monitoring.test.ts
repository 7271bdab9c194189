import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { formatIssue } from "../../lib/errors";
import { EnvironmentConfig } from "../../lib/config/schema";
import { fromTerraformLiteral } from "../../lib/targets/shared/terraform-literal";
import { miniApp, referenceEnvironments, resolve, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * The reference app's monitoring sets as synthesized: dev and test on Docker (four services),
 * swarm on Swarm (Prometheus, Alertmanager, Grafana). Property assertions on the JSON: pinned
 * images, hardening, no engine socket, secrets by file, what Prometheus scrapes over which network.
 */

const envs = referenceEnvironments();
const stacks = synthJson(envs.filter((e) => ["dev", "test", "swarm"].includes(e.model.name)));
const ROLES = ["prometheus", "alertmanager", "grafana", "cadvisor"];
/** The purpose of a network a container or task joins (`docker_network.<…>network-<purpose>_<HASH>.<attr>`). */
const purpose = (ref: string): string => ref.replace(/^\$\{docker_network\.(?:[a-z]+_)?network-(.*)_[0-9A-F]+\.(name|id)\}$/, "$1");

/** Docker: the running container of a service (`<app>-<env>-<svc>-1`; stateless ones carry a release hash before the ordinal). */
const container = (json: Json, env: string, svc: string): Json => resourcesOf(json, "docker_container").find((c) => String(c.name).replace(/-[0-9a-f]{8}-(\d+)$/, "-$1") === `shop-${env}-${svc}-1`)!;
/** Every engine-socket path a container or task mounts. */
const socketMounts = (json: Json): string[] =>
  [...resourcesOf(json, "docker_container").flatMap((c) => c.mounts ?? []), ...resourcesOf(json, "docker_service").flatMap((s) => s.task_spec.container_spec.mounts ?? [])].map((m: Json) => String(m.source)).filter((src) => src.includes("docker.sock"));
/** Docker: a generated file as the service's seed uploads it. */
const uploaded = (json: Json, env: string, svc: string, file: string): string => fromTerraformLiteral(resourcesOf(json, "docker_container").find((c) => c.name === `shop-${env}-${svc}-secrets-seed`)!.upload.find((u: Json) => u.file === file).content);
/** Swarm: a service by its role. */
const task = (json: Json, svc: string, app = "shop"): Json => resourcesOf(json, "docker_service").find((s) => s.name === `${app}-swarm-${svc}`)!;
/** Swarm: a generated file as the docker_config the service mounts holds it. */
const configured = (json: Json, svc: string, file: string): string => {
  const ref = (task(json, svc) ?? task(json, svc, "demo")).task_spec.container_spec.configs.find((c: Json) => c.file_name === file);
  return Buffer.from(json.resource.docker_config[String(ref.config_id).replace(/^\$\{docker_config\.([^.]+)\.id\}$/, "$1")].data, "base64").toString("utf8");
};

describe.each(["dev", "test"])("the reference app's %s environment runs the Docker monitoring set", (env) => {
  const json = stacks.get(env)!;

  it("every image of the set is pinned by tag and digest, at versions the generated configuration needs", () => {
    const images = resourcesOf(json, "docker_image").map((i) => String(i.name));
    const of = (repo: string): string => images.find((i) => i.includes(`${repo}:`))!;
    for (const repo of ["prom/prometheus", "prom/alertmanager", "grafana/grafana", "cadvisor/cadvisor"]) expect(of(repo)).toMatch(/:v?\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    // url_file in webhook_configs needs Alertmanager 0.26 or later.
    const [, minor] = /alertmanager:v0\.(\d+)\./.exec(of("prom/alertmanager"))!;
    expect(Number(minor)).toBeGreaterThanOrEqual(26);
  });

  it("hardens each container of the set: read-only root, non-root, no capabilities, no-new-privileges, limits", () => {
    for (const role of ROLES) {
      const c = container(json, env, role);
      expect(c).toMatchObject({ read_only: true, capabilities: { drop: ["ALL"] }, security_opts: ["no-new-privileges:true"] });
      expect(c.user).toMatch(/^[1-9]\d*:\d+$/);
      expect(c.memory).toBeGreaterThan(0);
      expect(c.cpu_quota).toBeGreaterThan(0);
      expect(c.healthcheck.test.length).toBeGreaterThan(1);
    }
  });

  it("no container mounts the Docker socket; cAdvisor alone binds a host path, /sys/fs/cgroup read-only", () => {
    expect(socketMounts(json)).toEqual([]);
    const binds = resourcesOf(json, "docker_container").flatMap((c) => (c.mounts ?? []).filter((m: Json) => m.type === "bind").map((m: Json) => [c.name, m.source, m.read_only]));
    expect(binds).toEqual([[container(json, env, "cadvisor").name, "/sys/fs/cgroup", true]]);
  });

  it("the receiver's URL and Grafana's password are secrets read from files, never values", () => {
    const am = parse(uploaded(json, env, "alertmanager", "/etc/envkit/alertmanager.yml"));
    expect(am.receivers).toEqual([{ name: "oncall", webhook_configs: [{ url_file: "/run/secrets/oncall_webhook_url", send_resolved: true }] }]);
    expect(container(json, env, "alertmanager").mounts).toContainEqual(expect.objectContaining({ target: "/run/secrets", read_only: true }));
    expect(container(json, env, "grafana").env).toContain("GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana_admin_password");
    for (const v of ["oncall_webhook_url", "grafana_admin_password"]) expect(json.variable[v]).toMatchObject({ sensitive: true });
    expect(JSON.stringify(json)).not.toMatch(/https?:\/\/hooks\.|admin123/);
  });

  it("Prometheus scrapes the api by its alias on the network it shares with it, and joins only the set's networks", () => {
    const config = parse(uploaded(json, env, "prometheus", "/etc/envkit/prometheus.yml"));
    expect(config.scrape_configs.map((j: Json) => [j.job_name, j.dns_sd_configs?.[0].names ?? j.static_configs[0].targets])).toEqual([
      ["api", ["api"]],
      ["cadvisor", ["cadvisor:8080"]],
      ["prometheus", ["localhost:9090"]],
    ]);
    expect(container(json, env, "prometheus").networks_advanced.map((n: Json) => purpose(n.name)).sort()).toEqual(["grafana-to-prometheus", "prometheus-to-alertmanager", "prometheus-to-api", "prometheus-to-cadvisor"]);
    const api = container(json, env, "api");
    expect(api.networks_advanced.find((n: Json) => purpose(n.name) === "prometheus-to-api").aliases).toEqual(["api"]);
  });
});

describe("the reference app's swarm environment runs the Swarm monitoring set", () => {
  const json = stacks.get("swarm")!;

  it("runs Prometheus, Alertmanager and Grafana pinned by tag and digest, and no cAdvisor", () => {
    for (const role of ["prometheus", "alertmanager", "grafana"]) expect(task(json, role).task_spec.container_spec.image).toMatch(/:v?\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(resourcesOf(json, "docker_service").map((s) => s.name)).not.toContain("shop-swarm-cadvisor");
    expect(JSON.stringify(json)).not.toContain("cadvisor");
  });

  it("hardens each task of the set and mounts no socket and no host path", () => {
    expect(socketMounts(json)).toEqual([]);
    for (const role of ["prometheus", "alertmanager", "grafana"]) {
      const c = task(json, role).task_spec.container_spec;
      expect(c).toMatchObject({ read_only: true, cap_drop: ["ALL"] });
      expect(c.user).toMatch(/^[1-9]\d*:\d+$/);
      expect((c.mounts ?? []).filter((m: Json) => m.type === "bind")).toEqual([]);
      expect(task(json, role).task_spec.resources.limits.memory_bytes).toBeGreaterThan(0);
    }
  });

  it("delivers the generated configuration as docker_config files under /etc/envkit, read-only", () => {
    for (const [role, files] of [
      ["prometheus", ["/etc/envkit/prometheus.yml", "/etc/envkit/rules.yml"]],
      ["alertmanager", ["/etc/envkit/alertmanager.yml"]],
    ] as const) {
      const configs = task(json, role).task_spec.container_spec.configs;
      expect(configs.map((c: Json) => c.file_name)).toEqual(files);
      for (const c of configs) expect(c).toMatchObject({ file_uid: "0", file_gid: "0", file_mode: 0o444 });
    }
    // One dashboard: only the api has series on Swarm (its own metrics).
    expect(task(json, "grafana").task_spec.container_spec.configs.map((c: Json) => c.file_name)).toEqual(["/etc/envkit/dashboards/api.json", "/etc/envkit/provisioning/dashboards/envkit.yml", "/etc/envkit/provisioning/datasources/prometheus.yml"]);
  });

  it("the receiver's URL and Grafana's password are Swarm secrets read from files by the services' users", () => {
    const am = parse(configured(json, "alertmanager", "/etc/envkit/alertmanager.yml"));
    expect(am.receivers).toEqual([{ name: "oncall", webhook_configs: [{ url_file: "/run/secrets/oncall_webhook_url", send_resolved: true }] }]);
    expect(task(json, "alertmanager").task_spec.container_spec.secrets).toEqual([expect.objectContaining({ file_name: "oncall_webhook_url", file_uid: "65534", file_mode: 0o400 })]);
    expect(task(json, "grafana").task_spec.container_spec.env.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe("/run/secrets/grafana_admin_password");
    expect(task(json, "grafana").task_spec.container_spec.secrets).toEqual([expect.objectContaining({ file_name: "grafana_admin_password", file_uid: "472" })]);
  });

  it("Prometheus finds the api's tasks through tasks.api on the overlay it shares with it (the alias is one virtual IP)", () => {
    const config = parse(configured(json, "prometheus", "/etc/envkit/prometheus.yml"));
    expect(config.scrape_configs.map((j: Json) => [j.job_name, j.dns_sd_configs?.[0].names ?? j.static_configs[0].targets])).toEqual([
      ["api", ["tasks.api"]],
      ["prometheus", ["localhost:9090"]],
    ]);
    expect(task(json, "prometheus").task_spec.networks_advanced.map((n: Json) => purpose(n.name)).sort()).toEqual(["grafana-to-prometheus", "prometheus-to-alertmanager", "prometheus-to-api"]);
    expect(task(json, "api").task_spec.networks_advanced.find((n: Json) => purpose(n.name) === "prometheus-to-api").aliases).toEqual(["api"]);
    // The database shares no network with the set.
    expect(task(json, "db").task_spec.networks_advanced.map((n: Json) => purpose(n.name)).some((p: string) => /prometheus|grafana|alertmanager/.test(p))).toBe(false);
  });

  const promtool = spawnSync("promtool", ["--version"]).status === 0;
  (promtool ? it : it.skip)("promtool check config accepts the Swarm prometheus.yml with its rules", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-swarm-prom-"));
    try {
      fs.writeFileSync(path.join(dir, "rules.yml"), configured(json, "prometheus", "/etc/envkit/rules.yml"));
      fs.writeFileSync(path.join(dir, "prometheus.yml"), configured(json, "prometheus", "/etc/envkit/prometheus.yml").replace("/etc/envkit/rules.yml", path.join(dir, "rules.yml")));
      expect(execFileSync("promtool", ["check", "config", path.join(dir, "prometheus.yml")], { encoding: "utf8" })).toMatch(/SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  if (!promtool) it("promtool is missing: SKIPPED `promtool check config` of the Swarm prometheus.yml (apt-get install -y prometheus)", () => console.warn("SKIPPED: promtool not found"));
});

describe("the monitoring set on Swarm: validation", () => {
  const pin = (repo: string, tag: string, c: string): string => `${repo}:${tag}@sha256:${c.repeat(64)}`;
  const IMAGES = { prometheus: pin("docker.io/prom/prometheus", "v2.51.0", "1"), alertmanager: pin("docker.io/prom/alertmanager", "v0.28.1", "2"), grafana: pin("docker.io/grafana/grafana", "12.4.3", "3") };
  const swarm = (monitoring: EnvironmentConfig["monitoring"]): EnvironmentConfig => ({ target: "swarm", release: { web: "1.0.0", api: "1.0.0", db: "16.4" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, monitoring });
  const problems = (env: EnvironmentConfig): string =>
    resolve(miniApp(), { swarm: env })
      .issues.filter((i) => i.severity !== "warning")
      .map(formatIssue)
      .join("\n");

  it("scrapes a service whose ports the proxy translates at tasks.<svc>-stable, the alias its tasks carry on Prometheus' network", () => {
    const a = miniApp();
    const app = { ...a, services: { ...a.services, api: { ...a.services.api, metrics: { port: "http" }, ports: [{ name: "http", port: 3000, servicePort: 80 }] } } };
    const r = resolve(app, { swarm: swarm({ stack: true, images: IMAGES }) });
    expect(r.issues.filter((i) => i.severity !== "warning").map(formatIssue)).toEqual([]);
    const json = synthJson(r.environments).get("swarm")!;
    const prom = parse(configured(json, "prometheus", "/etc/envkit/prometheus.yml"));
    expect(prom.scrape_configs[0].dns_sd_configs[0]).toMatchObject({ names: ["tasks.api-stable"], port: 3000 });
    const api = resourcesOf(json, "docker_service").find((s) => s.name === "demo-swarm-api")!;
    expect(api.task_spec.networks_advanced.find((n: Json) => purpose(n.name) === "prometheus-to-api").aliases).toEqual(["api-stable"]);
  });

  it("accepts the three images it runs", () => {
    expect(problems(swarm({ stack: true, images: IMAGES }))).toBe("");
  });

  it("asks for the three images only, and refuses a cAdvisor image it would never run, saying why", () => {
    expect(problems(swarm({ stack: true }))).toMatch(/monitoring\.images: stack: true needs every image pinned by digest; add images\.prometheus, images\.alertmanager, images\.grafana as/);
    expect(problems(swarm({ stack: true, images: { ...IMAGES, cadvisor: pin("gcr.io/cadvisor/cadvisor", "v0.49.1", "4") } }))).toMatch(
      /monitoring\.images\.cadvisor: target "swarm" runs no cadvisor in its monitoring set \(a Swarm service spec has no cgroup parent, so cAdvisor without the Docker socket cannot tell one service's tasks from another's; .*\); remove images\.cadvisor/,
    );
  });
});
