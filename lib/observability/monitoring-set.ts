import type { ServiceConfig } from "../config/schema";

/*
 * The monitoring set (`monitoring.stack: true`): Prometheus, Alertmanager, Grafana and cAdvisor,
 * declared as ordinary services of the environment before defaults apply, so they are hardened,
 * limited, health-checked, connected and judged by the guardrails exactly like the application's
 * own services. Their connections are what they scrape or query, so a network-carving target puts
 * each on the networks it needs and on no other. What only a target can do (configuration files,
 * cAdvisor's read-only cgroup view) its adapter adds when it lowers them.
 */

/** The services of the monitoring set, by role. */
export const MONITORING_SERVICES = { prometheus: "prometheus", alertmanager: "alertmanager", grafana: "grafana", cadvisor: "cadvisor" } as const;
/** One of the monitoring set's roles. */
export type MonitoringRole = keyof typeof MONITORING_SERVICES;
/** The roles, in declaration order. */
export const MONITORING_ROLES = Object.keys(MONITORING_SERVICES) as MonitoringRole[];

/**
 * The services the monitoring set adds to an environment: none unless `stack` (monitoring.stack)
 * is on, then one per role its target runs (`roles`: the adapter's monitoringSet roles).
 */
export function monitoringServiceNames(stack: boolean, roles: readonly MonitoringRole[] | undefined): ReadonlySet<string> {
  return new Set(stack ? (roles ?? []).map((r) => MONITORING_SERVICES[r]) : []);
}

/** Where the monitoring containers read their generated configuration (a read-only volume). */
export const MONITORING_CONFIG_DIR = "/etc/envkit";
/** The secret holding Grafana's admin password (never a literal in config). */
export const GRAFANA_PASSWORD_SECRET = "grafana_admin_password";
/** Ports of the set (each image's own default). */
export const MONITORING_PORTS: Readonly<Record<MonitoringRole, number>> = { prometheus: 9090, alertmanager: 9093, grafana: 3000, cadvisor: 8080 };

/** A pinned image `repo:tag@sha256:…` split into the repository and the release string. */
export function splitPinned(pinned: string): { repository: string; release: string } {
  const at = pinned.indexOf("@");
  const colon = pinned.lastIndexOf(":", at);
  return { repository: pinned.slice(0, colon), release: pinned.slice(colon + 1) };
}

/**
 * The set's services and their releases, for an environment whose services are `services`
 * (the ones with `metrics` are scraped) and whose receivers read `webhookSecrets`: the `roles`
 * the target runs (every role by default), each image pinned in `images`.
 */
export function monitoringSetServices(
  images: Readonly<Partial<Record<MonitoringRole, string>>>,
  services: Readonly<Record<string, ServiceConfig>>,
  webhookSecrets: readonly string[],
  roles: readonly MonitoringRole[] = MONITORING_ROLES,
): { services: Partial<Record<MonitoringRole, ServiceConfig>>; release: Partial<Record<MonitoringRole, string>> } {
  const http = (role: MonitoringRole) => [{ name: "http", port: MONITORING_PORTS[role] }];
  const repo = (role: MonitoringRole): string => splitPinned(images[role]!).repository;
  const scraped = Object.entries(services)
    .filter(([, s]) => s.metrics)
    .map(([name, s]) => ({ to: name, port: s.metrics!.port }));
  const nobody = { user: "65534:65534" };
  const all: Record<MonitoringRole, () => ServiceConfig> = {
    prometheus: () => ({
      image: repo("prometheus"),
      kind: "stateful",
      ports: http("prometheus"),
      args: [`--config.file=${MONITORING_CONFIG_DIR}/prometheus.yml`, "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=15d", "--web.console.templates=/usr/share/prometheus/consoles", "--web.console.libraries=/usr/share/prometheus/console_libraries"],
      health: { http: { path: "/-/ready", port: "http" }, startPeriod: "60s" },
      connections: [...scraped, { to: MONITORING_SERVICES.alertmanager, port: "http" }, ...(roles.includes("cadvisor") ? [{ to: MONITORING_SERVICES.cadvisor, port: "http" }] : [])],
      volumes: [{ name: "data", path: "/prometheus", size: "10Gi" }],
      resources: { cpu: "250m", memory: "512Mi" },
      security: nobody,
    }),
    alertmanager: () => ({
      image: repo("alertmanager"),
      kind: "stateful",
      ports: http("alertmanager"),
      args: [`--config.file=${MONITORING_CONFIG_DIR}/alertmanager.yml`, "--storage.path=/alertmanager"],
      secrets: [...webhookSecrets],
      health: { http: { path: "/-/ready", port: "http" } },
      volumes: [{ name: "data", path: "/alertmanager", size: "1Gi" }],
      resources: { cpu: "100m", memory: "128Mi" },
      security: nobody,
    }),
    grafana: () => ({
      image: repo("grafana"),
      kind: "stateful",
      public: true,
      ports: http("grafana"),
      env: {
        GF_PATHS_PROVISIONING: `${MONITORING_CONFIG_DIR}/provisioning`,
        // Grafana reads `<setting>__FILE` from a file: the password is a secret, never a value here.
        GF_SECURITY_ADMIN_PASSWORD__FILE: `/run/secrets/${GRAFANA_PASSWORD_SECRET}`,
        GF_USERS_ALLOW_SIGN_UP: "false",
        GF_ANALYTICS_REPORTING_ENABLED: "false",
        GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
        // Logs to stdout only (the engine rotates them): the image's default also writes
        // /var/log/grafana, which a read-only root refuses.
        GF_LOG_MODE: "console",
      },
      secrets: [GRAFANA_PASSWORD_SECRET],
      health: { http: { path: "/api/health", port: "http" }, startPeriod: "60s" },
      connections: [{ to: MONITORING_SERVICES.prometheus, port: "http" }],
      volumes: [{ name: "data", path: "/var/lib/grafana", size: "1Gi" }],
      resources: { cpu: "100m", memory: "256Mi" },
      // The image's grafana user (472) in group root, as its own folders are.
      security: { user: "472:0" },
    }),
    cadvisor: () => ({
      image: repo("cadvisor"),
      ports: http("cadvisor"),
      // No Docker socket: cAdvisor reads raw cgroups only (no names or labels; see the adapters).
      args: ["--docker_only=false", "--housekeeping_interval=15s", "--store_container_labels=false"],
      health: { http: { path: "/healthz", port: "http" } },
      // Its own strategy, whatever the environment's rollout.strategy: a blue-green or canary
      // cAdvisor would need slots or a canary release the user cannot declare (the set is
      // envkit's), and gains nothing (the others are stateful, so they roll anyway).
      rollout: { strategy: "rolling" },
      resources: { cpu: "100m", memory: "128Mi" },
      security: nobody,
    }),
  };
  const out = Object.fromEntries(roles.map((r) => [r, all[r]()])) as Partial<Record<MonitoringRole, ServiceConfig>>;
  const release = Object.fromEntries(roles.map((r) => [r, splitPinned(images[r]!).release])) as Partial<Record<MonitoringRole, string>>;
  return { services: out, release };
}
