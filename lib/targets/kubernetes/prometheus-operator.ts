import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Construct } from "constructs";
import { formatDuration } from "../../model/duration";
import { EnvironmentModel } from "../../model/environment";
import { scopedName } from "../../model/names";
import { generateRules } from "../../observability/rules";
import { componentLabels, environmentLabels, selectorLabels } from "../shared/labels";
import { SERVICE_ROLE_LABEL } from "./rollout-plan";
import { inertModel } from "../shared/terraform-literal";
import { kubernetesSelectors } from "./kubernetes-metrics";

/** Props of {@link PrometheusOperatorObjects}. */
export interface PrometheusOperatorObjectsProps {
  /** The environment whose rules and scrape targets these are (the same model its stack lowers). */
  readonly environment: EnvironmentModel;
  /** The provider of the cluster (the CRDs must exist there when Terraform plans). */
  readonly provider?: KubernetesProvider;
  /**
   * Labels the Prometheus Operator selects rules and monitors by (its `ruleSelector` /
   * `serviceMonitorSelector`, e.g. kube-prometheus-stack's `release: <name>`). @default {}
   */
  readonly selectorLabels?: Readonly<Record<string, string>>;
}

/**
 * Opt-in Prometheus Operator objects for one environment: a `PrometheusRule` with the generated
 * rule groups and one `ServiceMonitor` per service with `metrics`, through `kubernetes_manifest`.
 * `kubernetes_manifest` asks the cluster for each object's schema at plan time, so the CRDs
 * (monitoring.coreos.com/v1) must already be installed: put this construct in a stack of its own,
 * applied after the environment's and after the operator (README "Operate it"). envkit's own
 * environment stacks never contain it; the rules ConfigMap needs no CRD.
 */
export class PrometheusOperatorObjects extends Construct {
  /** The `PrometheusRule`. */
  public readonly rule: Manifest;
  /** Service name → its `ServiceMonitor`. */
  public readonly serviceMonitors = new Map<string, Manifest>();

  constructor(scope: Construct, id: string, props: PrometheusOperatorObjectsProps) {
    super(scope, id);
    const env = inertModel(props.environment);
    const ns = scopedName(env.app, env.name);
    const extra = props.selectorLabels ?? {};
    const file = generateRules(env, kubernetesSelectors(env));
    this.rule = new Manifest(this, "prometheus-rule", {
      provider: props.provider,
      manifest: {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "envkit-rules", namespace: ns, labels: { ...environmentLabels(env), ...extra } },
        spec: { groups: file.groups },
      },
    });
    for (const svc of env.services) {
      if (!svc.metrics) continue;
      this.serviceMonitors.set(
        svc.name,
        new Manifest(this, `service-monitor-${svc.name}`, {
          provider: props.provider,
          manifest: {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: { name: svc.name, namespace: ns, labels: { ...componentLabels(env, svc), ...extra } },
            spec: {
              // The Service of the same name carries the component labels, so the selector labels
              // find it; its headless, preview, stable and canary Services carry them too, and a
              // role label, which leaves them out (each pod is scraped once).
              selector: { matchLabels: selectorLabels(env, svc), matchExpressions: [{ key: SERVICE_ROLE_LABEL, operator: "DoesNotExist" }] },
              namespaceSelector: { matchNames: [ns] },
              // The generated rules select by the pod label app.kubernetes.io/name, as the
              // annotation-based job's labelmap gives it: carried over to the targets here.
              podTargetLabels: ["app.kubernetes.io/name"],
              endpoints: [{ port: svc.metrics.portName, path: svc.metrics.path, interval: formatDuration(env.monitoring.scrapeIntervalSeconds) }],
            },
          },
        }),
      );
    }
  }
}
