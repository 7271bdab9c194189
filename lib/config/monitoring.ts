import type { z } from "zod";
import type { MetricsModel, MonitoringLevel, MonitoringModel, PortModel, SloModel, TiersModel } from "../model/environment";
import type { MetricsSchema, MonitoringSchema, SloSchema } from "./schema";
import type { ConfigIssue } from "../errors";
import { MONITORING_ROLES, MONITORING_SERVICES, MonitoringRole, monitoringSetServices } from "../observability/monitoring-set";
import type { TargetAdapter } from "../targets/target";
import { setOwn } from "./merge";
import type { ServiceConfig } from "./schema";
import { didYouMean } from "./suggest";
import { SourceDocument, lineAt } from "./yaml-source";

/*
 * Resolution of `services.<svc>.metrics`, `slo:` and `monitoring:` into the model: the checks that
 * need the layered, defaulted document (a metrics port the service has, tiers that rise once an
 * environment file overrides one of them). Called from resolve.ts.
 */

type Segments = (string | number)[];
type Report = (segs: Segments, message: string) => void;

/** The effective `metrics:` of a service after defaults. */
export type EffectiveMetrics = Required<z.infer<typeof MetricsSchema>>;
/** The effective `slo:` after defaults. */
export type EffectiveSlo = Required<z.infer<typeof SloSchema>>;
/** The effective `monitoring:` after defaults. */
export type EffectiveMonitoring = Required<Omit<z.infer<typeof MonitoringSchema>, "cpu" | "memory" | "disk" | "restarts">> & {
  cpu: Required<TiersModel>;
  memory: Required<TiersModel>;
  disk: { warning: number; critical: number };
  restarts: { count: number; window: string };
};

/** A service's metrics endpoint, its port name resolved against the service's ports. */
export function resolveMetrics(m: EffectiveMetrics | undefined, ports: readonly PortModel[], at: Segments, err: Report): MetricsModel | undefined {
  if (!m) return undefined;
  const port = ports.find((p) => p.name === m.port);
  if (!port) {
    err([...at, "port"], `names port "${m.port}", which the service does not have${didYouMean(m.port, ports.map((p) => p.name))}; its ports: ${ports.map((p) => p.name).join(", ") || "none"} (declare the metrics port under ports)`);
    return undefined;
  }
  if (port.protocol !== "tcp") err([...at, "port"], `port "${m.port}" is ${port.protocol}; Prometheus scrapes over HTTP, so name a tcp port`);
  return { portName: port.name, port: port.port, path: m.path, requests: m.requests, statusLabel: m.statusLabel, latency: m.latency };
}

/** Tiers must rise: warning < critical < emergency, whichever file set each. */
function checkTiers(t: TiersModel, at: Segments, err: Report): void {
  if (t.warning >= t.critical) err([...at, "warning"], `warning ${t.warning}% must be below critical ${t.critical}% (tiers rise: warning < critical < emergency)`);
  if (t.critical >= t.emergency) err([...at, "critical"], `critical ${t.critical}% must be below emergency ${t.emergency}% (tiers rise: warning < critical < emergency)`);
}

/** The environment's objectives and monitoring settings, durations in seconds. */
export function resolveMonitoring(slo: EffectiveSlo, mon: EffectiveMonitoring, secs: (segs: Segments, v: string) => number, err: Report): { slo: SloModel; monitoring: MonitoringModel } {
  const latency = secs(["slo", "latencyP99"], slo.latencyP99);
  if (latency <= 0) err(["slo", "latencyP99"], `"${slo.latencyP99}" is no latency objective; write e.g. "500ms"`);
  const budget = 100 - slo.availability;
  // Only a 5-minute ratio above the whole budget says more than the budget alerts already do.
  if (slo.errorRate < budget) err(["slo", "errorRate"], `${slo.errorRate}% is below the error budget of the availability (${+budget.toFixed(6)}% of ${slo.availability}%): it would alert before the budget burns at all; set errorRate to at least ${+budget.toFixed(6)} or lower availability`);
  checkTiers(mon.cpu, ["monitoring", "cpu"], err);
  checkTiers(mon.memory, ["monitoring", "memory"], err);
  if (mon.disk.warning >= mon.disk.critical) err(["monitoring", "disk", "warning"], `warning ${mon.disk.warning}% must be below critical ${mon.disk.critical}%`);
  const interval = secs(["monitoring", "scrapeInterval"], mon.scrapeInterval);
  const downAfter = secs(["monitoring", "downAfter"], mon.downAfter);
  // A target is seen down only after a failed scrape: `for` shorter than one interval cannot hold.
  if (downAfter < interval) err(["monitoring", "downAfter"], `"${mon.downAfter}" is shorter than scrapeInterval "${mon.scrapeInterval}": a target is only seen down at a scrape, so the alert could never wait that little; use at least "${mon.scrapeInterval}"`);
  const window = secs(["monitoring", "restarts", "window"], mon.restarts.window);
  if (window < 2 * interval) err(["monitoring", "restarts", "window"], `"${mon.restarts.window}" holds fewer than two scrapes at scrapeInterval "${mon.scrapeInterval}"; a restart count needs a longer window, e.g. "1h"`);
  return {
    slo: { availability: slo.availability / 100, errorRate: slo.errorRate / 100, latencyP99Seconds: latency },
    monitoring: {
      level: mon.level as MonitoringLevel,
      scrapeIntervalSeconds: interval,
      downAfterSeconds: downAfter,
      cpu: { ...mon.cpu },
      memory: { ...mon.memory },
      disk: { ...mon.disk },
      restarts: { count: mon.restarts.count, windowSeconds: window },
      stack: mon.stack,
      receivers: mon.receivers.map((r) => ({ name: r.name, webhookSecret: r.webhookSecret })),
    },
  };
}

/**
 * Adds the monitoring set's services and releases to the layered document when
 * `monitoring.stack` is true (before defaults, so they get every default a service gets).
 * Returns the problems: a target without the set, unpinned images, a name already taken.
 */
export function expandMonitoringSet(effective: Record<string, unknown>, envDoc: SourceDocument, adapter: TargetAdapter | undefined): ConfigIssue[] {
  const mon = effective.monitoring as { stack?: boolean; images?: Partial<Record<MonitoringRole, string>>; receivers?: { webhookSecret: string }[] } | undefined;
  if (mon?.stack !== true || !adapter) return [];
  const at = (...p: string[]): Pick<ConfigIssue, "file" | "line" | "path"> => ({ file: envDoc.file, line: lineAt(envDoc, ["monitoring", ...p]) ?? lineAt(envDoc, ["monitoring"]), path: ["monitoring", ...p].join(".") });
  if (!adapter.monitoringSet) return [{ ...at("stack"), message: `target "${adapter.name}" runs no monitoring set; remove stack: true and use the cluster's own Prometheus (the generated rules and scrape settings are there for it)` }];
  const images = mon.images ?? {};
  const { roles, without = {} } = adapter.monitoringSet;
  // An image for a role the target does not run would be pinned, reviewed and never pulled.
  const unused = MONITORING_ROLES.filter((r) => !roles.includes(r) && images[r] !== undefined);
  if (unused.length) return unused.map((r) => ({ ...at("images", r), message: `target "${adapter.name}" runs no ${r} in its monitoring set (${without[r] ?? "not part of this target's set"}); remove images.${r}` }));
  const missing = roles.filter((r) => images[r] === undefined);
  if (missing.length) return [{ ...at("images"), message: `stack: true needs every image pinned by digest; add ${missing.map((r) => `images.${r}`).join(", ")} as "repository:tag@sha256:<digest>" (e.g. from docker buildx imagetools inspect)` }];
  const services = effective.services as Record<string, ServiceConfig>;
  const taken = roles.filter((r) => Object.hasOwn(services, MONITORING_SERVICES[r]));
  if (taken.length) return [{ ...at("stack"), message: `the monitoring set adds the services ${taken.map((r) => `"${MONITORING_SERVICES[r]}"`).join(", ")}, which the application already has; rename yours or remove stack: true` }];
  const set = monitoringSetServices(images, services, (mon.receivers ?? []).map((r) => r.webhookSecret), roles);
  const release = (effective.release ?? {}) as Record<string, string>;
  for (const r of roles) {
    setOwn(services, MONITORING_SERVICES[r], set.services[r]!);
    setOwn(release, MONITORING_SERVICES[r], set.release[r]!);
  }
  effective.release = release;
  return [];
}
