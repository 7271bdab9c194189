import { stringify } from "yaml";
import { formatDuration } from "../../model/duration";
import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { DATASOURCE_UID, serviceDashboard } from "../../observability/dashboards";
import { MONITORING_CONFIG_DIR, MONITORING_PORTS, MONITORING_SERVICES, MonitoringRole } from "../../observability/monitoring-set";
import { generateRules, renderRules } from "../../observability/rules";
import { dockerSelectors } from "./docker-metrics";
import { dockerStance } from "./docker-routing";
import { releaseSets, upstreamHost } from "../shared/proxy-sets";
import type { DockerServiceConfigFiles } from "./docker-service";
import { SECRETS_DIR } from "../shared/container-spec";

/*
 * What the Docker target adds to the monitoring set's services (lib/observability/
 * monitoring-set.ts declares them as services; DockerService lowers them hardened like any other):
 * their generated configuration files, delivered the way uploaded secrets are (a never-started
 * seed writes them into a volume the service mounts read-only), and cAdvisor's read-only view of
 * the host's cgroups. No container gets the Docker socket.
 */

/** The host folder cAdvisor reads, read-only: the cgroup tree (CPU, memory, start times). */
export const CADVISOR_HOST_PATHS = ["/sys/fs/cgroup"] as const;

const yaml = (doc: unknown): string => stringify(doc, { lineWidth: 0 });
const roleOf = (svc: ServiceModel): MonitoringRole | undefined => (Object.entries(MONITORING_SERVICES) as [MonitoringRole, string][]).find(([, name]) => name === svc.name)?.[0];
/** The application's own services (not the set's). */
export function observedServices(env: EnvironmentModel): ServiceModel[] {
  return env.services.filter((s) => roleOf(s) === undefined);
}

/**
 * The DNS names a service's containers answer to on the network Prometheus shares with it: its
 * own name, or each set's `<svc>-<set>` where the proxy took the name over (blue-green, canary;
 * `<svc>-stable` where it translates servicePorts, Prometheus' connection being one of those it
 * answers on), so Prometheus scrapes each container's metrics port directly, never the proxy.
 */
function scrapeNames(env: EnvironmentModel, svc: ServiceModel): string[] {
  return dockerStance(env, svc)?.name ? releaseSets(svc).filter((s) => s.replicas > 0).map((s) => upstreamHost(svc, s)) : [svc.name];
}

/**
 * Prometheus' configuration: one job per service with metrics, its replicas found by DNS on the
 * network Prometheus shares with it because of the declared connection (Docker's embedded DNS
 * answers a name with one A record per container, so each replica is a target; container names
 * change with each release and are not used), labelled `environment` and `service`; cAdvisor and
 * Prometheus itself; the generated rules; Alertmanager at its alias.
 */
export function prometheusConfig(env: EnvironmentModel): string {
  const interval = formatDuration(env.monitoring.scrapeIntervalSeconds);
  const jobs = observedServices(env)
    .filter((s) => s.metrics)
    .map((s) => ({
      job_name: s.name,
      metrics_path: s.metrics!.path,
      dns_sd_configs: [{ names: scrapeNames(env, s), type: "A", port: s.metrics!.port, refresh_interval: interval }],
      relabel_configs: [
        { target_label: "environment", replacement: env.name },
        { target_label: "service", replacement: s.name },
      ],
    }));
  return yaml({
    global: { scrape_interval: interval, evaluation_interval: interval },
    rule_files: [`${MONITORING_CONFIG_DIR}/rules.yml`],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`${MONITORING_SERVICES.alertmanager}:${MONITORING_PORTS.alertmanager}`] }] }] },
    scrape_configs: [
      ...jobs,
      { job_name: "cadvisor", static_configs: [{ targets: [`${MONITORING_SERVICES.cadvisor}:${MONITORING_PORTS.cadvisor}`], labels: { environment: env.name } }] },
      { job_name: "prometheus", static_configs: [{ targets: [`localhost:${MONITORING_PORTS.prometheus}`], labels: { environment: env.name } }] },
    ],
  });
}

/**
 * Alertmanager's configuration: every receiver a webhook whose URL it reads from the secret's file
 * (`url_file`, Alertmanager 0.26 and later); tiers of one alert inhibit the lower ones. Without
 * receivers alerts go nowhere (`null`), which guardrail ENVK-MON-001 reports where it matters.
 */
export function alertmanagerConfig(env: EnvironmentModel): string {
  const receivers = env.monitoring.receivers.map((r) => ({ name: r.name, webhook_configs: [{ url_file: `${SECRETS_DIR}/${r.webhookSecret}`, send_resolved: true }] }));
  const first = receivers[0]?.name ?? "null";
  return yaml({
    route: { receiver: first, group_by: ["alertname", "environment", "service"], group_wait: "30s", group_interval: "5m", repeat_interval: "4h", routes: receivers.map((r) => ({ receiver: r.name, continue: true })) },
    inhibit_rules: [
      { source_matchers: ['severity="emergency"'], target_matchers: ['severity=~"warning|critical"'], equal: ["alertname", "environment", "service"] },
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "environment", "service"] },
    ],
    receivers: receivers.length ? receivers : [{ name: "null" }],
  });
}

/** Grafana's provisioning: the Prometheus data source and one dashboard file per service. */
export function grafanaFiles(env: EnvironmentModel): DockerServiceConfigFiles["files"] {
  const sel = dockerSelectors(env);
  return [
    { path: "provisioning/datasources/prometheus.yml", content: yaml({ apiVersion: 1, datasources: [{ name: "Prometheus", uid: DATASOURCE_UID, type: "prometheus", access: "proxy", url: `http://${MONITORING_SERVICES.prometheus}:${MONITORING_PORTS.prometheus}`, isDefault: true, editable: false }] }) },
    { path: "provisioning/dashboards/envkit.yml", content: yaml({ apiVersion: 1, providers: [{ name: "envkit", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: `${MONITORING_CONFIG_DIR}/dashboards` } }] }) },
    ...observedServices(env).map((s) => ({ path: `dashboards/${s.name}.json`, content: `${JSON.stringify(serviceDashboard(env, s, sel), null, 2)}\n` })),
  ];
}

/** The configuration files and host paths of one service of the monitoring set (none for others). */
export function monitoringAdditions(env: EnvironmentModel, svc: ServiceModel): { config?: DockerServiceConfigFiles; readOnlyHostPaths?: readonly string[] } {
  if (!env.monitoring.stack) return {};
  switch (roleOf(svc)) {
    case "prometheus":
      return { config: { dir: MONITORING_CONFIG_DIR, files: [{ path: "prometheus.yml", content: prometheusConfig(env) }, { path: "rules.yml", content: renderRules(generateRules({ ...env, services: observedServices(env) }, dockerSelectors(env))) }] } };
    case "alertmanager":
      return { config: { dir: MONITORING_CONFIG_DIR, files: [{ path: "alertmanager.yml", content: alertmanagerConfig(env) }] } };
    case "grafana":
      return { config: { dir: MONITORING_CONFIG_DIR, files: grafanaFiles(env) } };
    case "cadvisor":
      return { readOnlyHostPaths: CADVISOR_HOST_PATHS };
    default:
      return {};
  }
}
