/**
 * What envkit knows about the resource types it emits: which attribute changes force Terraform to
 * replace the resource (destroy + create) rather than update it in place, and which resources hold
 * data. Paths are attribute paths with list indices removed (`spec.selector.match_labels`), and a
 * rule matches the path itself or anything below it.
 */

interface TypeKnowledge {
  /** Attribute paths whose change forces replacement. `*` = every attribute except `inPlace`. */
  readonly forceNew: readonly string[];
  /** With `forceNew: ["*"]`: attributes the provider can update in place. */
  readonly inPlace?: readonly string[];
  /**
   * With `forceNew: ["*"]`: attributes Terraform plans as an in-place update that the provider
   * never applies (not ForceNew, ignored by Update): the change stays in state only, and reaches
   * the running object only when something else replaces it.
   */
  readonly notApplied?: readonly string[];
  /** Destroying or replacing it loses data. */
  readonly holdsData?: boolean;
}

const K8S_IDENTITY = ["metadata.name", "metadata.namespace"];

const KNOWLEDGE: Record<string, TypeKnowledge> = {
  // kreuzwerker/docker 3.6.2: Update sends only these six to ContainerUpdate
  // (resource_docker_container_funcs.go:881-927); `cpus` is ForceNew (resource_docker_container.go:962-967).
  // The rest that is not ForceNew is state-only: planned in place, never applied. So are `mounts.*`
  // edits that keep the number of mounts (only the block count is ForceNew, SDK #1314), but a path
  // cannot tell an edit from an added or removed mount, so `mounts` stays "replace".
  docker_container: {
    forceNew: ["*"],
    inPlace: ["restart", "max_retry_count", "cpu_shares", "cpu_set", "memory", "memory_swap"],
    notApplied: [
      "tmpfs", "healthcheck", "init", "destroy_grace_seconds", "wait", "wait_timeout", "must_run", "start", "rm", "attach", "logs",
      "remove_volumes", "container_read_refresh_timeout_milliseconds", "cpu_period", "cpu_quota",
    ],
  },
  docker_image: { forceNew: ["name", "platform", "pull_triggers", "triggers", "build"] },
  docker_volume: { forceNew: ["*"], holdsData: true },
  docker_network: { forceNew: ["*"] },
  kubernetes_namespace_v1: { forceNew: ["metadata.name"], holdsData: true },
  kubernetes_deployment_v1: { forceNew: [...K8S_IDENTITY, "spec.selector"] },
  kubernetes_stateful_set_v1: { forceNew: [...K8S_IDENTITY, "spec.selector", "spec.service_name", "spec.volume_claim_template", "spec.pod_management_policy"], holdsData: true },
  kubernetes_persistent_volume_claim_v1: { forceNew: [...K8S_IDENTITY, "spec.storage_class_name", "spec.access_modes", "spec.selector", "spec.volume_name"], holdsData: true },
  kubernetes_config_map_v1: { forceNew: [...K8S_IDENTITY] },
  kubernetes_secret_v1: { forceNew: [...K8S_IDENTITY, "type"] },
  kubernetes_service_v1: { forceNew: [...K8S_IDENTITY, "spec.cluster_ip"] },
  kubernetes_service_account_v1: { forceNew: K8S_IDENTITY },
  kubernetes_network_policy_v1: { forceNew: K8S_IDENTITY },
  kubernetes_pod_disruption_budget_v1: { forceNew: [...K8S_IDENTITY, "spec.selector"] },
  kubernetes_resource_quota_v1: { forceNew: K8S_IDENTITY },
  kubernetes_limit_range_v1: { forceNew: K8S_IDENTITY },
  kubernetes_ingress_v1: { forceNew: K8S_IDENTITY },
  kubernetes_horizontal_pod_autoscaler_v2: { forceNew: K8S_IDENTITY },
};

/** Attribute path without list indices: `spec[0].selector[0]` / `spec.0.selector` → `spec.selector`. */
export function normalizePath(p: string): string {
  return p.replace(/\[\d+\]/g, "").split(".").filter((s) => !/^\d+$/.test(s)).join(".");
}

const within = (p: string, rule: string): boolean => p === rule || p.startsWith(`${rule}.`);

/** Whether changing `attrPath` of a resource of `type` forces replacement. */
export function forcesReplacement(type: string, attrPath: string): boolean {
  const k = KNOWLEDGE[type];
  if (!k) return false;
  const p = normalizePath(attrPath);
  if (k.forceNew.includes("*")) {
    return ![...(k.inPlace ?? []), ...(k.notApplied ?? [])].some((r) => within(p, r)) && !within(p, "lifecycle") && !within(p, "depends_on") && !within(p, "timeouts");
  }
  return k.forceNew.some((r) => within(p, r));
}

/**
 * Whether Terraform plans a change of `attrPath` as an in-place update that the provider never
 * applies (e.g. a docker_container's `tmpfs` or `cpu_quota` on kreuzwerker/docker 3.6.2): the
 * running object keeps the old value until it is replaced (`terraform apply -replace=<address>`).
 */
export function notAppliedInPlace(type: string, attrPath: string): boolean {
  const p = normalizePath(attrPath);
  return (KNOWLEDGE[type]?.notApplied ?? []).some((r) => within(p, r));
}

/** Whether destroying or replacing a resource of `type` loses data. */
export function holdsData(type: string): boolean {
  return KNOWLEDGE[type]?.holdsData === true;
}

/** Whether envkit has replacement knowledge for `type` (else changes are reported as updates, flagged unknown). */
export function knowsType(type: string): boolean {
  return type in KNOWLEDGE;
}

const SENSITIVE_KEY = /(password|passwd|secret|token|api_?key|private_?key|credential|data_wo|binary_data|^content$|cert_material|key_material|ca_material)/i;

/** Whether the value at an attribute path must be masked in reports. */
export function isSensitivePath(p: string): boolean {
  return p.split(".").some((seg) => SENSITIVE_KEY.test(seg) && !/_FILE$/.test(seg));
}
