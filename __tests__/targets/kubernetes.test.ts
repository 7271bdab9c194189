import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { TerraformStack, Testing } from "../../lib/facade/cdktf";
import { KubernetesEnvironment } from "../../lib/targets/kubernetes/kubernetes-environment";
import { contentHash } from "../../lib/targets/kubernetes/kubernetes-service";
import { k8sEnv, miniApp, referenceEnvironments, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const synthOne = (app: AppConfig = miniApp(), env: EnvironmentConfig = k8sEnv(), name = "staging"): Json => synthJson([resolveOne(app, name, env)]).get(name)!;
const byName = (json: Json, type: string, name: string): Json => {
  const r = resourcesOf(json, type).find((x) => x.metadata.name === name);
  if (!r) throw new Error(`no ${type} ${name}; have ${resourcesOf(json, type).map((x) => x.metadata.name).join(", ")}`);
  return r;
};
const podSpec = (w: Json): Json => w.spec.template.spec;
const containerOf = (w: Json): Json => podSpec(w).container[0];

describe("Kubernetes target: the reference app's staging and prod stacks", () => {
  const stacks = synthJson(referenceEnvironments().filter((e) => e.model.target === "kubernetes"));

  it.each(["staging", "prod"])("%s: restricted namespace, quota, limit range, default deny", (env) => {
    const json = stacks.get(env)!;
    const ns = resourcesOf(json, "kubernetes_namespace_v1")[0];
    expect(ns.metadata.name).toBe(`shop-${env}`);
    for (const mode of ["enforce", "audit", "warn"]) expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe("restricted");
    expect(resourcesOf(json, "kubernetes_resource_quota_v1")[0].spec.hard["requests.cpu"]).toBeDefined();
    expect(resourcesOf(json, "kubernetes_limit_range_v1")[0].spec.limit[0].type).toBe("Container");
    const deny = byName(json, "kubernetes_network_policy_v1", "default-deny");
    expect(deny.spec).toEqual({ pod_selector: {}, policy_types: ["Ingress", "Egress"] });
  });

  it("writes the limit range's memory as the API reads it back (its maps have no quantity-equivalence check in the provider)", () => {
    const json = synthOne(miniApp(), k8sEnv({ limitRange: { memory: "500M", memoryLimit: "1G" } }));
    const limit = resourcesOf(json, "kubernetes_limit_range_v1")[0].spec.limit[0];
    expect([limit.default_request.memory, limit.default.memory]).toEqual(["500M", "1G"]);
  });

  it.each(["staging", "prod"])("%s: every container has probes, requests, limits and the restricted security context", (env) => {
    const json = stacks.get(env)!;
    const workloads = [...resourcesOf(json, "kubernetes_deployment_v1"), ...resourcesOf(json, "kubernetes_stateful_set_v1")];
    expect(workloads).toHaveLength(5);
    for (const w of workloads) {
      const c = containerOf(w);
      expect(c.readiness_probe).toBeDefined();
      expect(c.liveness_probe).toBeDefined();
      expect(c.startup_probe).toBeDefined();
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.cpu).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
      expect(c.security_context).toMatchObject({ run_as_non_root: true, allow_privilege_escalation: false, read_only_root_filesystem: true, capabilities: { drop: ["ALL"] }, seccomp_profile: { type: "RuntimeDefault" } });
      expect(podSpec(w).security_context.seccomp_profile).toEqual({ type: "RuntimeDefault" });
      expect(podSpec(w).automount_service_account_token).toBe(false);
      expect(c.image).toMatch(/@sha256:[a-f0-9]{64}$/);
    }
  });

  it("prod runs every stateless service with at least 2 replicas and a PDB", () => {
    const json = stacks.get("prod")!;
    const pdbs = resourcesOf(json, "kubernetes_pod_disruption_budget_v1").map((p) => p.metadata.name).sort();
    for (const d of resourcesOf(json, "kubernetes_deployment_v1")) {
      expect(Number(d.spec.replicas)).toBeGreaterThanOrEqual(2);
      expect(pdbs).toContain(d.metadata.name);
    }
  });

  it("stores no secret through data: write-only data_wo from ephemeral variables, Terraform >= 1.11", () => {
    for (const json of stacks.values()) {
      for (const s of resourcesOf(json, "kubernetes_secret_v1")) {
        expect(s.data).toBeUndefined();
        expect(s.data_wo.value).toMatch(/^\$\{var\.[a-z_]+\}$/);
        expect(s.data_wo_revision).toBe(1);
      }
      for (const v of Object.values(json.variable as Record<string, Json>)) expect(v).toMatchObject({ ephemeral: true, sensitive: true });
      expect(json.terraform.required_version).toBe(">= 1.11.0");
    }
  });

  it("allows exactly the declared connections, in both directions of each policy", () => {
    const json = stacks.get("prod")!;
    const dbIngress = byName(json, "kubernetes_network_policy_v1", "db-allow-ingress");
    const sources = dbIngress.spec.ingress.map((r: Json) => r.from[0].pod_selector.match_labels["app.kubernetes.io/name"]).sort();
    expect(sources).toEqual(["api", "worker"]);
    expect(dbIngress.spec.ingress[0].ports).toEqual([{ port: "5432", protocol: "TCP" }]);
    const webEgress = byName(json, "kubernetes_network_policy_v1", "web-allow-egress");
    expect(webEgress.spec.egress).toEqual([{ to: [{ pod_selector: { match_labels: { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "shop-prod" } } }], ports: [{ port: "3000", protocol: "TCP" }] }]);
    const dns = byName(json, "kubernetes_network_policy_v1", "allow-dns");
    expect(dns.spec.egress[0].ports).toEqual([{ port: "53", protocol: "UDP" }, { port: "53", protocol: "TCP" }]);
    // Only the public service accepts traffic from the ingress controller's namespace.
    const fromIngress = resourcesOf(json, "kubernetes_network_policy_v1").filter((p) => JSON.stringify(p).includes("ingress-nginx"));
    expect(fromIngress.map((p) => p.metadata.name)).toEqual(["web-allow-ingress"]);
  });
});

describe("Kubernetes target: defaults and their overrides", () => {
  it("creates a ServiceAccount per service with token automount off, and opts in per service", () => {
    const json = synthOne(miniApp(), k8sEnv({ services: { web: { replicas: 2 }, api: { replicas: 2, security: { automountServiceAccountToken: true } } } }));
    expect(byName(json, "kubernetes_service_account_v1", "web").automount_service_account_token).toBe(false);
    expect(byName(json, "kubernetes_service_account_v1", "api").automount_service_account_token).toBe(true);
    expect(podSpec(byName(json, "kubernetes_deployment_v1", "api")).automount_service_account_token).toBe(true);
  });

  it("puts non-secret config in a content-hashed ConfigMap that the workload references", () => {
    const json = synthOne();
    const cm = resourcesOf(json, "kubernetes_config_map_v1").find((c) => String(c.metadata.name).startsWith("api-config-"))!;
    expect(cm.metadata.name).toBe(`api-config-${contentHash(cm.data)}`);
    expect(cm.data).toEqual({ APP_ENV: "staging", API_TOKEN_FILE: "/run/secrets/api_token" });
    expect(cm.immutable).toBe(true);
    expect(cm.lifecycle).toEqual({ create_before_destroy: true });
    expect(containerOf(byName(json, "kubernetes_deployment_v1", "api")).env_from[0].config_map_ref.name).toMatch(/kubernetes_config_map_v1\..*api_config.*metadata\[0\]\.name/);
  });

  it("changes the ConfigMap name when the configuration changes, and only then", () => {
    const name = (env: EnvironmentConfig) => resourcesOf(synthOne(miniApp(), env), "kubernetes_config_map_v1").find((c) => String(c.metadata.name).startsWith("api-config-"))!.metadata.name;
    const a = name(k8sEnv());
    expect(name(k8sEnv())).toBe(a);
    expect(name(k8sEnv({ services: { web: { replicas: 2 }, api: { replicas: 2, env: { LOG_LEVEL: "debug" } } } }))).not.toBe(a);
  });

  it("mounts secrets read-only as files under /run/secrets via a projected volume", () => {
    const api = byName(synthOne(), "kubernetes_deployment_v1", "api");
    const vol = podSpec(api).volume.find((v: Json) => v.name === "secrets");
    expect(podSpec(api).security_context.fs_group).toBe("10001");
    expect(vol.projected[0]).toEqual({ default_mode: "0440", sources: [{ secret: [{ name: "api-token", items: [{ key: "value", path: "api_token" }] }] }] });
    expect(containerOf(api).volume_mount).toContainEqual({ name: "secrets", mount_path: "/run/secrets", read_only: true });
  });

  it("bumps data_wo_revision from the environment file to rotate a secret", () => {
    const json = synthOne(miniApp(), k8sEnv({ secretRevisions: { api_token: 4 } }));
    expect(byName(json, "kubernetes_secret_v1", "api-token").data_wo_revision).toBe(4);
  });

  it("gives a read-only root an emptyDir per writable path", () => {
    const api = byName(synthOne(miniApp(), k8sEnv({ services: { web: { replicas: 2 }, api: { replicas: 2, writablePaths: ["/tmp", "/var/cache/app"] } } })), "kubernetes_deployment_v1", "api");
    const dirs = podSpec(api).volume.filter((v: Json) => v.empty_dir).map((v: Json) => v.name);
    expect(dirs).toEqual(["writable-0", "writable-1"]);
    expect(containerOf(api).volume_mount.map((m: Json) => m.mount_path)).toEqual(expect.arrayContaining(["/tmp", "/var/cache/app"]));
  });

  it("derives probes from the health spec: startup covers startPeriod, liveness uses retries", () => {
    const c = containerOf(byName(synthOne(), "kubernetes_deployment_v1", "web"));
    expect(c.readiness_probe).toEqual({ http_get: { path: "/healthz", port: "8080" }, period_seconds: 5, timeout_seconds: 5, failure_threshold: 3, success_threshold: 1 });
    expect(c.liveness_probe).toEqual({ http_get: { path: "/healthz", port: "8080" }, period_seconds: 10, timeout_seconds: 5, failure_threshold: 3 });
    expect(c.startup_probe.failure_threshold).toBe(3 + 3);
    const db = containerOf(byName(synthOne(), "kubernetes_stateful_set_v1", "db"));
    expect(db.liveness_probe.exec).toEqual({ command: ["pg_isready"] });
  });

  it("uses the environment's rolling-update bounds and rollout timeout", () => {
    const d = byName(synthOne(miniApp(), k8sEnv({ rollout: { maxSurge: "50%", maxUnavailable: 1, timeout: "20m" } })), "kubernetes_deployment_v1", "api");
    expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rolling_update: { max_surge: "50%", max_unavailable: "1" } });
    expect(d.wait_for_rollout).toBe(true);
    expect(d.timeouts).toEqual({ create: "20m", update: "20m" });
    // The provider's wait stops at the Deployment's progress deadline (600 s unless set), before a longer timeout.
    expect(d.spec.progress_deadline_seconds).toBe(1200);
  });

  it("defaults the rollout to 25% surge, no unavailability, 10 minutes", () => {
    const d = byName(synthOne(), "kubernetes_deployment_v1", "api");
    expect(d.spec.strategy.rolling_update).toEqual({ max_surge: "25%", max_unavailable: "0" });
    expect(d.timeouts).toEqual({ create: "10m", update: "10m" });
    expect(d.spec.progress_deadline_seconds).toBe(600);
  });

  it("spreads replicated pods across nodes and adds a PDB, but not for a single replica", () => {
    const json = synthOne(miniApp(), k8sEnv({ services: { web: { replicas: 1 }, api: { replicas: 3 } } }));
    expect(podSpec(byName(json, "kubernetes_deployment_v1", "api")).topology_spread_constraint[0]).toMatchObject({ topology_key: "kubernetes.io/hostname", max_skew: 1 });
    expect(podSpec(byName(json, "kubernetes_deployment_v1", "web")).topology_spread_constraint).toBeUndefined();
    expect(resourcesOf(json, "kubernetes_pod_disruption_budget_v1").map((p) => p.metadata.name)).toEqual(["api"]);
  });

  it("adds an autoscaling/v2 HPA when asked, and lets it own the replica count", () => {
    const json = synthOne(miniApp(), k8sEnv({ services: { web: { replicas: 2 }, api: { autoscaling: { minReplicas: 2, maxReplicas: 6, cpuUtilization: 60 } } } }));
    const hpa = byName(json, "kubernetes_horizontal_pod_autoscaler_v2", "api");
    expect(hpa.spec).toMatchObject({ min_replicas: 2, max_replicas: 6, scale_target_ref: { kind: "Deployment", api_version: "apps/v1" } });
    expect(hpa.spec.metric[0].resource.target).toEqual({ type: "Utilization", average_utilization: 60 });
    expect(byName(json, "kubernetes_deployment_v1", "api").lifecycle).toEqual({ ignore_changes: ["spec[0].replicas"] });
  });

  it("runs stateful services as StatefulSets with volume claim templates, a headless Service and retained PVCs", () => {
    const json = synthOne(miniApp(), k8sEnv({ services: { web: { replicas: 2 }, api: { replicas: 2 }, db: { volumes: [{ name: "data", size: "20Gi", storageClass: "ssd" }] } } }));
    const sts = byName(json, "kubernetes_stateful_set_v1", "db");
    expect(sts.spec.volume_claim_template).toEqual([{ metadata: { name: "data", labels: expect.any(Object) }, spec: { access_modes: ["ReadWriteOnce"], storage_class_name: "ssd", resources: { requests: { storage: "20Gi" } } } }]);
    expect(sts.spec.persistent_volume_claim_retention_policy).toEqual([{ when_deleted: "Retain", when_scaled: "Retain" }]);
    expect(byName(json, "kubernetes_service_v1", "db-headless").spec.cluster_ip).toBe("None");
    expect(podSpec(sts).security_context.fs_group).toBe("70");
  });

  it("exposes public services through an Ingress on <service>.<domain> with TLS by secret reference", () => {
    const json = synthOne(miniApp(), k8sEnv({ tls: { secretName: "demo-tls" }, kubernetes: { ingressClassName: "traefik" } }));
    const ing = byName(json, "kubernetes_ingress_v1", "web");
    expect(ing.spec.ingress_class_name).toBe("traefik");
    expect(ing.spec.rule[0].host).toBe("web.demo.example.com");
    expect(ing.spec.tls).toEqual([{ hosts: ["web.demo.example.com"], secret_name: "demo-tls" }]);
    expect(resourcesOf(json, "kubernetes_ingress_v1")).toHaveLength(1);
  });

  it("configures the provider from kubeconfig path and context only (no credentials)", () => {
    const json = synthOne(miniApp(), k8sEnv({ kubernetes: { configPath: "~/.kube/staging", context: "staging-admin" } }));
    expect(json.provider.kubernetes).toEqual([{ config_path: "~/.kube/staging", config_context: "staging-admin" }]);
    expect(synthOne().provider.kubernetes).toEqual([{}]);
  });

  it("can switch the hardening off per service, visibly (under Pod Security baseline, which admits it)", () => {
    const json = synthOne(miniApp(), k8sEnv({ kubernetes: { podSecurity: "baseline" }, services: { web: { replicas: 2 }, api: { replicas: 2, security: { readOnlyRootFilesystem: false, dropCapabilities: [], noNewPrivileges: false, seccompProfile: "Localhost/profiles/api.json" } } } }));
    const api = byName(json, "kubernetes_deployment_v1", "api");
    expect(containerOf(api).security_context).toMatchObject({ read_only_root_filesystem: false, allow_privilege_escalation: true, capabilities: { drop: [] }, seccomp_profile: { type: "Localhost", localhost_profile: "profiles/api.json" } });
    expect(podSpec(api).volume.some((v: Json) => v.empty_dir)).toBe(false);
  });

  it("protects the namespace (and with it the PVCs) when volumes must not be destroyed", () => {
    expect(resourcesOf(synthOne(miniApp(), k8sEnv({ volumes: { preventDestroy: true } })), "kubernetes_namespace_v1")[0].lifecycle).toEqual({ prevent_destroy: true });
    expect(resourcesOf(synthOne(), "kubernetes_namespace_v1")[0].lifecycle).toBeUndefined();
  });

  it("maps command and args to the container's command and args", () => {
    const json = synthOne(miniApp(), k8sEnv({ services: { web: { replicas: 2 }, api: { replicas: 2, command: ["node"], args: ["dist/server.js"] } } }));
    const c = containerOf(byName(json, "kubernetes_deployment_v1", "api"));
    expect([c.command, c.args]).toEqual([["node"], ["dist/server.js"]]);
    expect(containerOf(byName(json, "kubernetes_deployment_v1", "web")).command).toBeUndefined();
  });

  it("labels workloads with the version and supporting resources without it", () => {
    const json = synthOne();
    expect(byName(json, "kubernetes_deployment_v1", "api").metadata.labels["app.kubernetes.io/version"]).toBe("1.0.0");
    expect(byName(json, "kubernetes_deployment_v1", "api").spec.template.metadata.labels["app.kubernetes.io/version"]).toBe("1.0.0");
    expect(byName(json, "kubernetes_service_v1", "api").metadata.labels["app.kubernetes.io/version"]).toBeUndefined();
    expect(byName(json, "kubernetes_deployment_v1", "api").spec.selector.match_labels).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "demo-staging" });
  });

  it("sets the Pod Security level from the environment, restricted by default", () => {
    const labels = (env: EnvironmentConfig) => resourcesOf(synthOne(miniApp(), env), "kubernetes_namespace_v1")[0].metadata.labels;
    expect(labels(k8sEnv())["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    const baseline = labels(k8sEnv({ kubernetes: { podSecurity: "baseline" } }));
    expect([baseline["pod-security.kubernetes.io/enforce"], baseline["pod-security.kubernetes.io/audit"], baseline["pod-security.kubernetes.io/warn"]]).toEqual(["baseline", "baseline", "baseline"]);
  });

  it("can switch network policies off (guardrail ENVK-K8S-003 then reports it)", () => {
    const json = synthOne(miniApp(), k8sEnv({ kubernetes: { networkPolicies: false } }));
    expect(resourcesOf(json, "kubernetes_network_policy_v1")).toEqual([]);
    expect(resourcesOf(synthOne(), "kubernetes_network_policy_v1").length).toBeGreaterThan(2);
  });

  it("exposes every resource as an escape hatch", () => {
    const stack = new TerraformStack(Testing.app(), "s");
    const ke = new KubernetesEnvironment(stack, "k", { environment: resolveOne(miniApp(), "staging", k8sEnv()).model });
    ke.services.get("api")!.workload.addOverride("spec.template.spec.priority_class_name", "high");
    const json = JSON.parse(Testing.synth(stack)) as Json;
    expect(byName(json, "kubernetes_deployment_v1", "api").spec.template.spec.priority_class_name).toBe("high");
    expect(ke.namespace).toBeDefined();
    expect(ke.quota).toBeUndefined();
  });
});

