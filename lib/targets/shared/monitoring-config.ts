import { yamlPackage } from "../../config/yaml-package";
import { formatDuration } from "../../model/duration";
import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { DATASOURCE_UID, serviceDashboard } from "../../observability/dashboards";
import { MONITORING_CONFIG_DIR, MONITORING_PORTS, MONITORING_SERVICES, MonitoringRole } from "../../observability/monitoring-set";
import { generateRules, renderRules } from "../../observability/rules";
import type { MetricSelectors } from "../../observability/selectors";
import { SECRETS_DIR } from "./container-spec";

/*
 * The monitoring set's generated configuration, the same on every engine target that runs it
 * (Docker, Swarm): Prometheus' scrape jobs and rules, Alertmanager's receivers, Grafana's
 * provisioning and dashboards. A target supplies only what differs (MonitoringTargetView): how its
 * series are selected and which DNS names return one address per replica of a service. How the
 * files reach the containers is the adapter's (a seed volume on Docker, docker_config on Swarm).
 */

/** Generated files a service reads from one read-only folder. */
export interface GeneratedConfigFiles {
  /** Absolute folder inside the container. */
  readonly dir: string;
  /** Paths relative to `dir`, and their contents. */
  readonly files: readonly { readonly path: string; readonly content: string }[];
}

/** What a target tells the generator. */
export interface MonitoringTargetView {
  /** How the target's series of one service are selected (lib/targets/<t>/<t>-metrics.ts). */
  readonly selectors: MetricSelectors;
  /**
   * The DNS names that answer with one A record per replica of `svc` on the network Prometheus
   * shares with it (Docker: the alias; Swarm: `tasks.<alias>`, as the alias is a virtual IP).
   */
  scrapeNames(svc: ServiceModel): string[];
}

const yaml = (doc: unknown): string => yamlPackage().stringify(doc, { lineWidth: 0 });

/** The role of one of the set's services (undefined for the application's own). */
export function monitoringRoleOf(svc: Pick<ServiceModel, "name">): MonitoringRole | undefined {
  return (Object.entries(MONITORING_SERVICES) as [MonitoringRole, string][]).find(([, name]) => name === svc.name)?.[0];
}

/** The application's own services (not the set's). */
export function observedServices(env: EnvironmentModel): ServiceModel[] {
  return env.services.filter((s) => monitoringRoleOf(s) === undefined);
}

/** Whether the environment's set has this role (a target may run only some: Swarm has no cAdvisor). */
function hasRole(env: EnvironmentModel, role: MonitoringRole): boolean {
  return env.services.some((s) => s.name === MONITORING_SERVICES[role]);
}

/**
 * Prometheus' configuration: one job per service with metrics, its replicas found by DNS on the
 * network Prometheus shares with it because of the declared connection (one A record per replica,
 * so each replica is a target; container and task names change with each release and are not
 * used), labelled `environment` and `service`; cAdvisor where the set has it, and Prometheus
 * itself; the generated rules; Alertmanager at its alias.
 */
export function prometheusConfig(env: EnvironmentModel, view: MonitoringTargetView): string {
  const interval = formatDuration(env.monitoring.scrapeIntervalSeconds);
  const jobs = observedServices(env)
    .filter((s) => s.metrics)
    .map((s) => ({
      job_name: s.name,
      metrics_path: s.metrics!.path,
      dns_sd_configs: [{ names: view.scrapeNames(s), type: "A", port: s.metrics!.port, refresh_interval: interval }],
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
      ...(hasRole(env, "cadvisor") ? [{ job_name: "cadvisor", static_configs: [{ targets: [`${MONITORING_SERVICES.cadvisor}:${MONITORING_PORTS.cadvisor}`], labels: { environment: env.name } }] }] : []),
      { job_name: "prometheus", static_configs: [{ targets: [`localhost:${MONITORING_PORTS.prometheus}`], labels: { environment: env.name } }] },
    ],
  });
}

/** The generated rule file of the environment's application services, as the set's Prometheus loads it. */
export function monitoringRules(env: EnvironmentModel, view: MonitoringTargetView): string {
  return renderRules(generateRules({ ...env, services: observedServices(env) }, view.selectors));
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

/** Grafana's provisioning: the Prometheus data source and one dashboard file per service that has panels. */
export function grafanaFiles(env: EnvironmentModel, view: MonitoringTargetView): GeneratedConfigFiles["files"] {
  const dashboards = observedServices(env)
    .map((s) => ({ s, d: serviceDashboard(env, s, view.selectors) }))
    .filter(({ d }) => d.panels.length > 0);
  return [
    { path: "provisioning/datasources/prometheus.yml", content: yaml({ apiVersion: 1, datasources: [{ name: "Prometheus", uid: DATASOURCE_UID, type: "prometheus", access: "proxy", url: `http://${MONITORING_SERVICES.prometheus}:${MONITORING_PORTS.prometheus}`, isDefault: true, editable: false }] }) },
    { path: "provisioning/dashboards/envkit.yml", content: yaml({ apiVersion: 1, providers: [{ name: "envkit", type: "file", disableDeletion: true, allowUiUpdates: false, options: { path: `${MONITORING_CONFIG_DIR}/dashboards` } }] }) },
    ...dashboards.map(({ s, d }) => ({ path: `dashboards/${s.name}.json`, content: `${JSON.stringify(d, null, 2)}\n` })),
  ];
}

/** The generated configuration of one service of the monitoring set (none for others, nor for cAdvisor). */
export function monitoringConfigFiles(env: EnvironmentModel, svc: ServiceModel, view: MonitoringTargetView): GeneratedConfigFiles | undefined {
  if (!env.monitoring.stack) return undefined;
  switch (monitoringRoleOf(svc)) {
    case "prometheus":
      return { dir: MONITORING_CONFIG_DIR, files: [{ path: "prometheus.yml", content: prometheusConfig(env, view) }, { path: "rules.yml", content: monitoringRules(env, view) }] };
    case "alertmanager":
      return { dir: MONITORING_CONFIG_DIR, files: [{ path: "alertmanager.yml", content: alertmanagerConfig(env) }] };
    case "grafana":
      return { dir: MONITORING_CONFIG_DIR, files: grafanaFiles(env, view) };
    default:
      return undefined;
  }
}
