import { ConfigMapV1 } from "@cdktf/provider-kubernetes/lib/config-map-v1";
import { LimitRangeV1 } from "@cdktf/provider-kubernetes/lib/limit-range-v1";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ResourceQuotaV1 } from "@cdktf/provider-kubernetes/lib/resource-quota-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Construct } from "constructs";
import { declareStackOutputs } from "../shared/outputs";
import { inertModel } from "../shared/terraform-literal";
import { TerraformStack } from "../../facade/cdktf";
import { EnvironmentModel, environmentSecrets } from "../../model/environment";
import { scopedName, secretResourceName } from "../../model/names";
import { cpuToKubernetes, memoryToKubernetes } from "../../model/quantity";
import { environmentLabels } from "../shared/labels";
import { declareSecretVariables } from "../shared/secret-variables";
import { generateRules, renderRules } from "../../observability/rules";
import { kubernetesSelectors } from "./kubernetes-metrics";
import { KubernetesService } from "./kubernetes-service";
import { kubernetesOptions } from "./options";

/** Props of {@link KubernetesEnvironment}. */
export interface KubernetesEnvironmentProps {
  readonly environment: EnvironmentModel;
  /**
   * The provider every resource uses (the user's own, perhaps aliased).
   * @default a new default (unaliased) provider configured from the environment's settings
   */
  readonly provider?: KubernetesProvider;
}

/** Terraform version that write-only attributes and ephemeral variables need. */
export const REQUIRED_TERRAFORM = ">= 1.11.0";

/**
 * A whole environment as one restricted namespace: provider, namespace (PSA restricted), quota,
 * limit range, default-deny + DNS network policies, write-only secrets and one
 * {@link KubernetesService} per service. Every resource is a public field (escape hatches).
 */
export class KubernetesEnvironment extends Construct {
  /** The provider the resources use: the one passed in, or the one this construct created. */
  public readonly provider: KubernetesProvider;
  public readonly namespace: NamespaceV1;
  public readonly quota?: ResourceQuotaV1;
  /** Absent only for a model built without `limitRange` (resolution always defaults it on Kubernetes). */
  public readonly limitRange?: LimitRangeV1;
  /** Absent when `kubernetes.networkPolicies: false`. */
  public readonly defaultDeny?: NetworkPolicyV1;
  public readonly allowDns?: NetworkPolicyV1;
  /** Secret name → `kubernetes_secret_v1` fed through `data_wo`. */
  public readonly secrets = new Map<string, SecretV1>();
  public readonly services = new Map<string, KubernetesService>();
  /** The `prometheus-rules` ConfigMap: the environment's generated Prometheus rule file. */
  public readonly rules: ConfigMapV1;

  constructor(scope: Construct, id: string, props: KubernetesEnvironmentProps) {
    super(scope, id);
    // Constructs used directly (not through the registry) get the same escaping; a model that is
    // already inert is returned as is.
    const env = inertModel(props.environment);
    // Credentials come from the kubeconfig at apply time (KUBE_CONFIG_PATH when configPath is unset).
    this.provider = props.provider ?? new KubernetesProvider(this, "provider", { configPath: kubernetesOptions(env).configPath, configContext: kubernetesOptions(env).context });
    TerraformStack.of(this).addOverride("terraform.required_version", REQUIRED_TERRAFORM);

    const labels = environmentLabels(env);
    this.namespace = new NamespaceV1(this, "namespace", {
      metadata: {
        name: scopedName(env.app, env.name),
        labels: {
          ...labels,
          "pod-security.kubernetes.io/enforce": kubernetesOptions(env).podSecurity,
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": kubernetesOptions(env).podSecurity,
          "pod-security.kubernetes.io/warn": kubernetesOptions(env).podSecurity,
        },
      },
      lifecycle: env.preventDestroyVolumes ? { preventDestroy: true } : undefined,
    });
    const ns = this.namespace.metadata.name;
    const meta = (name: string): { name: string; namespace: string; labels: Record<string, string> } => ({ name, namespace: ns, labels });

    const q = env.quota;
    if (q) {
      const hard: Record<string, string> = {};
      if (q.cpuMillis !== undefined) hard["requests.cpu"] = cpuToKubernetes(q.cpuMillis);
      if (q.memoryBytes !== undefined) hard["requests.memory"] = memoryToKubernetes(q.memoryBytes);
      if (q.cpuLimitMillis !== undefined) hard["limits.cpu"] = cpuToKubernetes(q.cpuLimitMillis);
      if (q.memoryLimitBytes !== undefined) hard["limits.memory"] = memoryToKubernetes(q.memoryLimitBytes);
      if (q.pods !== undefined) hard.pods = String(q.pods);
      if (q.persistentVolumeClaims !== undefined) hard.persistentvolumeclaims = String(q.persistentVolumeClaims);
      if (q.storageBytes !== undefined) hard["requests.storage"] = memoryToKubernetes(q.storageBytes);
      this.quota = new ResourceQuotaV1(this, "quota", { metadata: meta("quota"), spec: { hard } });
    }
    const lr = env.limitRange;
    if (lr) {
      this.limitRange = new LimitRangeV1(this, "limit-range", {
        metadata: meta("defaults"),
        spec: {
          limit: [
            {
              type: "Container",
              defaultRequest: { cpu: cpuToKubernetes(lr.cpuMillis), memory: memoryToKubernetes(lr.memoryBytes) },
              default: { cpu: cpuToKubernetes(lr.cpuLimitMillis), memory: memoryToKubernetes(lr.memoryLimitBytes) },
            },
          ],
        },
      });
    }

    // Default deny of ingress and egress, with DNS egress to the cluster DNS allowed.
    if (kubernetesOptions(env).networkPolicies) {
      this.defaultDeny = new NetworkPolicyV1(this, "default-deny", { metadata: meta("default-deny"), spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
      this.allowDns = new NetworkPolicyV1(this, "allow-dns", {
        metadata: meta("allow-dns"),
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
              ports: [
                { port: "53", protocol: "UDP" },
                { port: "53", protocol: "TCP" },
              ],
            },
          ],
        },
      });
    }

    // Write-only secrets: the value comes from an ephemeral variable and never reaches plan or state.
    const variables = declareSecretVariables(this, env, { ephemeral: true });
    for (const s of environmentSecrets(env)) {
      this.secrets.set(
        s.name,
        new SecretV1(this, `secret-${s.name}`, {
          metadata: meta(secretResourceName(s.name)),
          type: "Opaque",
          dataWo: { value: variables.get(s.name)!.stringValue },
          dataWoRevision: s.revision,
        }),
      );
    }

    // The environment's alert and recording rules, for a Prometheus that loads rule files from
    // ConfigMaps with this label (a sidecar such as kiwigrid/k8s-sidecar; README "Operate it").
    const [rulesKey, rulesValue] = kubernetesOptions(env).rulesLabel.split("=");
    this.rules = new ConfigMapV1(this, "prometheus-rules", {
      metadata: { name: "prometheus-rules", namespace: ns, labels: { ...labels, [rulesKey]: rulesValue } },
      data: { [`${scopedName(env.app, env.name)}.rules.yml`]: renderRules(generateRules(env, kubernetesSelectors(env))) },
    });

    for (const svc of env.services) {
      const dependsOn = svc.secrets.map((s) => this.secrets.get(s.name)!);
      this.services.set(svc.name, new KubernetesService(this, svc.name, { environment: env, service: svc, namespace: ns, dependsOn }));
    }
    // A job's `runBefore`: those workloads are created or updated only after the Job completed
    // (it waits for completion), e.g. a migration before the release that needs the new schema.
    for (const job of env.services) {
      const w = this.services.get(job.name)!.workload;
      for (const dependant of job.runBefore) {
        const d = this.services.get(dependant)?.workload;
        if (d) d.dependsOn = [...(d.dependsOn ?? []), `${w.terraformResourceType}.${w.friendlyUniqueId}`];
      }
    }
    // Addresses for other stacks: cluster DNS names and, for public services, their ingress URLs.
    const nsName = scopedName(env.app, env.name);
    declareStackOutputs(
      this,
      env,
      (svc) => ({
        // Clients dial the Service, which listens on servicePort; the URL is the Ingress's host,
        // which only a public ClusterIP service gets (LoadBalancer and NodePort ones are reached otherwise).
        internal: svc.ports.map((p) => `${svc.name}.${nsName}.svc.cluster.local:${p.servicePort}`),
        public: svc.public && env.domain && svc.ports.length && this.services.get(svc.name)?.ingress ? [`${env.tlsSecretName ? "https" : "http"}://${svc.name}.${env.domain}`] : [],
      }),
      { namespace: { value: this.namespace.metadata.name, description: `The namespace of ${env.app}/${env.name}.` } },
    );
  }
}
