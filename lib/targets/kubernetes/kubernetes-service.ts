import { createHash } from "node:crypto";
import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import type { CronJobV1, CronJobV1SpecJobTemplateSpecTemplate } from "@cdktf/provider-kubernetes/lib/cron-job-v1";
import type { JobV1, JobV1SpecTemplate } from "@cdktf/provider-kubernetes/lib/job-v1";
import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import type { HorizontalPodAutoscalerV2 } from "@cdktf/provider-kubernetes/lib/horizontal-pod-autoscaler-v2";
import type { IngressV1 } from "@cdktf/provider-kubernetes/lib/ingress-v1";
import { NetworkPolicyV1, NetworkPolicyV1SpecEgress, NetworkPolicyV1SpecIngress } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PodDisruptionBudgetV1 } from "@cdktf/provider-kubernetes/lib/pod-disruption-budget-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import type { StatefulSetV1, StatefulSetV1SpecTemplate } from "@cdktf/provider-kubernetes/lib/stateful-set-v1";
import { cronJobClass, hpaClass, ingressClass, jobClass, statefulSetClass } from "./optional-classes";
import { Construct } from "constructs";
import type { ITerraformDependable } from "../../facade/cdktf";
import { formatDuration } from "../../model/duration";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { memoryToKubernetes } from "../../model/quantity";
import { configFilesHash, keyedFiles } from "../shared/config-files";
import { componentLabels, selectorLabels, workloadLabels } from "../shared/labels";
import { NGINX_CANARY, NGINX_CANARY_WEIGHT, SERVICE_ROLE_LABEL, SLOT_LABEL, rolloutPlan } from "./rollout-plan";
import { dataName, moveFromPreviousName } from "../shared/renames";
import { serviceEnvironment } from "../shared/service-env";
import { SECRETS_DIR, podTemplate } from "./pod-template";
import { KubernetesBackup } from "./kubernetes-backup";
import { kubernetesOptions, serviceExposure } from "./options";
import { indexOf } from "../../model/environment-index";

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
 * One service on Kubernetes: ServiceAccount (no token), content-hashed ConfigMap, Deployment(s) or
 * StatefulSet with the restricted pod template (one per slot of its rollout strategy, see
 * rollout-plan.ts), ClusterIP Service, and — when they apply — preview/stable/canary Services,
 * headless Service, PodDisruptionBudgets, HPA, Ingresses and its connection NetworkPolicies.
 * `workload` is the main escape hatch; the others are public fields too.
 */
export class KubernetesService extends Construct {
  public readonly serviceAccount: ServiceAccountV1;
  public readonly configMap: ConfigMapV1;
  /** The immutable, content-hashed ConfigMap of the service's config files (none without files). */
  public readonly filesConfigMap?: ConfigMapV1;
  /** The workload that takes traffic (the Deployment or StatefulSet of the live slot, or the stable), or the Job / CronJob. */
  public readonly workload: DeploymentV1 | StatefulSetV1 | JobV1 | CronJobV1;
  /** Every workload of the service: one, or two slots (blue-green, canary). */
  public readonly workloads: readonly (DeploymentV1 | StatefulSetV1 | JobV1 | CronJobV1)[];
  public readonly service?: ServiceV1;
  /** blue-green: `<svc>-preview`, selecting the idle slot. */
  public readonly previewService?: ServiceV1;
  /** canary with exact weights: `<svc>-stable` and `<svc>-canary`, behind the two Ingresses. */
  public readonly stableService?: ServiceV1;
  public readonly canaryService?: ServiceV1;
  /** The first of {@link podDisruptionBudgets}. */
  public readonly podDisruptionBudget?: PodDisruptionBudgetV1;
  /** One per workload with more than one pod. */
  public readonly podDisruptionBudgets: PodDisruptionBudgetV1[] = [];
  public readonly autoscaler?: HorizontalPodAutoscalerV2;
  public readonly ingress?: IngressV1;
  /** canary with exact weights: the ingress-nginx canary Ingress. */
  public readonly canaryIngress?: IngressV1;
  /** blue-green, public: `<svc>-preview.<domain>`. */
  public readonly previewIngress?: IngressV1;
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

    // Config files: one immutable ConfigMap named by their content hash (a change is a new
    // ConfigMap and a new pod template, so the workload rolls; a revert names the old content).
    const files = keyedFiles(svc);
    if (files.length > 0) {
      this.filesConfigMap = new ConfigMapV1(this, "files", {
        metadata: meta(`${svc.name}-files-${configFilesHash(svc)}`),
        data: Object.fromEntries(files.map((f) => [f.key, f.content])),
        immutable: true,
        lifecycle: { createBeforeDestroy: true },
      });
    }

    const plan = rolloutPlan(env, svc);
    const timeout = formatDuration(svc.rollout.timeoutSeconds);
    const r = svc.rollout;
    // Recreate stops every old pod before the new ones start; the others surge as configured.
    const strategy = r.strategy === "recreate" ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxSurge: String(r.maxSurge), maxUnavailable: String(r.maxUnavailable) } };
    // What clients dial: each port's servicePort, forwarded to the container's named port.
    const ports = svc.ports.map((p) => ({ name: p.name, port: p.servicePort, targetPort: p.name, protocol: p.protocol.toUpperCase() }));
    // A job's pod is not restarted in place: a failed attempt is a new pod (its logs stay), up to
    // the Job's backoff limit (Kubernetes' default, 6).
    const done = svc.kind === "job" || svc.kind === "cronjob";
    const workloads: (DeploymentV1 | StatefulSetV1 | JobV1 | CronJobV1)[] = [];
    for (const w of plan.workloads) {
      // Each workload runs its own release: its image and version label are that release's.
      const runs: ServiceModel = { ...svc, image: w.release.image, version: w.release.version };
      const slotLabel: Record<string, string> = w.slot ? { [SLOT_LABEL]: w.slot } : {};
      const template = podTemplate(env, runs, { configMapName: this.configMap.metadata.name, serviceAccountName: this.serviceAccount.metadata.name, extraLabels: slotLabel, filesConfigMapName: this.filesConfigMap?.metadata.name, restartPolicy: done ? "Never" : undefined });
      const replicas = String(w.autoscaled && svc.autoscaling ? Math.max(svc.autoscaling.minReplicas, w.replicas) : w.replicas);
      const ignoreReplicas = w.autoscaled ? { ignoreChanges: ["spec[0].replicas"] } : undefined;
      const labelsOfWorkload = { ...workloadLabels(env, runs), ...slotLabel };
      const matchLabels = { ...selector, ...slotLabel };
      if (svc.kind === "job") {
        // Its pod template is immutable (every attribute ForceNew in hashicorp/kubernetes 2.38.0
        // schema_job_spec.go), so a new release replaces the Job: it runs once per release.
        // wait_for_completion makes apply wait for success, so the services that `runBefore` names
        // (which depend on it) are created or updated only after it completed; no TTL, since a Job
        // deleted by the cluster would be planned again and re-run.
        workloads.push(
          new (jobClass())(this, w.id, {
            metadata: meta(w.name, labelsOfWorkload),
            spec: { template: template as JobV1SpecTemplate },
            waitForCompletion: true,
            // The provider's own default is 1 minute (resource_kubernetes_job_v1.go:43-47), shorter
            // than most migrations: apply waits the rollout timeout, as for a Deployment.
            timeouts: { create: timeout, update: timeout },
            dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
          }),
        );
      } else if (svc.kind === "cronjob") {
        workloads.push(
          new (cronJobClass())(this, w.id, {
            metadata: meta(w.name, labelsOfWorkload),
            spec: {
              schedule: svc.schedule!,
              // The schedule is documented as UTC, whatever the controller's own time zone.
              timezone: "Etc/UTC",
              // A run still going when the next is due: the next is skipped, never two at once.
              concurrencyPolicy: "Forbid",
              jobTemplate: { metadata: { labels: labelsOfWorkload }, spec: { template: template as CronJobV1SpecJobTemplateSpecTemplate } },
            },
            dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
          }),
        );
      } else if (svc.kind === "stateful") {
        const headless = new ServiceV1(this, "headless", {
          metadata: meta(`${svc.name}-headless`, { ...labels, [SERVICE_ROLE_LABEL]: "headless" }),
          spec: { clusterIp: "None", selector, port: ports, publishNotReadyAddresses: true },
        });
        workloads.push(
          new (statefulSetClass())(this, w.id, {
            // Its name is in its claims' names (<template>-<name>-<n>): a renamed service keeps the
            // old one, so the replaced StatefulSet's pods re-bind the retained claims.
            metadata: meta(dataName(svc), labelsOfWorkload),
            spec: {
              replicas,
              serviceName: headless.metadata.name,
              selector: { matchLabels },
              podManagementPolicy: "OrderedReady",
              // One pod at a time whatever the strategy: a StatefulSet has no surge.
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
          }),
        );
      } else {
        workloads.push(
          new DeploymentV1(this, w.id, {
            metadata: meta(w.name, labelsOfWorkload),
            // The provider's wait ends at the Deployment's own progress deadline (ProgressDeadlineExceeded,
            // 600 s unless set) before its timeout: the rollout's timeout is both, so a 15m rollout
            // can run 15 minutes without progress. The default 10m is Kubernetes' own 600.
            spec: { replicas, selector: { matchLabels }, strategy, revisionHistoryLimit: 10, progressDeadlineSeconds: svc.rollout.timeoutSeconds, template },
            waitForRollout: true,
            timeouts: { create: timeout, update: timeout },
            lifecycle: ignoreReplicas,
            dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
          }),
        );
      }
    }
    this.workloads = workloads;
    this.workload = workloads[plan.workloads.findIndex((w) => w.autoscaled || w.takesTraffic)];

    // Internal services are always ClusterIP; a public one is exposed as configured.
    const exposure = serviceExposure(env, svc);
    if (svc.ports.length > 0) {
      // Clients dial servicePort; the Service forwards to the container's named port.
      this.service = new ServiceV1(this, "service", {
        metadata: meta(svc.name),
        spec: { type: exposure, selector: { ...plan.selector }, port: ports.map((p, i) => ({ ...p, nodePort: exposure !== "ClusterIP" ? svc.ports[i].nodePort : undefined })) },
      });
      // blue-green: the idle slot under its own name, to test before the switch.
      if (plan.previewSelector) this.previewService = new ServiceV1(this, "preview", { metadata: meta(`${svc.name}-preview`, { ...labels, [SERVICE_ROLE_LABEL]: "preview" }), spec: { type: "ClusterIP", selector: { ...plan.previewSelector }, port: ports } });
      if (plan.exactCanary) {
        this.stableService = new ServiceV1(this, "service-stable", { metadata: meta(`${svc.name}-stable`, { ...labels, [SERVICE_ROLE_LABEL]: "stable" }), spec: { type: "ClusterIP", selector: { ...plan.exactCanary.stableSelector }, port: ports } });
        if (plan.exactCanary.canarySelector) this.canaryService = new ServiceV1(this, "service-canary", { metadata: meta(`${svc.name}-canary`, { ...labels, [SERVICE_ROLE_LABEL]: "canary" }), spec: { type: "ClusterIP", selector: { ...plan.exactCanary.canarySelector }, port: ports } });
      }
    }

    // One budget per workload that runs more than one pod, selecting exactly its pods.
    plan.workloads.forEach((w) => {
      const maxPods = w.autoscaled && svc.autoscaling ? Math.max(svc.autoscaling.maxReplicas, w.replicas) : w.replicas;
      if (maxPods <= 1) return;
      const id = w.slot ? `pdb-${w.slot}` : "pdb";
      this.podDisruptionBudgets.push(new PodDisruptionBudgetV1(this, id, { metadata: meta(w.name), spec: { maxUnavailable: "1", selector: { matchLabels: { ...selector, ...(w.slot ? { [SLOT_LABEL]: w.slot } : {}) } } } }));
    });
    this.podDisruptionBudget = this.podDisruptionBudgets[0];

    if (svc.autoscaling) {
      // The autoscaler drives the workload that takes the traffic: the live slot, or the stable.
      const scaled = workloads[plan.workloads.findIndex((w) => w.autoscaled)];
      this.autoscaler = new (hpaClass())(this, "hpa", {
        metadata: meta(svc.name),
        spec: {
          minReplicas: svc.autoscaling.minReplicas,
          maxReplicas: svc.autoscaling.maxReplicas,
          scaleTargetRef: { apiVersion: "apps/v1", kind: svc.kind === "stateful" ? "StatefulSet" : "Deployment", name: scaled.metadata.name },
          metric: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: svc.autoscaling.cpuUtilization } } }],
        },
      });
    }

    if (svc.public && exposure === "ClusterIP" && env.domain && this.service) {
      const ingressClassName = kubernetesOptions(env).ingressClassName;
      const route = (id: string, name: string, host: string, backend: string, annotations?: Record<string, string>): IngressV1 =>
        new (ingressClass())(this, id, {
          metadata: { ...meta(name), annotations },
          spec: {
            ingressClassName,
            rule: [{ host, http: { path: [{ path: "/", pathType: "Prefix", backend: { service: { name: backend, port: { number: svc.ports[0].servicePort } } } }] } }],
            tls: env.tlsSecretName ? [{ hosts: [host], secretName: env.tlsSecretName }] : undefined,
          },
        });
      const host = `${svc.name}.${env.domain}`;
      // With exact canary weights the main Ingress reaches the stable pods only; the canary Ingress takes its weight.
      this.ingress = route("ingress", svc.name, host, (this.stableService ?? this.service).metadata.name);
      if (this.canaryService && plan.exactCanary) {
        this.canaryIngress = route("ingress-canary", `${svc.name}-canary`, host, this.canaryService.metadata.name, { [NGINX_CANARY]: "true", [NGINX_CANARY_WEIGHT]: String(plan.exactCanary.weight) });
      }
      if (this.previewService) this.previewIngress = route("ingress-preview", `${svc.name}-preview`, `${svc.name}-preview.${env.domain}`, this.previewService.metadata.name);
    }

    // Connection allows: ingress on this (server) side from each declared client, egress on the client side.
    const incoming = indexOf(env).connectionsTo(svc.name);
    const from: NetworkPolicyV1SpecIngress[] = incoming.map((c) => ({
      from: [{ podSelector: { matchLabels: selectorLabels(env, indexOf(env).service(c.from)!) } }],
      ports: [{ port: String(c.port), protocol: c.protocol.toUpperCase() }],
    }));
    if (svc.public && exposure === "ClusterIP") {
      from.push({
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kubernetesOptions(env).ingressNamespace } } }],
        ports: svc.ports.map((p) => ({ port: String(p.port), protocol: p.protocol.toUpperCase() })),
      });
    } else if (svc.public && svc.ports.length > 0) {
      // A LoadBalancer or NodePort Service brings clients from outside the cluster to the pods'
      // ports (the policy sees the pod port, after the Service's translation).
      from.push({ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: svc.ports.map((p) => ({ port: String(p.port), protocol: p.protocol.toUpperCase() })) });
    }
    // The cluster's Prometheus scrapes the metrics port (default-deny would drop the scrape).
    if (svc.metrics) {
      from.push({
        from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kubernetesOptions(env).prometheusNamespace } } }],
        ports: [{ port: String(svc.metrics.port), protocol: "TCP" }],
      });
    }
    if (from.length > 0 && kubernetesOptions(env).networkPolicies) {
      this.networkPolicies.push(new NetworkPolicyV1(this, "allow-ingress", { metadata: meta(`${svc.name}-allow-ingress`), spec: { podSelector: { matchLabels: selector }, policyTypes: ["Ingress"], ingress: from } }));
    }
    if ((svc.connections.length > 0 || svc.egress.length > 0) && kubernetesOptions(env).networkPolicies) {
      const to: NetworkPolicyV1SpecEgress[] = svc.connections.map((c) => ({
        to: [{ podSelector: { matchLabels: selectorLabels(env, indexOf(env).service(c.to)!) } }],
        ports: [{ port: String(c.port), protocol: c.protocol.toUpperCase() }],
      }));
      // Destinations outside the application: a NetworkPolicy matches addresses, never names, so
      // each egress needs its cidr here (the Kubernetes adapter's validation says so).
      for (const e of svc.egress) if (e.cidr) to.push({ to: [{ ipBlock: { cidr: e.cidr } }], ports: [{ port: String(e.port), protocol: e.protocol.toUpperCase() }] });
      this.networkPolicies.push(new NetworkPolicyV1(this, "allow-egress", { metadata: meta(`${svc.name}-allow-egress`), spec: { podSelector: { matchLabels: selector }, policyTypes: ["Egress"], egress: to } }));
    }
    if (svc.backup) {
      this.backup = new KubernetesBackup(this, "backup", { environment: env, service: svc, namespace, configMapName: this.configMap.metadata.name, serviceAccountName: this.serviceAccount.metadata.name });
    }
    // After every resource exists: each gets a `moved` block from its address under the old name.
    moveFromPreviousName(this, svc);
  }
}
