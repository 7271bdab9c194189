import { z } from "zod";
import type { DefaultRule } from "../../config/defaults";
import { EnvironmentModel } from "../../model/environment";
import { checkDnsLabel } from "../../model/names";

/** This target's name: the `target:` value and the key of its settings block. */
export const KUBERNETES = "kubernetes";

const Name = z.string().check((ctx) => {
  const m = checkDnsLabel(ctx.value);
  if (m) ctx.issues.push({ code: "custom", message: m, input: ctx.value });
});

/** The `kubernetes:` block of an environment file. */
export const KubernetesSettingsSchema = z.strictObject({
  /** @default KUBE_CONFIG_PATH at apply time */
  configPath: z.string().optional(),
  context: z.string().optional(),
  /** Label selector value of the ingress controller's namespace. @default "ingress-nginx" */
  ingressNamespace: Name.optional(),
  /** @default "nginx" */
  ingressClassName: z.string().optional(),
  /** Pod Security Admission level of the namespace (enforce, audit, warn). @default "restricted" */
  podSecurity: z.enum(["restricted", "baseline", "privileged"]).optional(),
  /** Default-deny plus per-connection NetworkPolicies. @default true */
  networkPolicies: z.boolean().optional(),
  /** Namespace of the cluster's Prometheus, allowed to scrape the metrics ports. @default "monitoring" */
  prometheusNamespace: Name.optional(),
  /**
   * Label (`key=value`) on the rules ConfigMap, for the Prometheus sidecar that loads rule files
   * from ConfigMaps (e.g. kiwigrid k8s-sidecar: LABEL / LABEL_VALUE). @default "envkit.dev/prometheus-rules=true"
   */
  rulesLabel: z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/, { message: 'must be "key=value" with a Kubernetes label key and value, e.g. "prometheus_rule=1"' }).optional(),
  /**
   * Existing `kubernetes.io/dockerconfigjson` secrets in the namespace that every pod pulls
   * its image with (create them outside envkit: their content is a credential). @default []
   */
  imagePullSecrets: z.array(Name).max(32).optional(),
});

/** Defaults of the `kubernetes:` block (paths relative to it); composed into the one defaults table. */
export const KUBERNETES_DEFAULTS: readonly DefaultRule[] = [
  { path: "ingressNamespace", value: "ingress-nginx", doc: "namespace of the ingress controller" },
  { path: "ingressClassName", value: "nginx", doc: "ingress class" },
  { path: "podSecurity", value: "restricted", doc: "Pod Security Admission enforce/audit/warn level" },
  { path: "networkPolicies", value: true, doc: "default-deny plus one allow per declared connection" },
  { path: "prometheusNamespace", value: "monitoring", doc: "the namespace kube-prometheus and the Prometheus chart install into" },
  { path: "rulesLabel", value: "envkit.dev/prometheus-rules=true", doc: "the label a rule-loading sidecar selects ConfigMaps by" },
  { path: "imagePullSecrets", value: [], doc: "images are pulled without credentials (public registries, or the node's own)" },
];

/** Where the defaults above are defined, as `envkit explain` names it. */
export const KUBERNETES_SETTINGS_SOURCE = "lib/targets/kubernetes/options.ts";

/** The Kubernetes target's settings of an environment (`kubernetes:` in its file), defaults applied. */
export interface KubernetesOptions {
  /** Kubeconfig file. @default KUBE_CONFIG_PATH */
  readonly configPath?: string;
  /** Kubeconfig context. @default the kubeconfig's current context */
  readonly context?: string;
  /** Namespace of the ingress controller (allowed to reach public services). @default "ingress-nginx" */
  readonly ingressNamespace: string;
  /** Ingress class of public services. @default "nginx" */
  readonly ingressClassName: string;
  /** Pod Security Admission level enforced on the namespace. @default "restricted" */
  readonly podSecurity: "restricted" | "baseline" | "privileged";
  /** Default-deny network policies plus one allow per declared connection. @default true */
  readonly networkPolicies: boolean;
  /** Namespace of the Prometheus that scrapes the metrics ports. @default "monitoring" */
  readonly prometheusNamespace: string;
  /** `key=value` label of the rules ConfigMap. @default "envkit.dev/prometheus-rules=true" */
  readonly rulesLabel: string;
  /** Pull secrets (by name) every pod uses. @default [] */
  readonly imagePullSecrets: readonly string[];
}

/** The literal defaults, for a model built by hand without some of the keys. */
const FILLED: Readonly<Record<string, unknown>> = Object.fromEntries(KUBERNETES_DEFAULTS.map((d) => [d.path, d.value]));

/**
 * The Kubernetes settings of `env`: the one reader, so the model's shape is this target's
 * business. The model carries them opaquely (`targetOptions`, validated by
 * {@link KubernetesSettingsSchema} and defaulted); keys a hand-built model leaves out get the
 * documented defaults, and another target's settings are never read as Kubernetes'.
 */
export function kubernetesOptions(env: EnvironmentModel): KubernetesOptions {
  const own = env.target === KUBERNETES ? env.targetOptions : {};
  return { ...FILLED, ...own } as unknown as KubernetesOptions;
}
