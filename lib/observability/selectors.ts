import type { EnvironmentModel, ServiceModel } from "../model/environment";

/**
 * What a target tells the rule and dashboard generators: how the series of one service are
 * selected where that target runs. The generators stay target-neutral; each adapter supplies one
 * (lib/targets/<t>/<t>-metrics.ts). Matchers are PromQL label matchers without braces, already
 * quoted (`namespace="shop-prod", container="api"`).
 */
export interface MetricSelectors {
  /** Matchers on the series scraped from the service's own metrics endpoint (`up`, `http_*`). */
  scrape(svc: ServiceModel): string;
  /**
   * Matchers on the cAdvisor series of the service's containers (one series per replica).
   * Absent where the target cannot tell one service's containers from another's (Swarm without
   * the Docker socket): then no CPU or memory rule or panel is generated.
   */
  containers?(svc: ServiceModel): string;
  /**
   * A series that exists while any container of the service exists (its absence: none does).
   * Absent where no such series exists: services without metrics then get no missing alert.
   */
  present?(svc: ServiceModel): string;
  /** The labels that tell one replica's container from another's in cAdvisor series. */
  readonly replicaLabels: readonly string[];
  /** An expression: restarts of each replica of the service within `window` (e.g. `1h`); absent where no series counts them. */
  restarts?(svc: ServiceModel, window: string): string;
  /** An expression that is non-empty per replica that is not ready, where the target can tell. */
  notReady?(svc: ServiceModel): string;
  /** Disk use as a ratio 0..1, per volume or per host file system, each with what it measures. */
  disk(env: EnvironmentModel): readonly DiskSeries[];
  /** Where the exporters these series come from are documented for this target (annotations). */
  readonly sources: string;
}

/** One disk-usage expression (a ratio) and the service it belongs to, if any. */
export interface DiskSeries {
  readonly expr: string;
  /** The service whose volume it measures; absent for a host file system. */
  readonly service?: string;
  readonly what: string;
}

/** A PromQL string literal: backslashes and double quotes escaped. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** A regular expression matching `value` literally (RE2 syntax, as Prometheus uses). */
export function regexLiteral(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
