import type { EnvironmentModel, ServiceModel } from "../model/environment";
import { CPU_RATE_WINDOW, num } from "./rules";
import { MetricSelectors } from "./selectors";

/*
 * One Grafana dashboard per service (dashboard JSON model, schemaVersion 39): request rate,
 * error ratio and P99 latency where the service has metrics, CPU and memory as shares of its
 * limits where the target's series tell the service's containers apart (not on Swarm). Target-neutral: the series come from the target's selectors, as in the rules.
 */

/** The uid of the provisioned Prometheus data source every panel reads. */
export const DATASOURCE_UID = "envkit-prometheus";

/** A Grafana panel (the subset envkit writes). */
export interface DashboardPanel {
  readonly id: number;
  readonly type: "timeseries";
  readonly title: string;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly datasource: { readonly type: "prometheus"; readonly uid: string };
  readonly targets: readonly { readonly refId: string; readonly expr: string; readonly legendFormat: string }[];
  readonly fieldConfig: { readonly defaults: { readonly unit: string }; readonly overrides: readonly never[] };
}

/** A Grafana dashboard (the subset envkit writes). */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly version: number;
  readonly editable: boolean;
  readonly time: { readonly from: string; readonly to: string };
  readonly refresh: string;
  readonly panels: readonly DashboardPanel[];
}

/** Grafana uids are at most 40 characters. */
function uidOf(env: EnvironmentModel, svc: ServiceModel): string {
  return `envkit-${env.app}-${env.name}-${svc.name}`.slice(0, 40);
}

/** The dashboard of one service. */
export function serviceDashboard(env: EnvironmentModel, svc: ServiceModel, sel: MetricSelectors): Dashboard {
  const panels: Omit<DashboardPanel, "id" | "gridPos">[] = [];
  const panel = (title: string, unit: string, expr: string, legendFormat: string): void => {
    panels.push({ type: "timeseries", title, datasource: { type: "prometheus", uid: DATASOURCE_UID }, targets: [{ refId: "A", expr, legendFormat }], fieldConfig: { defaults: { unit }, overrides: [] } });
  };
  const m = svc.metrics;
  if (m) {
    const all = `${m.requests}{${sel.scrape(svc)}}`;
    panel("Request rate", "reqps", `sum by (${m.statusLabel}) (rate(${all}[5m]))`, `{{${m.statusLabel}}}`);
    panel("Errors (5xx share)", "percentunit", `sum(rate(${m.requests}{${sel.scrape(svc)}, ${m.statusLabel}=~"5.."}[5m])) / sum(rate(${all}[5m]))`, "5xx");
    panel("Latency P99", "s", `histogram_quantile(0.99, sum by (le) (rate(${m.latency}_bucket{${sel.scrape(svc)}}[5m])))`, "p99");
  }
  const by = sel.replicaLabels.join(", ");
  const legend = sel.replicaLabels.map((l) => `{{${l}}}`).join(" ");
  // Only where the target's series tell this service's containers apart (see MetricSelectors).
  const containers = sel.containers?.(svc);
  if (containers !== undefined && svc.resources.cpuLimitMillis > 0) {
    panel("CPU (% of limit)", "percent", `100 * sum by (${by}) (rate(container_cpu_usage_seconds_total{${containers}}[${CPU_RATE_WINDOW}])) / ${num(svc.resources.cpuLimitMillis / 1000)}`, legend);
  }
  if (containers !== undefined && svc.resources.memoryLimitBytes > 0) {
    panel("Memory (% of limit)", "percent", `100 * max by (${by}) (container_memory_working_set_bytes{${containers}}) / ${num(svc.resources.memoryLimitBytes)}`, legend);
  }
  return {
    uid: uidOf(env, svc),
    title: `${env.app} ${env.name}: ${svc.name}`,
    tags: ["envkit", env.app, env.name],
    schemaVersion: 39,
    version: 1,
    editable: false,
    time: { from: "now-6h", to: "now" },
    refresh: "30s",
    // Two panels per row, 8 high.
    panels: panels.map((p, i) => ({ ...p, id: i + 1, gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 } })),
  };
}
