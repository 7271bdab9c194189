import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { dockerSelectors } from "./docker-metrics";
import { dockerStance } from "./docker-routing";
import { releaseSets, upstreamHost } from "../shared/proxy-sets";
import type { DockerServiceConfigFiles } from "./docker-service";
import { MonitoringTargetView, monitoringConfigFiles, monitoringRoleOf } from "../shared/monitoring-config";

/*
 * What the Docker target adds to the monitoring set's services (lib/observability/
 * monitoring-set.ts declares them as services; DockerService lowers them hardened like any other):
 * their generated configuration files (lib/targets/shared/monitoring-config.ts), delivered the way
 * uploaded secrets are (a never-started seed writes them into a volume the service mounts
 * read-only), and cAdvisor's read-only view of the host's cgroups. No container gets the Docker
 * socket.
 */

/** The host folder cAdvisor reads, read-only: the cgroup tree (CPU, memory, start times). */
export const CADVISOR_HOST_PATHS = ["/sys/fs/cgroup"] as const;

/**
 * The DNS names a service's containers answer to on the network Prometheus shares with it: its
 * own name, or each set's `<svc>-<set>` where the proxy took the name over (blue-green, canary;
 * `<svc>-stable` where it translates servicePorts, Prometheus' connection being one of those it
 * answers on), so Prometheus scrapes each container's metrics port directly, never the proxy.
 */
function scrapeNames(env: EnvironmentModel, svc: ServiceModel): string[] {
  return dockerStance(env, svc)?.name ? releaseSets(svc).filter((s) => s.replicas > 0).map((s) => upstreamHost(svc, s)) : [svc.name];
}

/** The Docker view of the monitoring set: cAdvisor's cgroup-parent selectors, replicas by alias. */
export function dockerMonitoringView(env: EnvironmentModel): MonitoringTargetView {
  return { selectors: dockerSelectors(env), scrapeNames: (svc) => scrapeNames(env, svc) };
}

/** The configuration files and host paths of one service of the monitoring set (none for others). */
export function monitoringAdditions(env: EnvironmentModel, svc: ServiceModel): { config?: DockerServiceConfigFiles; readOnlyHostPaths?: readonly string[] } {
  if (!env.monitoring.stack) return {};
  if (monitoringRoleOf(svc) === "cadvisor") return { readOnlyHostPaths: CADVISOR_HOST_PATHS };
  const config = monitoringConfigFiles(env, svc, dockerMonitoringView(env));
  return config ? { config } : {};
}
