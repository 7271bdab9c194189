import { createHash } from "node:crypto";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { HorizontalPodAutoscalerV2 } from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { NetworkPolicyV1, NetworkPolicyV1SpecIngress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { StatefulSetV1, StatefulSetV1SpecTemplate } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { Construct } from "constructs";
import type { ITerraformDependable } from "../../facade/cdktf";
import { formatDuration } from "../../model/duration";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { memoryToKubernetes } from "../../model/quantity";
import { componentLabels, selectorLabels, serviceLabels } from "../shared/labels";
import { dataName, moveFromPreviousName } from "../shared/renames";
import { serviceEnvironment } from "../shared/service-env";
import { SECRETS_DIR, podTemplate } from "./pod-template";
import { KubernetesBackup } from "./kubernetes-backup";
import { kubernetesOptions } from "./options";

/** Props of {@link KubernetesService}. */
export interface KubernetesServiceProps {
  readonly environment: EnvironmentModel;
  readonly service: ServiceModel;
  /** The namespace resource's name (a token, so resources depend on the namespace). */
  readonly namespace: string;
  /** Anything the workload must wait for (the secrets it mounts). */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Content hash used in ConfigMap names: a change rolls the pods, a revert restores the old one. */
export function contentHash(data: Record<string, string>): string {
  const canonical = JSON.stringify(Object.keys(data).sort().map((k) => [k, data[k]]));
  return createHash("sha256").update(canonical).digest("hex").slice(0, 10);
}

/**
 * One service on Kubernetes: ServiceAccount (no token), content-hashed ConfigMap, Deployment or
 * StatefulSet with the restricted pod template, ClusterIP Service, and — when they apply —
 * headless Service, PodDisruptionBudget, HPA, Ingress and its connection NetworkPolicies.
 * `workload` is the main escape hatch; the others are public fields too.
 */
export class KubernetesService extends Construct {
  public readonly serviceAccount: ServiceAccountV1;
  public readonly configMap: ConfigMapV1;
  /** The Deployment (stateless) or StatefulSet (stateful). */
  public readonly workload: DeploymentV1 | StatefulSetV1;
  public readonly service?: ServiceV1;
  public readonly podDisruptionBudget?: PodDisruptionBudgetV1;
  public readonly autoscaler?: HorizontalPodAutoscalerV2;
  public readonly ingress?: IngressV1;
  public readonly networkPolicies: NetworkPolicyV1[] = [];
  /** The scheduled backup, where the service has one. */
  public readonly backup?: KubernetesBackup;

  constructor(scope: Construct, id: string, props: KubernetesServiceProps) {
    super(scope, id);
    const { environment: env, service: svc, namespace } = props;
    const labels = componentLabels(env, svc);
    const selector = selectorLabels(env, svc);
    const meta = (name: string, withLabels = labels): { name: string; namespace: string; labels: Record<string, string> } => ({ name, namespace, labels: withLabels });

    this.serviceAccount = new ServiceAccountV1(this, "service-account", { metadata: meta(svc.name), automountServiceAccountToken: svc.security.automountServiceAccountToken });

    const data = serviceEnvironment(env, svc, (name) => `${SECRETS_DIR}/${name}`);
    this.configMap = new ConfigMapV1(this, "config", {
      metadata: meta(`${svc.name}-config-${contentHash(data)}`),
      data,
      immutable: true,
      lifecycle: { createBeforeDestroy: true },
    });

    const template = podTemplate(env, svc, { configMapName: this.configMap.metadata.name, serviceAccountName: this.serviceAccount.metadata.name });
    const timeout = formatDuration(env.rollout.timeoutSeconds);
    const replicas = String(svc.autoscaling ? Math.max(svc.autoscaling.minReplicas, svc.replicas) : svc.replicas);
    const ignoreReplicas = svc.autoscaling ? { ignoreChanges: ["spec[0].replicas"] } : undefined;
    if (svc.kind === "stateful") {
      const headless = new ServiceV1(this, "headless", {
        metadata: meta(`${svc.name}-headless`),
        spec: { clusterIp: "None", selector, port: svc.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol.toUpperCase() })), publishNotReadyAddresses: true },
      });
      this.workload = new StatefulSetV1(this, "workload", {
        // Its name is in its claims' names (<template>-<name>-<n>): a renamed service keeps the
        // old one, so the replaced StatefulSet's pods re-bind the retained claims.
        metadata: meta(dataName(svc), serviceLabels(env, svc)),
        spec: {
          replicas,
          serviceName: headless.metadata.name,
          selector: { matchLabels: selector },
          podManagementPolicy: "OrderedReady",
          updateStrategy: [{ type: "RollingUpdate" }],
          // Deleting or scaling down the StatefulSet keeps the data.
          persistentVolumeClaimRetentionPolicy: [{ whenDeleted: "Retain", whenScaled: "Retain" }],
          template: template as StatefulSetV1SpecTemplate,
          volumeClaimTemplate: svc.volumes.map((v) => ({
            metadata: { name: v.name, labels },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: v.storageClass, resources: { requests: { storage: memoryToKubernetes(v.sizeBytes) } } },
          })),
        },
        waitForRollout: true,
        timeouts: { create: timeout, update: timeout },
        lifecycle: ignoreReplicas,
        dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      });
    } else {
      this.workload = new DeploymentV1(this, "workload", {
        metadata: meta(svc.name, serviceLabels(env, svc)),
        spec: {
          replicas,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: String(env.rollout.maxSurge), maxUnavailable: String(env.rollout.maxUnavailable) } },
          revisionHistoryLimit: 10,
          template,
        },
        waitForRollout: true,
        timeouts: { create: timeout, update: timeout },
        lifecycle: ignoreReplicas,
        dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
      });
    }

    if (svc.ports.length > 0) {
      this.service = new ServiceV1(this, "service", {
        metadata: meta(svc.name),
        spec: { type: "ClusterIP", selector, port: svc.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: p.protocol.toUpperCase() })) },
      });
    }

    const maxPods = svc.autoscaling ? svc.autoscaling.maxReplicas : svc.replicas;
    if (maxPods > 1) {
      this.podDisruptionBudget = new PodDisruptionBudgetV1(this, "pdb", { metadata: meta(svc.name), spec: { maxUnavailable: "1", selector: { matchLabels: selector } } });
    }

    if (svc.autoscaling) {
      this.autoscaler = new HorizontalPodAutoscalerV2(this, "hpa", {
        metadata: meta(svc.name),
        spec: {
          minReplicas: svc.autoscaling.minReplicas,
          maxReplicas: svc.autoscaling.maxReplicas,
          scaleTargetRef: { apiVersion: "apps/v1", kind: svc.kind === "stateful" ? "StatefulSet" : "Deployment", name: this.workload.metadata.name },
          metric: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: svc.autoscaling.cpuUtilization } } }],
        },
      });
    }

    if (svc.public && env.domain && this.service) {
      const host = `${svc.name}.${env.domain}`;
      this.ingress = new IngressV1(this, "ingress", {
        metadata: meta(svc.name),
        spec: {
          ingressClassName: kubernetesOptions(env).ingressClassName,
          rule: [{ host, http: { path: [{ path: "/", pathType: "Prefix", backend: { service: { name: this.service.metadata.name, port: { number: svc.ports[0].port } } } }] } }],
          tls: env.tlsSecretName ? [{ hosts: [host], secretName: env.tlsSecretName }] : undefined,
        },
      });
    }

    // Connection allows: ingress on this (server) side from each declared client, egress on the client side.
    const incoming = env.connections.filter((c) => c.to === svc.name);
    const from: NetworkPolicyV1SpecIngress[] = incoming.map((c) => ({
      from: [{ podSelector: { matchLabels: selectorLabels(env, env.services.find((s) => s.name === c.from)!) } }],
      ports: [{ port: String(c.port), protocol: c.protocol.toUpperCase() }],
    }));
    if (svc.public) {
      from.push({
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kubernetesOptions(env).ingressNamespace } } }],
        ports: svc.ports.map((p) => ({ port: String(p.port), protocol: p.protocol.toUpperCase() })),
      });
    }
    if (from.length > 0 && kubernetesOptions(env).networkPolicies) {
      this.networkPolicies.push(new NetworkPolicyV1(this, "allow-ingress", { metadata: meta(`${svc.name}-allow-ingress`), spec: { podSelector: { matchLabels: selector }, policyTypes: ["Ingress"], ingress: from } }));
    }
    if (svc.connections.length > 0 && kubernetesOptions(env).networkPolicies) {
      const to = svc.connections.map((c) => ({
        to: [{ podSelector: { matchLabels: selectorLabels(env, env.services.find((s) => s.name === c.to)!) } }],
        ports: [{ port: String(c.port), protocol: c.protocol.toUpperCase() }],
      }));
      this.networkPolicies.push(new NetworkPolicyV1(this, "allow-egress", { metadata: meta(`${svc.name}-allow-egress`), spec: { podSelector: { matchLabels: selector }, policyTypes: ["Egress"], egress: to } }));
    }
    if (svc.backup) {
      this.backup = new KubernetesBackup(this, "backup", { environment: env, service: svc, namespace, configMapName: this.configMap.metadata.name, serviceAccountName: this.serviceAccount.metadata.name });
    }
    // After every resource exists: each gets a `moved` block from its address under the old name.
    moveFromPreviousName(this, svc);
  }
}
