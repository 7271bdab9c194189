import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { scopedName } from "../../model/names";
import { MetricSelectors, promString, regexLiteral } from "../../observability/selectors";

/**
 * The cgroup parent of a service's containers when the monitoring set runs: a systemd slice name
 * (the systemd cgroup driver accepts only `*.slice`; cgroupfs takes it as a plain folder). It is
 * how cAdvisor, which gets no Docker socket, tells one service's containers from another's: without
 * the socket it sees raw cgroups only (`id="/…/docker-<id>.scope"`), no container names or labels.
 */
export function cgroupParent(env: EnvironmentModel, svc: ServiceModel): string {
  return `${scopedName(env.app, env.name, svc.name)}.slice`;
}

/**
 * How a service's series look in the Docker monitoring set's Prometheus: scrape jobs labelled
 * `environment` and `service` (docker-monitoring.ts writes them), and cAdvisor's raw cgroup series
 * selected by the service's cgroup parent. Under the systemd driver a slice `a-b-c.slice` sits in
 * `a.slice/a-b.slice/`, and another service's slice can sit below this one (`shop-dev-api-v2.slice`
 * inside `shop-dev-api.slice`), so the match is the slice's direct container children only.
 */
export function dockerSelectors(env: EnvironmentModel): MetricSelectors {
  const containers = (svc: ServiceModel): string => `id=~${promString(`.*/${regexLiteral(cgroupParent(env, svc))}/(docker-)?[0-9a-f]{64}(\\.scope)?`)}`;
  return {
    scrape: (svc) => `environment=${promString(env.name)}, service=${promString(svc.name)}`,
    containers,
    present: (svc) => `container_last_seen{${containers(svc)}}`,
    replicaLabels: ["id"],
    // A restart keeps the container (and its cgroup) but resets its start time.
    restarts: (svc, window) => `max by (id) (changes(container_start_time_seconds{${containers(svc)}}[${window}]))`,
    // None: Docker volumes have no capacity of their own, and cAdvisor without the socket,
    // /var/lib/docker and the host's root has no file-system figures envkit could vouch for.
    // Host disks need node-exporter (README "Operate it").
    disk: () => [],
    sources: "cAdvisor (raw cgroups, no Docker socket) and the services' own endpoints",
  };
}
