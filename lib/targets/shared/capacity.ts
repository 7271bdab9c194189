import { ServiceModel, SurgeValue, idleSlot } from "../../model/environment";

/*
 * What each delivery strategy needs at peak, in replicas of the service's pod, for every target's
 * capacity check (the Kubernetes quota fit, a Docker host budget). Pure arithmetic over the model.
 */

/** Resolves a count-or-percentage against a replica count, rounding up as Kubernetes does for surge. */
export function surgeCount(v: SurgeValue, replicas: number): number {
  if (typeof v === "number") return v;
  return Math.ceil((Number(v.slice(0, -1)) * replicas) / 100);
}

/** The replicas a service runs at rest: its replicas, or its autoscaler's maximum when higher. */
export function restingReplicas(svc: ServiceModel): number {
  return svc.autoscaling ? Math.max(svc.autoscaling.maxReplicas, svc.replicas) : svc.replicas;
}

/** How a canary's replicas split between stable and canary, and the traffic share that gives. */
export interface CanarySplit {
  readonly stable: number;
  readonly canary: number;
  /** The canary's share of the replicas, in percent (rounded): its traffic share by replica ratio. */
  readonly effectiveWeight: number;
}

/**
 * Splits `replicas` by a canary weight: the canary gets `weight`% of them, rounded, and at least
 * one pod while the weight is above 0; the stable keeps the rest, at least one pod while the weight
 * is below 100. So 10% of 3 replicas is 1 canary + 2 stable (33%), and of 1 replica 1 + 1 (50%).
 */
export function canarySplit(replicas: number, weight: number): CanarySplit {
  if (replicas === 0) return { stable: 0, canary: 0, effectiveWeight: weight };
  let canary = Math.round((replicas * weight) / 100);
  if (weight > 0) canary = Math.max(1, canary);
  if (weight < 100) canary = Math.min(canary, Math.max(replicas - 1, 1));
  const stable = weight === 100 ? 0 : Math.max(1, replicas - canary);
  return { stable, canary, effectiveWeight: Math.round((100 * canary) / (stable + canary)) };
}

/**
 * What a service needs at peak: `steady` replicas at rest under its strategy and `extra` while a
 * workload rolls, with `why` showing the arithmetic. An autoscaler's maximum counts as the
 * replicas it may reach (of the live slot, or of the stable workload). StatefulSets replace pods
 * one at a time without surge.
 */
export function peakReplicas(svc: ServiceModel): { steady: number; extra: number; why: string } {
  const r = svc.rollout;
  const replicas = restingReplicas(svc);
  const hpa = svc.autoscaling && svc.autoscaling.maxReplicas > svc.replicas ? " (autoscaler maximum)" : "";
  switch (r.strategy) {
    case "recreate":
      return { steady: replicas, extra: 0, why: `recreate: ${replicas} replicas${hpa}, the old ones stop first` };
    case "rolling": {
      const extra = svc.kind === "stateful" ? 0 : surgeCount(r.maxSurge, replicas);
      const how = svc.kind === "stateful" ? "one pod at a time, no surge" : `maxSurge ${r.maxSurge}`;
      return { steady: replicas, extra, why: `rolling: ${replicas} replicas${hpa} + ${extra} surge (${how})` };
    }
    case "blue-green": {
      const idle = r.idleReplicas;
      const extra = surgeCount(r.maxSurge, Math.max(replicas, idle));
      return {
        steady: replicas + idle,
        extra,
        why: `blue-green: ${replicas} live (${r.live})${hpa} + ${idle} idle (${idleSlot(r.live)}) + ${extra} surge of the slot being rolled (maxSurge ${r.maxSurge})`,
      };
    }
    case "canary": {
      const split = r.canary ? canarySplit(svc.replicas, r.weight) : { stable: svc.replicas, canary: 0 };
      const stable = svc.autoscaling ? Math.max(split.stable, svc.autoscaling.maxReplicas) : split.stable;
      const extra = surgeCount(r.maxSurge, Math.max(stable, split.canary));
      const stableHpa = svc.autoscaling && stable > split.stable ? " (autoscaler maximum)" : "";
      return {
        steady: stable + split.canary,
        extra,
        why: `canary ${r.canary ? `${r.weight}%` : "(none in flight)"}: ${stable} stable${stableHpa} + ${split.canary} canary + ${extra} surge of the workload being rolled (maxSurge ${r.maxSurge})`,
      };
    }
  }
}

/** One service's share of a summed budget, and how a message shows it. */
export interface Contribution {
  readonly amount: number;
  readonly text: string;
}

/** How many contributions a budget message lists before it summarizes the rest. */
export const LISTED_CONTRIBUTIONS = 5;

/**
 * The arithmetic of a budget message: every contribution while there are at most
 * {@link LISTED_CONTRIBUTIONS}; otherwise the largest ones (ties in declaration order) and the count
 * and sum of the rest, so a 1,000-service environment gets a readable line, not 1,000 terms.
 */
export function describeContributions(parts: readonly Contribution[], noun: string, format: (n: number) => string): string {
  if (parts.length <= LISTED_CONTRIBUTIONS) return parts.map((p) => p.text).join("; ");
  const order = parts.map((p, i) => ({ p, i })).sort((a, b) => b.p.amount - a.p.amount || a.i - b.i);
  const listed = order.slice(0, LISTED_CONTRIBUTIONS).map((x) => x.p.text);
  const rest = order.slice(LISTED_CONTRIBUTIONS);
  const restSum = rest.reduce((a, x) => a + x.p.amount, 0);
  return `the ${LISTED_CONTRIBUTIONS} largest of ${parts.length} ${noun}: ${listed.join("; ")}; and ${rest.length} more ${noun} with ${format(restSum)} together`;
}
