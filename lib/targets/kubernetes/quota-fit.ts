import { EnvironmentModel, ServiceModel, SurgeValue } from "../../model/environment";
import { formatCpu, formatMemory } from "../../model/quantity";

/** How many pods a workload can run at once: replicas (or HPA max) plus the rolling-update surge. */
export function peakPods(env: EnvironmentModel, svc: ServiceModel): { replicas: number; surge: number } {
  const replicas = svc.autoscaling ? Math.max(svc.autoscaling.maxReplicas, svc.replicas) : svc.replicas;
  // StatefulSets replace pods one by one without surge; Deployments surge.
  // No surge where two at once are ruled out (stateful, singleton: Recreate) or nothing rolls (jobs).
  const surge = svc.kind !== "stateless" || svc.singleton ? 0 : surgeCount(env.rollout.maxSurge, replicas);
  return { replicas, surge };
}

/** Resolves a count-or-percentage against a replica count, rounding up as Kubernetes does for surge. */
export function surgeCount(v: SurgeValue, replicas: number): number {
  if (typeof v === "number") return v;
  return Math.ceil((Number(v.slice(0, -1)) * replicas) / 100);
}

interface Dimension {
  readonly quotaKey: string;
  readonly label: string;
  readonly limit: number | undefined;
  readonly perPod: (s: ServiceModel) => number;
  readonly perWorkload?: (s: ServiceModel, pods: number) => number;
  readonly format: (n: number) => string;
}

/**
 * The synth-time fit check: the sum over workloads of requests × (replicas + surge) must fit the
 * namespace quota. Returns one message per exceeded dimension, showing the arithmetic per service.
 */
export function quotaFitProblems(env: EnvironmentModel): { path: string[]; message: string }[] {
  const q = env.quota;
  if (!q) return [];
  const dims: Dimension[] = [
    { quotaKey: "cpu", label: "requests.cpu", limit: q.cpuMillis, perPod: (s) => s.resources.cpuMillis, format: formatCpu },
    { quotaKey: "memory", label: "requests.memory", limit: q.memoryBytes, perPod: (s) => s.resources.memoryBytes, format: formatMemory },
    { quotaKey: "cpuLimit", label: "limits.cpu", limit: q.cpuLimitMillis, perPod: (s) => s.resources.cpuLimitMillis, format: formatCpu },
    { quotaKey: "memoryLimit", label: "limits.memory", limit: q.memoryLimitBytes, perPod: (s) => s.resources.memoryLimitBytes, format: formatMemory },
    { quotaKey: "pods", label: "pods", limit: q.pods, perPod: () => 1, format: String },
    { quotaKey: "persistentVolumeClaims", label: "persistentvolumeclaims", limit: q.persistentVolumeClaims, perPod: (s) => s.volumes.length, format: String },
    { quotaKey: "storage", label: "requests.storage", limit: q.storageBytes, perPod: (s) => s.volumes.reduce((a, v) => a + v.sizeBytes, 0), format: formatMemory },
  ];
  const problems: { path: string[]; message: string }[] = [];
  for (const d of dims) {
    if (d.limit === undefined) continue;
    let total = 0;
    const parts: string[] = [];
    for (const svc of env.services) {
      const { replicas, surge } = peakPods(env, svc);
      const per = d.perPod(svc);
      if (per === 0) continue;
      const pods = replicas + surge;
      total += per * pods;
      parts.push(`${svc.name} ${d.format(per)} × (${replicas} replicas + ${surge} surge) = ${d.format(per * pods)}`);
    }
    if (total > d.limit) {
      problems.push({
        path: ["quota", d.quotaKey],
        message: `the workloads need ${d.label} ${d.format(total)} at peak but the quota allows ${d.format(d.limit)}: ${parts.join("; ")}; raise quota.${d.quotaKey} to at least ${d.format(total)} or lower replicas/resources`,
      });
    }
  }
  return problems;
}
