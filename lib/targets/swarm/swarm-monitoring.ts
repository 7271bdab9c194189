import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { GeneratedConfigFiles, MonitoringTargetView, monitoringConfigFiles } from "../shared/monitoring-config";
import { releaseSets, setHost, upstreamHost } from "../shared/proxy-sets";
import { swarmStance } from "./swarm-routing";
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
 * `"tasks."+alias` for every alias of the service on the network). The alias is the one the tasks
 * carry there: each set's `<svc>-<set>` where the proxy took the service's name (blue-green,
 * canary: SwarmService), `<svc>-stable` where the proxy translates its ports on its connections'
 * networks, Prometheus' among them (SwarmEnvironment), else the service's name. So Prometheus
 * scrapes each task's metrics port directly, never the proxy.
 */
function scrapeNames(env: EnvironmentModel, svc: ServiceModel): string[] {
  const stance = swarmStance(env, svc);
  const names = stance?.name === "everywhere" ? releaseSets(svc).filter((s) => s.replicas > 0).map((s) => setHost(svc, s)) : stance?.name === "clients" ? [upstreamHost(svc, {})] : [svc.name];
  return names.map((n) => `tasks.${n}`);
}

/** The Swarm view of the monitoring set: scrape selectors only, tasks by `tasks.<alias>`. */
export function swarmMonitoringView(env: EnvironmentModel): MonitoringTargetView {
  return { selectors: swarmSelectors(env), scrapeNames: (svc) => scrapeNames(env, svc) };
}

/** The generated configuration of one service of the monitoring set (none for others). */
export function swarmMonitoringConfig(env: EnvironmentModel, svc: ServiceModel): GeneratedConfigFiles | undefined {
  return monitoringConfigFiles(env, svc, swarmMonitoringView(env));
}
