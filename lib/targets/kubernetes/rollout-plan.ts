import { EnvironmentModel, ReleaseModel, ServiceModel, idleSlot } from "../../model/environment";
import { canarySplit } from "../shared/capacity";
import { SetName, releaseSets, setHost } from "../shared/proxy-sets";
import { selectorLabels } from "../shared/labels";
import { kubernetesOptions } from "./options";

/*
 * Which workloads a service's rollout strategy needs on Kubernetes, as plain data (no provider
 * classes): kubernetes-service.ts builds the resources from it, validate() explains it.
 *   rolling/recreate  one Deployment `<svc>` (the construct id "workload", as before strategies)
 *   blue-green        `<svc>-blue` and `<svc>-green`; the Service selects the live slot, `<svc>-preview` the idle one
 *   canary            `<svc>-stable` and `<svc>-canary` under the one Service (traffic by replica ratio);
 *                     exact weights at an ingress-nginx Ingress
 */

/** The label that tells a service's slots apart (blue/green, stable/canary). */
export const SLOT_LABEL = "envkit.dev/slot";

/**
 * The label of a service's other Service objects (`headless`, `preview`, `stable`, `canary`): they
 * carry its component labels too, so a selector that wants the one main Service (a
 * ServiceMonitor, which would otherwise scrape a pod once per Service) excludes this label.
 */
export const SERVICE_ROLE_LABEL = "envkit.dev/service-role";

/** The annotations of ingress-nginx's canary Ingress (exact weights). */
export const NGINX_CANARY = "nginx.ingress.kubernetes.io/canary";
export const NGINX_CANARY_WEIGHT = "nginx.ingress.kubernetes.io/canary-weight";

/** One workload of a service. */
export interface WorkloadPlan {
  /** Construct id: `workload` or `workload-<slot>`. */
  readonly id: string;
  /** Kubernetes name: `<svc>` or `<svc>-<slot>`. */
  readonly name: string;
  /** The slot label value, when the service has slots. */
  readonly slot?: SetName;
  /** The release this workload runs. */
  readonly release: ReleaseModel;
  /** Replicas as written (an autoscaled workload starts at max(minReplicas, replicas)). */
  readonly replicas: number;
  /** Whether the service's autoscaler drives this workload (the live slot, the stable). */
  readonly autoscaled: boolean;
  /** Whether the service's main Service sends traffic to it. */
  readonly takesTraffic: boolean;
}

/** The workloads, Services and Ingress routing of one service. */
export interface RolloutPlan {
  readonly workloads: readonly WorkloadPlan[];
  /** The main Service's selector (`<svc>`). */
  readonly selector: Readonly<Record<string, string>>;
  /** blue-green: the preview Service's selector (`<svc>-preview`, the idle slot). */
  readonly previewSelector?: Readonly<Record<string, string>>;
  /**
   * canary with exact weights: the stable-only Service `<svc>-stable` the main Ingress routes to,
   * and (while a canary runs) the canary-only `<svc>-canary` behind the canary Ingress.
   */
  readonly exactCanary?: { readonly stableSelector: Readonly<Record<string, string>>; readonly canarySelector?: Readonly<Record<string, string>>; readonly weight: number };
}

/**
 * Whether a public canary gets exact weights: ingress-nginx reads the canary annotations, and it
 * is the controller of the ingress class `nginx` (the default). Another class would ignore them
 * and see two Ingresses for one host.
 */
export function exactCanaryWeights(env: EnvironmentModel, svc: ServiceModel): boolean {
  return svc.public && env.domain !== undefined && svc.ports.length > 0 && kubernetesOptions(env).ingressClassName === "nginx";
}

/** The plan of one service under its rollout strategy: one workload per release set (shared/proxy-sets.ts). */
export function rolloutPlan(env: EnvironmentModel, svc: ServiceModel): RolloutPlan {
  const base = selectorLabels(env, svc);
  const r = svc.rollout;
  const slotted = (slot: string) => ({ ...base, [SLOT_LABEL]: slot });
  // The autoscaler drives the set that takes the traffic: the only one, the live slot, or the stable.
  const driven = r.strategy === "blue-green" ? r.live : r.strategy === "canary" ? "stable" : undefined;
  const workloads = releaseSets(svc).map(
    (set): WorkloadPlan => ({
      id: set.name ? `workload-${set.name}` : "workload",
      name: setHost(svc, set),
      slot: set.name,
      release: set.release,
      replicas: set.replicas,
      autoscaled: svc.autoscaling !== undefined && set.name === driven,
      takesTraffic: r.strategy !== "blue-green" || set.name === r.live,
    }),
  );
  if (r.strategy === "blue-green") return { workloads, selector: slotted(r.live), previewSelector: slotted(idleSlot(r.live)) };
  if (r.strategy !== "canary") return { workloads, selector: base };
  const exact = exactCanaryWeights(env, svc) ? { stableSelector: slotted("stable"), canarySelector: r.canary ? slotted("canary") : undefined, weight: r.weight } : undefined;
  return { workloads, selector: base, exactCanary: exact };
}

/**
 * What the canary's replica split gives, when it is not the weight asked for: 10% of 3 replicas
 * is 1 canary pod of 3, 33% of the traffic a Service balances by pod.
 */
export function canarySplitNote(env: EnvironmentModel, svc: ServiceModel): string | undefined {
  const r = svc.rollout;
  if (r.strategy !== "canary" || !r.canary || svc.kind === "stateful") return undefined;
  const split = canarySplit(svc.replicas, r.weight);
  if (split.effectiveWeight === r.weight) return undefined;
  const pods = `${r.weight}% of ${svc.replicas} replica(s) runs ${split.canary} canary pod(s) next to ${split.stable} stable: ${split.effectiveWeight}% of the traffic by replica ratio`;
  const exact = exactCanaryWeights(env, svc) ? `inside the cluster (the ingress-nginx canary Ingress gives public traffic exactly ${r.weight}%)` : "(Kubernetes Services balance by pod; only an ingress-nginx Ingress splits exactly)";
  const closer = Math.ceil(100 / gcd(r.weight, 100));
  return `${pods} ${exact}; ${closer} replicas or a multiple split exactly`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
