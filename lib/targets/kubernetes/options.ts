import { EnvironmentModel } from "../../model/environment";

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
}

/** The Kubernetes settings of `env`: the one reader, so the model's shape is this target's business. */
export function kubernetesOptions(env: EnvironmentModel): KubernetesOptions {
  return env.kubernetes;
}
