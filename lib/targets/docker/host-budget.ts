import { EnvironmentModel } from "../../model/environment";
import { formatCpu, formatMemory, parseCpu, parseMemory } from "../../model/quantity";
import { QUOTA_CPU, QUOTA_MEMORY } from "../../model/limits";
import { Contribution, describeContributions, peakReplicas } from "../shared/capacity";
import { containerSets, dockerProxyPlan } from "./docker-routing";
import { dockerOptions } from "./options";

/**
 * Containers a service can have at once on one Docker host. At rest: its strategy's steady count
 * (shared/capacity.ts peakReplicas, the same arithmetic as the Kubernetes quota fit). While a
 * surged set rolls, Terraform creates the successor of every container of the set before it
 * destroys any predecessor (create_before_destroy on each container; Terraform does not batch by
 * maxSurge), so each surged set counts twice. A recreated set never overlaps.
 */
export function dockerPeakContainers(svc: EnvironmentModel["services"][number]): { containers: number; why: string } {
  const { steady, why } = peakReplicas(svc);
  const surge = containerSets(svc).reduce((n, s) => n + (s.replace === "surge" ? s.replicas : 0), 0);
  return { containers: steady + surge, why: surge ? `${why}; on Docker every container of a rolling set overlaps its successor: ${steady} + ${surge}` : why };
}

/**
 * docker.hostBudget checked like the Kubernetes quota fit: the sum of container limits (what the
 * engine lets each container take) at each service's peak, plus the proxy, must fit the budget.
 * One message per exceeded dimension, with the arithmetic per service.
 */
export function hostBudgetProblems(env: EnvironmentModel): { path: string[]; message: string }[] {
  const budget = dockerOptions(env).hostBudget;
  if (!budget) return [];
  const proxy = dockerProxyPlan(env) ? dockerOptions(env).proxy : undefined;
  const dims = [
    { key: "cpu", text: budget.cpu, parse: (s: string) => parseCpu(s, QUOTA_CPU), per: (s: EnvironmentModel["services"][number]) => s.resources.cpuLimitMillis, proxy: proxy && parseCpu(proxy.cpuLimit), format: formatCpu },
    { key: "memory", text: budget.memory, parse: (s: string) => parseMemory(s, QUOTA_MEMORY), per: (s: EnvironmentModel["services"][number]) => s.resources.memoryLimitBytes, proxy: proxy && parseMemory(proxy.memoryLimit), format: formatMemory },
  ];
  const problems: { path: string[]; message: string }[] = [];
  for (const d of dims) {
    if (d.text === undefined) continue;
    const limit = d.parse(d.text);
    if (!limit.ok) continue; // reported by the schema
    let total = 0;
    const parts: Contribution[] = [];
    for (const svc of env.services) {
      const { containers, why } = dockerPeakContainers(svc);
      const each = d.per(svc);
      if (!containers || !each) continue;
      total += each * containers;
      parts.push({ amount: each * containers, text: `${svc.name} ${d.format(each)} × ${containers} (${why}) = ${d.format(each * containers)}` });
    }
    if (d.proxy && d.proxy.ok) {
      total += d.proxy.value;
      parts.push({ amount: d.proxy.value, text: `the envkit proxy ${d.format(d.proxy.value)}` });
    }
    if (total > limit.value) {
      problems.push({
        path: ["docker", "hostBudget", d.key],
        message: `the containers' ${d.key} limits add up to ${d.format(total)} at peak but the host budget is ${d.format(limit.value)}: ${describeContributions(parts, "workloads", d.format)}; raise docker.hostBudget.${d.key} to at least ${d.format(total)}, lower replicas or resources.${d.key === "cpu" ? "cpuLimit" : "memoryLimit"}, or use strategy recreate (no overlap)`,
      });
    }
  }
  return problems;
}
