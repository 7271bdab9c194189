import { LABEL } from "../shared/labels";
import { StackJson, StackView, WorkloadView, resources } from "../inspect";

type Json = Record<string, unknown>;
const first = (v: unknown): Json => ((Array.isArray(v) ? v[0] : v) as Json | undefined) ?? {};

/** Builds the guardrail view of a synthesized Kubernetes stack. */
export function inspectKubernetesStack(json: StackJson): StackView {
  // A set: every workload asks, and a list scan per workload was quadratic at 1,000 services.
  const pdbSelectors = new Set(resources(json, "kubernetes_pod_disruption_budget_v1").map(([, , r]) => JSON.stringify(first(first(r.spec).selector).match_labels ?? {})));
  const workloads: WorkloadView[] = [];
  const jobs = new Set(["kubernetes_job_v1", "kubernetes_cron_job_v1"]);
  const kinds = ["kubernetes_deployment_v1", "kubernetes_stateful_set_v1", "kubernetes_job_v1", "kubernetes_cron_job_v1"];
  for (const [type, id, r] of kinds.flatMap((k) => resources(json, k))) {
    const outer = first(r.spec);
    // A CronJob's pod template is one level down, in its job template.
    const spec = type === "kubernetes_cron_job_v1" ? first(first(outer.job_template).spec) : outer;
    const tpl = first(spec.template);
    const podSpec = first(tpl.spec);
    const podSec = first(podSpec.security_context);
    const labels = (first(tpl.metadata).labels as Record<string, string> | undefined) ?? {};
    const replicas = Number(spec.replicas ?? 1);
    const done = jobs.has(type);
    const selector = JSON.stringify(first(spec.selector).match_labels ?? {});
    const hostMounts = ((podSpec.volume as Json[] | undefined) ?? []).filter((v) => v.host_path !== undefined).map((v) => String(first(v.host_path).path));
    // Init containers run with the pod's privileges too: each is judged like a container.
    const containers = [...((podSpec.container as Json[] | undefined) ?? []).map((c) => ({ c, init: false })), ...((podSpec.init_container as Json[] | undefined) ?? []).map((c) => ({ c, init: true }))];
    for (const { c, init } of containers) {
      const sec = first(c.security_context);
      const res = first(c.resources);
      const limits = (res.limits as Json | undefined) ?? {};
      const requests = (res.requests as Json | undefined) ?? {};
      const seccomp = first(sec.seccomp_profile).type ?? first(podSec.seccomp_profile).type;
      workloads.push({
        resource: `${type}.${id}`,
        service: labels[LABEL.name],
        image: c.image as string | undefined,
        replicas,
        runAsNonRoot: (sec.run_as_non_root ?? podSec.run_as_non_root) === true,
        user: String(sec.run_as_user ?? podSec.run_as_user ?? ""),
        privileged: sec.privileged === true,
        allowPrivilegeEscalation: sec.allow_privilege_escalation !== false,
        dropsAllCapabilities: (((first(sec.capabilities).drop as string[] | undefined) ?? []).map((s) => s.toUpperCase())).includes("ALL"),
        readOnlyRootFilesystem: sec.read_only_root_filesystem === true,
        seccompConfined: seccomp === "RuntimeDefault" || seccomp === "Localhost",
        hasHealthCheck: c.readiness_probe !== undefined && c.liveness_probe !== undefined,
        hasLimits: limits.cpu !== undefined && limits.memory !== undefined,
        hasRequests: requests.cpu !== undefined && requests.memory !== undefined,
        hostNamespaces: [...(podSpec.host_network === true ? ["network"] : []), ...(podSpec.host_pid === true ? ["pid"] : []), ...(podSpec.host_ipc === true ? ["ipc"] : [])],
        hostMounts,
        publishedPorts: ((c.port as Json[] | undefined) ?? []).filter((p) => p.host_port !== undefined).map((p) => `0.0.0.0:${p.host_port}`),
        hasDisruptionBudget: done ? undefined : pdbSelectors.has(selector),
        ...((done || init) && { runsToCompletion: true }),
      });
    }
  }
  const policies = resources(json, "kubernetes_network_policy_v1").map(([, , r]) => first(r.spec));
  const defaultDeny = policies.some((p) => {
    const sel = first(p.pod_selector);
    const types = (p.policy_types as string[] | undefined) ?? [];
    return Object.keys(sel).length === 0 && types.includes("Ingress") && types.includes("Egress") && !p.ingress && !p.egress;
  });
  // `data` keeps values in plan and state: a variable's value there is exposed; a literal is the secret itself in the JSON.
  const withData = resources(json, "kubernetes_secret_v1").filter(([, , r]) => r.data !== undefined || r.binary_data !== undefined);
  const literal = (r: Json): boolean => Object.values({ ...((r.data as Json) ?? {}), ...((r.binary_data as Json) ?? {}) }).some((v) => typeof v !== "string" || !v.startsWith("${"));
  const message = "stores secret values through `data`, which Terraform keeps in plan and state; use data_wo with an ephemeral variable";
  const secretLeaks = withData.filter(([, , r]) => literal(r)).map(([type, id]) => ({ resource: `${type}.${id}`, message: `${message} (and this one is a literal, so it is in the synthesized JSON too)` }));
  const stateExposures = withData.filter(([, , r]) => !literal(r)).map(([type, id]) => ({ resource: `${type}.${id}`, message }));
  return {
    workloads,
    namespace: { quota: resources(json, "kubernetes_resource_quota_v1").length > 0, limitRange: resources(json, "kubernetes_limit_range_v1").length > 0, defaultDeny },
    secretLeaks,
    stateExposures,
  };
}
