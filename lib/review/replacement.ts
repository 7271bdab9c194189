/**
 * envkit's knowledge of the resource types it emits, ONE table per type, taken from the provider
 * schemas at the pinned versions (kreuzwerker/docker 3.6.2, hashicorp/kubernetes 2.38.0; checked
 * against __tests__/fixtures/provider-schema/*.json by __tests__/review/truth-provider-table.test.ts):
 * which attribute changes force a replacement, which are applied in place, which are planned in
 * place but never applied, whether the resource holds data, and what a replacement really does.
 *
 * Paths are schema paths: list indices and element keys removed (`spec.selector.match_labels`);
 * a rule matches the path itself or anything below it, and the longest matching rule decides.
 */

/** What one resource type does on change. */
export interface TypeRules {
  /** Where the rules come from (provider, version, schema file). */
  readonly source: string;
  /** The provider has no Update: every argument change replaces the resource. */
  readonly noUpdate?: boolean;
  /** Schema paths marked ForceNew. */
  readonly forceNew: readonly string[];
  /**
   * ForceNew blocks whose ForceNew covers only the element count (plugin-SDK v2 copies a block's
   * ForceNew to `x.#` alone, schema.go:1392-1440, hashicorp/terraform-plugin-sdk#1314): adding or
   * removing an element replaces; editing one is decided by the nested attribute's own rule.
   */
  readonly countOnly?: readonly string[];
  /** Not ForceNew and sent by the provider's Update. Anything else not listed is in place too (for types with an Update). */
  readonly inPlace?: readonly string[];
  /**
   * Not ForceNew and ignored by Update: planned as an in-place update, never applied; the running
   * object keeps the old value (and the next plan shows the same change again) until replaced.
   */
  readonly notApplied?: readonly string[];
  /** Provider CustomizeDiff: these force replacement when the object is immutable (envkit always sets `immutable = true`). */
  readonly forceNewWhenImmutable?: readonly string[];
  /** Destroying it loses data. */
  readonly holdsData: boolean;
  /** What a replacement really does, said to the reviewer. */
  readonly onReplace: string;
  /** What a `notApplied` change really does (default: a generic sentence). */
  readonly onNotApplied?: string;
}

const K8S = "hashicorp/kubernetes 2.38.0";
const DOCKER = "kreuzwerker/docker 3.6.2";
const K8S_IDENTITY = ["metadata.name", "metadata.namespace", "metadata.generate_name"];
const TEMPLATE_IDENTITY = ["spec.template.metadata.name", "spec.template.metadata.namespace", "spec.template.metadata.generate_name"];
/** ForceNew paths of a job spec at `p` (schema_job_spec.go jobSpecFields): the same in Jobs and cron jobs' templates. */
const jobSpecForceNew = (p: string): string[] => [
  `${p}.backoff_limit_per_index`, `${p}.completions`, `${p}.completion_mode`, `${p}.pod_failure_policy`, ...SELECTOR(`${p}.selector`),
  `${p}.template`, `${p}.template.metadata.name`, `${p}.template.metadata.generate_name`, `${p}.template.spec`,
];
const SELECTOR = (p: string): string[] => [p, `${p}.match_expressions`, `${p}.match_expressions.key`, `${p}.match_expressions.operator`, `${p}.match_expressions.values`, `${p}.match_labels`];
const VCT = "spec.volume_claim_template";

/** The table: one entry per resource type envkit emits. */
export const RULES: Readonly<Record<string, TypeRules>> = {
  // resource_docker_container.go; Update sends only restart/max_retry_count/cpu_shares/cpu_set/
  // memory/memory_swap to ContainerUpdate (resource_docker_container_funcs.go:881-927).
  docker_container: {
    source: `${DOCKER} internal/provider/resource_docker_container.go`,
    forceNew: [
      "name", "read_only", "image", "hostname", "domainname", "command", "entrypoint", "user", "dns", "dns_opts", "dns_search", "publish_all_ports", "working_dir",
      "capabilities", "capabilities.add", "capabilities.drop", "security_opts", "runtime", "stop_signal", "stop_timeout",
      "mounts", "mounts.volume_options.labels.label", "mounts.volume_options.labels.value", "mounts.volume_options.subpath", "mounts.tmpfs_options",
      "volumes", "volumes.from_container", "volumes.container_path", "volumes.host_path", "volumes.volume_name", "volumes.read_only",
      "ports", "ports.internal", "ports.external", "ports.ip", "ports.protocol", "host", "host.ip", "host.host", "ulimit", "ulimit.name", "ulimit.soft", "ulimit.hard",
      "env", "privileged", "devices", "devices.host_path", "devices.container_path", "devices.permissions", "labels", "labels.label", "labels.value", "shm_size",
      "log_driver", "log_opts", "network_mode", "networks_advanced", "networks_advanced.name", "networks_advanced.aliases", "networks_advanced.ipv4_address", "networks_advanced.ipv6_address",
      "pid_mode", "userns_mode", "upload", "upload.content", "upload.content_base64", "upload.file", "upload.executable", "upload.permissions", "upload.source", "upload.source_hash",
      "sysctls", "ipc_mode", "group_add", "tty", "stdin_open", "storage_opts", "gpus", "cpus", "cgroupns_mode", "cgroup_parent",
    ],
    countOnly: ["capabilities", "mounts", "mounts.tmpfs_options", "volumes", "ports", "host", "ulimit", "devices", "labels", "networks_advanced", "upload"],
    inPlace: ["restart", "max_retry_count", "cpu_shares", "cpu_set", "memory", "memory_swap"],
    notApplied: [
      "rm", "start", "wait", "wait_timeout", "attach", "logs", "must_run", "remove_volumes", "tmpfs", "destroy_grace_seconds", "healthcheck",
      "container_read_refresh_timeout_milliseconds", "init", "cpu_period", "cpu_quota",
      // Edits of an existing mount (same number of mounts): not ForceNew, and Update ignores mounts.
      "mounts.target", "mounts.source", "mounts.type", "mounts.read_only", "mounts.bind_options", "mounts.volume_options", "mounts.tmpfs_options.size_bytes", "mounts.tmpfs_options.mode",
    ],
    holdsData: false,
    onReplace: "the container is stopped (stop signal, SIGKILL after destroy_grace_seconds), removed and created again: this replica is down meanwhile",
  },
  // resource_docker_image.go; Update only re-pulls (resource_docker_image_funcs.go:116-127).
  docker_image: {
    source: `${DOCKER} internal/provider/resource_docker_image.go`,
    // The `build` block itself is not ForceNew (76-83); most of its attributes are (84-417).
    forceNew: ["name", "pull_triggers", "triggers", "platform", ...[
      "dockerfile", "secrets.id", "secrets.src", "secrets.env", "suppress_output", "remote_context", "no_cache", "force_remove", "pull_parent", "isolation", "cpu_set_cpus", "cpu_set_mems", "cpu_shares", "cpu_quota", "cpu_period", "memory", "memory_swap", "cgroup_parent", "network_mode", "shm_size", "ulimit.name", "ulimit.hard", "ulimit.soft", "build_args", "context", "labels", "squash", "cache_from", "security_opt", "extra_hosts", "target", "session_id", "platform", "version", "build_id", "builder", "build_log_file"
    ].map((a) => `build.${a}`)],
    inPlace: ["keep_locally", "force_remove", "build.tag", "build.remove", "build.label", "build.ulimit", "build.auth_config"],
    holdsData: false,
    onReplace: "the image is pulled again (containers that use its image_id are replaced with it)",
  },
  // No UpdateContext (resource_docker_volume.go:26-28).
  docker_volume: {
    source: `${DOCKER} internal/provider/resource_docker_volume.go`,
    noUpdate: true,
    forceNew: ["name", "labels", "labels.label", "labels.value", "driver", "driver_opts"],
    countOnly: ["labels"],
    holdsData: true,
    onReplace: "the volume is deleted with its files and created empty",
  },
  // No UpdateContext (resource_docker_network.go:16-20).
  docker_network: {
    source: `${DOCKER} internal/provider/resource_docker_network.go`,
    noUpdate: true,
    forceNew: [
      "name", "labels", "labels.label", "labels.value", "check_duplicate", "driver", "options", "internal", "attachable", "ingress", "ipv6", "ipam_driver", "ipam_options",
      "ipam_config", "ipam_config.subnet", "ipam_config.ip_range", "ipam_config.gateway", "ipam_config.aux_address",
    ],
    countOnly: ["labels", "ipam_config"],
    holdsData: false,
    onReplace: "the network is removed and created again: its containers lose it until they are reconnected (replaced)",
  },
  // Update sends the whole spec to ServiceUpdate (resource_docker_service_funcs.go:164-217): a
  // rolling update of the tasks. ForceNew per resource_docker_service.go (labels via labelSchema,
  // helpers.go: a label change replaces the service).
  docker_service: {
    source: `${DOCKER} internal/provider/resource_docker_service.go`,
    forceNew: [
      "auth", "auth.server_address", "auth.username", "auth.password", "name", "labels.label", "labels.value",
      "task_spec.container_spec.labels.label", "task_spec.container_spec.labels.value",
      "task_spec.container_spec.mounts.volume_options.labels.label", "task_spec.container_spec.mounts.volume_options.labels.value",
      "task_spec.container_spec.hosts", "task_spec.container_spec.hosts.ip", "task_spec.container_spec.hosts.host", "task_spec.container_spec.sysctl",
      "task_spec.networks_advanced.name", "task_spec.networks_advanced.aliases", "task_spec.networks_advanced.driver_opts", "mode",
    ],
    countOnly: ["auth", "task_spec.container_spec.hosts", "mode"],
    holdsData: false,
    onReplace: "the service is removed and created again: every task stops at once (an outage, no rolling update); named volumes stay on their nodes",
  },
  // No UpdateContext (resource_docker_secret.go:14-46); envkit sets create_before_destroy.
  docker_secret: {
    source: `${DOCKER} internal/provider/resource_docker_secret.go`,
    noUpdate: true,
    forceNew: ["name", "data", "labels", "labels.label", "labels.value"],
    countOnly: ["labels"],
    holdsData: false,
    onReplace: "a new secret is created, the services using it roll onto it, then the old one is removed (create_before_destroy; the same name cannot exist twice, so a new value needs a new revision)",
  },
  // No UpdateContext (resource_docker_config.go:14-41).
  docker_config: {
    source: `${DOCKER} internal/provider/resource_docker_config.go`,
    noUpdate: true,
    forceNew: ["name", "data"],
    holdsData: false,
    onReplace: "the config is removed and created again; services that use it are updated to the new one",
  },
  kubernetes_namespace_v1: {
    source: `${K8S} kubernetes/resource_kubernetes_namespace_v1.go`,
    forceNew: ["metadata.name", "metadata.generate_name"],
    holdsData: true,
    onReplace: "the namespace is deleted with everything in it (claims and their volumes included) and created empty",
  },
  kubernetes_deployment_v1: {
    source: `${K8S} kubernetes/resource_kubernetes_deployment_v1.go`,
    forceNew: [...K8S_IDENTITY, ...SELECTOR("spec.selector"), ...TEMPLATE_IDENTITY],
    holdsData: false,
    onReplace: "the deployment and all its pods are deleted, then created again: the service is down meanwhile",
  },
  kubernetes_stateful_set_v1: {
    source: `${K8S} kubernetes/schema_stateful_set_spec.go`,
    forceNew: [
      ...K8S_IDENTITY, "spec.pod_management_policy", "spec.revision_history_limit", ...SELECTOR("spec.selector"), "spec.service_name", ...TEMPLATE_IDENTITY,
      VCT, `${VCT}.metadata.name`, `${VCT}.metadata.namespace`, `${VCT}.metadata.generate_name`, `${VCT}.spec.access_modes`, `${VCT}.spec.resources.limits`,
      `${VCT}.spec.selector`, `${VCT}.spec.volume_name`, `${VCT}.spec.storage_class_name`, `${VCT}.spec.volume_mode`,
    ],
    countOnly: [VCT],
    // patchStatefulSetSpec never sends volumeClaimTemplates (structures_stateful_set.go:245-310).
    notApplied: [VCT],
    // Claims are retained on delete (persistent_volume_claim_retention_policy defaults to Retain,
    // schema_stateful_set_spec.go:107-135; envkit sets Retain): not data loss.
    holdsData: false,
    onReplace: "the stateful set and its pods are deleted, then created again (the service restarts, down meanwhile); the claims are retained and the new pods re-bind them as they are (old size, old storage class)",
    onNotApplied:
      "the provider never sends volume_claim_template to the cluster (structures_stateful_set.go:245-310; hashicorp/terraform-provider-kubernetes#2049): nothing changes, the existing claims keep their size, and every later plan shows this update again. To resize, grow each claim (`kubectl edit pvc <claim>-<set>-<n>`, if its storage class allows expansion)",
  },
  kubernetes_persistent_volume_claim_v1: {
    source: `${K8S} kubernetes/schema_persistent_volume_claim.go`,
    forceNew: [...K8S_IDENTITY, "spec.access_modes", "spec.resources.limits", "spec.selector", "spec.volume_name", "spec.storage_class_name", "spec.volume_mode"],
    holdsData: true,
    onReplace: "the claim is deleted (and its volume, with a Delete reclaim policy) and created empty",
  },
  kubernetes_config_map_v1: {
    source: `${K8S} kubernetes/resource_kubernetes_config_map_v1.go`,
    forceNew: K8S_IDENTITY,
    forceNewWhenImmutable: ["data", "binary_data", "immutable"],
    holdsData: false,
    onReplace: "the config map is deleted and created again",
  },
  kubernetes_secret_v1: {
    source: `${K8S} kubernetes/resource_kubernetes_secret_v1.go`,
    forceNew: [...K8S_IDENTITY, "type"],
    forceNewWhenImmutable: ["data", "binary_data", "immutable"],
    holdsData: false,
    onReplace: "the secret is deleted and created again from the Terraform variables",
  },
  kubernetes_service_v1: {
    source: `${K8S} kubernetes/resource_kubernetes_service_v1.go`,
    forceNew: [...K8S_IDENTITY, "spec.cluster_ip", "spec.cluster_ips", "spec.load_balancer_class", "spec.health_check_node_port"],
    holdsData: false,
    onReplace: "the service is deleted and created again (a new cluster IP): connections through it fail meanwhile",
  },
  kubernetes_service_account_v1: { source: `${K8S} kubernetes/resource_kubernetes_service_account_v1.go`, forceNew: K8S_IDENTITY, holdsData: false, onReplace: "the service account is deleted and created again" },
  kubernetes_network_policy_v1: { source: `${K8S} kubernetes/resource_kubernetes_network_policy_v1.go`, forceNew: K8S_IDENTITY, holdsData: false, onReplace: "the policy is deleted and created again: traffic it allowed is denied meanwhile" },
  kubernetes_pod_disruption_budget_v1: {
    source: `${K8S} kubernetes/resource_kubernetes_pod_disruption_budget_v1.go`,
    forceNew: [...K8S_IDENTITY, "spec", "spec.max_unavailable", "spec.min_available", "spec.selector"],
    holdsData: false,
    onReplace: "the disruption budget is deleted and created again",
  },
  kubernetes_resource_quota_v1: { source: `${K8S} kubernetes/resource_kubernetes_resource_quota_v1.go`, forceNew: [...K8S_IDENTITY, "spec.scopes"], holdsData: false, onReplace: "the quota is deleted and created again" },
  kubernetes_limit_range_v1: { source: `${K8S} kubernetes/resource_kubernetes_limit_range_v1.go`, forceNew: K8S_IDENTITY, holdsData: false, onReplace: "the limit range is deleted and created again" },
  kubernetes_ingress_v1: { source: `${K8S} kubernetes/resource_kubernetes_ingress_v1.go`, forceNew: K8S_IDENTITY, holdsData: false, onReplace: "the ingress is deleted and created again: the site is unreachable meanwhile" },
  // A Job's pod template is immutable (jobSpecFields(false)): a new release replaces the Job, which
  // then runs again; so does any change of the template's pod spec.
  kubernetes_job_v1: {
    source: `${K8S} kubernetes/schema_job_spec.go`,
    forceNew: [...K8S_IDENTITY, ...jobSpecForceNew("spec")],
    countOnly: ["spec.pod_failure_policy", "spec.template"],
    holdsData: false,
    onReplace: "the job is deleted and created again, so it runs again (a migration is applied again; apply waits for it to complete before its dependants)",
  },
  kubernetes_cron_job_v1: {
    source: `${K8S} kubernetes/schema_cron_job_spec_v1.go`,
    forceNew: [...K8S_IDENTITY, "spec.job_template.metadata.name", "spec.job_template.metadata.namespace", "spec.job_template.metadata.generate_name", ...jobSpecForceNew("spec.job_template.spec")],
    countOnly: ["spec.job_template.spec.pod_failure_policy", "spec.job_template.spec.template", "spec.job_template.spec.template.spec"],
    holdsData: false,
    onReplace: "the cron job is deleted and created again (its history of finished jobs goes with it); the schedule continues",
  },
  kubernetes_horizontal_pod_autoscaler_v2: { source: `${K8S} kubernetes/resource_kubernetes_horizontal_pod_autoscaler_v2.go`, forceNew: K8S_IDENTITY, holdsData: false, onReplace: "the autoscaler is deleted and created again" },
};

/** Terraform meta-arguments: never a provider attribute, never a replacement by themselves. */
const META = ["lifecycle", "depends_on", "timeouts", "provider", "count", "for_each", "provisioner", "connection"];

/** Attribute path without list indices: `spec[0].selector[0]` / `spec.0.selector` → `spec.selector`. */
export function normalizePath(p: string): string {
  return p
    .replace(/\[[^\]]*\]/g, "")
    .split(".")
    .filter((s) => !/^\d+$/.test(s))
    .join(".");
}

const within = (p: string, rule: string): boolean => p === rule || p.startsWith(`${rule}.`);

function longest(p: string, rules: readonly string[] | undefined): string | undefined {
  let best: string | undefined;
  for (const r of rules ?? []) if (within(p, r) && (!best || r.length > best.length)) best = r;
  return best;
}

/** How Terraform treats a change of one attribute. */
export type ChangeKind = "replace" | "in-place" | "not-applied";

/**
 * How a change of `schemaPath` plans. `countChanged`: whether the enclosing block gained or lost
 * elements (unknown = assume it did, the safe side).
 */
export function classify(type: string, schemaPath: string, countChanged = true): ChangeKind {
  const k = RULES[type];
  const p = normalizePath(schemaPath);
  if (!k || META.some((m) => within(p, m))) return "in-place";
  if (k.noUpdate) return "replace";
  const fn = longest(p, k.forceNew);
  if (fn && (!(k.countOnly ?? []).includes(fn) || countChanged)) return "replace";
  if (longest(p, k.forceNewWhenImmutable)) return "replace";
  return longest(p, k.notApplied) ? "not-applied" : "in-place";
}

/** Whether changing `attrPath` of a resource of `type` forces replacement (block counts assumed to change). */
export function forcesReplacement(type: string, attrPath: string): boolean {
  return classify(type, attrPath) === "replace";
}

/**
 * Whether Terraform plans a change of `attrPath` as an in-place update that the provider never
 * applies (e.g. a docker_container's `tmpfs` or `cpu_quota` on kreuzwerker/docker 3.6.2): the
 * running object keeps the old value until it is replaced (`terraform apply -replace=<address>`).
 */
export function notAppliedInPlace(type: string, attrPath: string): boolean {
  return classify(type, attrPath, false) === "not-applied";
}

/** Whether destroying or replacing a resource of `type` loses data. */
export function holdsData(type: string): boolean {
  return RULES[type]?.holdsData === true;
}

/** Whether envkit has replacement knowledge for `type` (else changes are reported as updates, flagged unknown). */
export function knowsType(type: string): boolean {
  return Object.hasOwn(RULES, type);
}

const SENSITIVE_KEY = /(password|passwd|secret|token|api_?key|private_?key|credential|data_wo|binary_data|^content$|^content_base64$|cert_material|key_material|ca_material)/i;

/** The key of a file's text in an upload block (docker_container, docker_service). */
const CONTENT_KEY = /^content$/i;

/**
 * Whether the value at an attribute path must be masked in reports (element keys in brackets
 * count). With `literalContent`, a `content` key alone does not make it sensitive: for a value
 * the caller knows to be literal text of a synthesized stack, where every secret is a reference.
 * The file it is uploaded to then counts too: `upload[/run/secrets/db].content` stays masked.
 */
export function isSensitivePath(p: string, opts: { readonly literalContent?: boolean } = {}): boolean {
  const segs = p.split(/[.[\]]/).filter(Boolean);
  if (opts.literalContent && segs.some((seg) => seg.startsWith("/") && SENSITIVE_KEY.test(seg))) return true;
  return segs.some((seg) => SENSITIVE_KEY.test(seg) && !(opts.literalContent && CONTENT_KEY.test(seg)) && !/_FILE$/.test(seg) && !seg.startsWith("/"));
}
