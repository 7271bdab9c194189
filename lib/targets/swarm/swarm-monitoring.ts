import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { GeneratedConfigFiles, MonitoringTargetView, monitoringConfigFiles } from "../shared/monitoring-config";
import { releaseSets, routedBySets, setHost } from "../shared/proxy-sets";
import { swarmSelectors } from "./swarm-metrics";

/*
 * What the Swarm target adds to the monitoring set's services (Prometheus, Alertmanager, Grafana;
 * no cAdvisor, see swarm-metrics.ts): their generated configuration (shared/monitoring-config.ts,
 * the same generator as Docker's), which SwarmService delivers as docker_config objects mounted
 * read-only under /etc/envkit. No task gets the Docker socket.
 */

/**
 * The DNS names that answer with one address per task on the overlay network Prometheus shares
 * with a service: Swarm's `tasks.<alias>` (the alias itself is the service's virtual IP, one
 * address for all tasks; libnetwork's addServiceBinding, service_common.go, registers
 * `"tasks."+alias` for every alias of the service on the network); each set's `<svc>-<set>` where
 * the proxy took the service's name (blue-green, canary), as SwarmService gives each set that alias.
 */
function scrapeNames(svc: ServiceModel): string[] {
  const names = routedBySets(svc) ? releaseSets(svc).filter((s) => s.replicas > 0).map((s) => setHost(svc, s)) : [svc.name];
  return names.map((n) => `tasks.${n}`);
}

/** The Swarm view of the monitoring set: scrape selectors only, tasks by `tasks.<alias>`. */
export function swarmMonitoringView(env: EnvironmentModel): MonitoringTargetView {
  return { selectors: swarmSelectors(env), scrapeNames };
}

/** The generated configuration of one service of the monitoring set (none for others). */
export function swarmMonitoringConfig(env: EnvironmentModel, svc: ServiceModel): GeneratedConfigFiles | undefined {
  return monitoringConfigFiles(env, svc, swarmMonitoringView(env));
}
