import type { EnvironmentModel } from "../../model/environment";
import { MetricSelectors, promString } from "../../observability/selectors";

/**
 * How a service's series look in the Swarm monitoring set's Prometheus: scrape jobs labelled
 * `environment` and `service` (shared/monitoring-config.ts writes them), one target per task.
 * Nothing else: a Swarm service spec has no cgroup parent (Engine API 1.41, provider 3.6.2), so a
 * cAdvisor without the Docker socket sees every task as an anonymous `docker-<id>.scope` and
 * cannot tell one service's containers from another's; with the socket it could, but no container
 * gets it (ENVK-SEC-009). So there are no CPU, memory, restart or "no container" series per
 * service, and no rules or panels on them: only the rules on a service's own metrics (down,
 * missing, and the SLO rules). Run node-exporter or the engines' metrics for the nodes.
 */
export function swarmSelectors(env: EnvironmentModel): MetricSelectors {
  return {
    scrape: (svc) => `environment=${promString(env.name)}, service=${promString(svc.name)}`,
    replicaLabels: ["instance"],
    disk: () => [],
    sources: "the services' own endpoints (Swarm tasks found through tasks.<service> DNS)",
  };
}
