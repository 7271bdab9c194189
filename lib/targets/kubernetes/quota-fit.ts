import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { formatCpu, formatMemory } from "../../model/quantity";
import { Contribution, describeContributions, peakReplicas } from "../shared/capacity";

interface Dimension {
  readonly quotaKey: string;
  readonly label: string;
  readonly limit: number | undefined;
  readonly perPod: (s: ServiceModel) => number;
  readonly perWorkload?: (s: ServiceModel, pods: number) => number;
  /**
   * What a service's backup claim adds (kubernetes-backup.ts), for the claim dimensions. For the
   * others a backup adds its Job's pod, which requests what one of the service's pods does (perPod).
   */
  readonly perBackupClaim?: (s: ServiceModel) => number;
  readonly format: (n: number) => string;
}

/**
 * The synth-time fit check: the sum over workloads of requests × the pods their rollout strategy
 * needs at peak (targets/shared/capacity.ts), plus each backup's Job pod (running next to the
 * service) and its claim, must fit the namespace quota. Returns one message per exceeded
 * dimension, showing each service's strategy arithmetic.
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
    { quotaKey: "persistentVolumeClaims", label: "persistentvolumeclaims", limit: q.persistentVolumeClaims, perPod: (s) => s.volumes.length, perBackupClaim: (s) => (s.backup?.to.kind === "volume" ? 1 : 0), format: String },
    { quotaKey: "storage", label: "requests.storage", limit: q.storageBytes, perPod: (s) => s.volumes.reduce((a, v) => a + v.sizeBytes, 0), perBackupClaim: (s) => (s.backup?.to.kind === "volume" ? s.backup.to.sizeBytes : 0), format: formatMemory },
  ];
  const problems: { path: string[]; message: string }[] = [];
  for (const d of dims) {
    if (d.limit === undefined) continue;
    let total = 0;
    const parts: Contribution[] = [];
    for (const svc of env.services) {
      const { steady, extra, why } = peakReplicas(svc);
      const per = d.perPod(svc);
      if (per === 0) continue;
      const pods = steady + extra;
      total += per * pods;
      parts.push({ amount: per * pods, text: `${svc.name} ${d.format(per)} × ${pods} pods [${why}] = ${d.format(per * pods)}` });
    }
    for (const svc of env.services) {
      if (!svc.backup) continue;
      const per = d.perBackupClaim ? d.perBackupClaim(svc) : d.perPod(svc);
      if (per === 0) continue;
      total += per;
      parts.push({ amount: per, text: `${svc.name}'s backup ${d.format(per)} [${d.perBackupClaim ? "its claim" : "its job's pod"}]` });
    }
    if (total > d.limit) {
      problems.push({
        path: ["quota", d.quotaKey],
        message: `the workloads need ${d.label} ${d.format(total)} at peak but the quota allows ${d.format(d.limit)}: ${describeContributions(parts, "workloads", d.format)}; raise quota.${d.quotaKey} to at least ${d.format(total)} or lower replicas/resources`,
      });
    }
  }
  return problems;
}
