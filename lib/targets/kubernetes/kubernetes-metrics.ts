import type { EnvironmentModel, ServiceModel } from "../../model/environment";
import { scopedName } from "../../model/names";
import { DiskSeries, MetricSelectors, promString, regexLiteral } from "../../observability/selectors";
import { dataName } from "../shared/renames";
import { LABEL } from "../shared/labels";

/** A pod label as Prometheus' `labelmap` of `__meta_kubernetes_pod_label_(.+)` names it. */
function mappedLabel(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, "_");
}

/** Scrape annotations of a pod template (the convention of Prometheus' kubernetes-pods job). */
export function scrapeAnnotations(svc: ServiceModel): Record<string, string> | undefined {
  if (!svc.metrics) return undefined;
  return { "prometheus.io/scrape": "true", "prometheus.io/port": String(svc.metrics.port), "prometheus.io/path": svc.metrics.path };
}

/**
 * How a service's series look in a cluster's Prometheus: scraped through the pod annotations by
 * the `kubernetes-pods` job of Prometheus' example configuration (documentation/examples/
 * prometheus-kubernetes.yml: `namespace` and `pod` labels, pod labels mapped with `labelmap`),
 * containers from the kubelet's cAdvisor (`namespace`, `pod`, `container`), readiness and
 * restarts from kube-state-metrics, volumes from the kubelet's volume statistics.
 */
export function kubernetesSelectors(env: EnvironmentModel): MetricSelectors {
  const ns = scopedName(env.app, env.name);
  const container = (svc: ServiceModel): string => `namespace=${promString(ns)}, container=${promString(svc.name)}`;
  return {
    scrape: (svc) => `namespace=${promString(ns)}, ${mappedLabel(LABEL.name)}=${promString(svc.name)}`,
    containers: container,
    // kube-state-metrics keeps a series per container of every existing pod, ready or not.
    present: (svc) => `kube_pod_container_info{${container(svc)}}`,
    replicaLabels: ["pod"],
    restarts: (svc, window) => `max by (pod) (increase(kube_pod_container_status_restarts_total{${container(svc)}}[${window}]))`,
    notReady: (svc) => `max by (pod) (kube_pod_container_status_ready{${container(svc)}}) == 0`,
    disk: (e) =>
      e.services.flatMap((svc): DiskSeries[] =>
        svc.kind !== "stateful"
          ? []
          : svc.volumes.map((v) => {
              // Claims of a StatefulSet are <template>-<statefulset>-<ordinal>.
              const claim = `persistentvolumeclaim=~${promString(`${regexLiteral(`${v.name}-${dataName(svc)}-`)}[0-9]+`)}`;
              const sel = `namespace=${promString(ns)}, ${claim}`;
              return { expr: `max by (persistentvolumeclaim) (kubelet_volume_stats_used_bytes{${sel}} / kubelet_volume_stats_capacity_bytes{${sel}})`, service: svc.name, what: `volume ${v.name} of ${svc.name}` };
            }),
      ),
    sources: "kubelet cAdvisor, kube-state-metrics, kubelet volume stats",
  };
}
