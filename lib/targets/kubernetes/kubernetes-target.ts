import { backupDestinationProblem } from "../shared/backup-job";
import { Construct } from "constructs";
import { EnvironmentModel } from "../../model/environment";
import { MAX_LABEL, checkDns1035Label } from "../../model/names";
import { LowerOptions, TargetAdapter, TargetIssue } from "../target";
import type * as Providers from "../shared/provider";
import { inspectKubernetesStack } from "./kubernetes-inspect";
import type * as Lowering from "./kubernetes-environment";
import { KUBERNETES, KUBERNETES_DEFAULTS, KUBERNETES_SETTINGS_SOURCE, KubernetesSettingsSchema, kubernetesOptions, serviceExposure } from "./options";
import { podSecurityProblems } from "./pod-security";
import { quotaFitProblems } from "./quota-fit";
import { canarySplitNote, rolloutPlan } from "./rollout-plan";

/** Lowers `target: kubernetes` environments to hashicorp/kubernetes `*_v1`/`*_v2` resources. */
export const kubernetesTarget: TargetAdapter<typeof KubernetesSettingsSchema> = {
  name: KUBERNETES,
  settings: {
    schema: KubernetesSettingsSchema,
    defaults: KUBERNETES_DEFAULTS,
    source: KUBERNETES_SETTINGS_SOURCE,
    reads: ["quota", "limitRange", "domain", "tls"],
    unreadHints: {
      "network.subnet": "the cluster's network plugin assigns pod addresses; declared connections become NetworkPolicies",
    },
  },
  checkSettings(env: EnvironmentModel): TargetIssue[] {
    // A LoadBalancer or NodePort service is reached without the ingress, so without a domain.
    const open = env.services.filter((s) => s.public && serviceExposure(env, s) === "ClusterIP");
    if (env.domain || open.length === 0) return [];
    return [{ path: ["domain"], message: `public services (${open.map((s) => s.name).join(", ")}) need a domain for their ingress; set domain: e.g. "${env.name}.${env.app}.example.com"` }];
  },
  ruleChecks: { "ENVK-K8S-004": quotaFitProblems },
  validate(env: EnvironmentModel): TargetIssue[] {
    // The quota fit check is guardrail ENVK-K8S-004 (severity per environment), not repeated here.
    const issues: TargetIssue[] = [];
    // Service objects in the namespace: <svc>, <svc>-headless (stateful), <svc>-preview (blue-green), <svc>-stable/-canary (canary).
    const serviceObjects = new Map<string, string>();
    // A node port is the cluster's, one per number: the API refuses a second ("already allocated").
    const nodePorts = new Map<number, string>();
    for (const svc of env.services) {
      for (const p of svc.ports) {
        if (p.nodePort === undefined || serviceExposure(env, svc) === "ClusterIP") continue;
        const other = nodePorts.get(p.nodePort);
        if (other) issues.push({ path: ["services", svc.name, "ports", p.name, "nodePort"], message: `node port ${p.nodePort} is already taken by ${other}; choose another in 30000-32767 (or leave nodePort out)` });
        else nodePorts.set(p.nodePort, `"${svc.name}" port "${p.name}"`);
      }
      svc.egress.forEach((e, i) => {
        if (e.cidr === undefined) {
          issues.push({ path: ["services", svc.name, "egress", String(i)], message: `a Kubernetes NetworkPolicy matches addresses, never host names (vanilla NetworkPolicy has no FQDN rules), so egress to "${e.host}" cannot be allowed by name; add cidr: the range ${e.host} is served from (e.g. its provider's published /24)` });
        }
      });
      if (serviceExposure(env, svc) === "ClusterIP") {
        for (const p of svc.ports) {
          if (p.nodePort !== undefined) issues.push({ path: ["services", svc.name, "ports", p.name, "nodePort"], message: `a node port needs a NodePort or LoadBalancer Service, and "${svc.name}" is exposed as ClusterIP; set services.${svc.name}.exposure: NodePort (or kubernetes.exposure) or remove nodePort` });
        }
      }
      issues.push(...podSecurityProblems(svc, kubernetesOptions(env).podSecurity));
      const backup = backupDestinationProblem(svc, "Kubernetes", ["volume", "claim", "objectStore"]);
      if (backup) issues.push(backup);
      if (svc.public && svc.ports.length === 0) issues.push({ path: ["services", svc.name, "public"], message: `public service "${svc.name}" has no port for its ingress; declare a port or set public: false` });
      // The API rejects a Service whose name does not start with a letter.
      const dns1035 = checkDns1035Label(svc.name);
      if (dns1035) issues.push({ path: ["services", svc.name], message: `service name ${dns1035}` });
      // Names derived in the namespace must be labels of at most 63 characters. The ConfigMap's
      // 18-character suffix is the longest, so it also covers the StatefulSet limit (52: its pods'
      // "controller-revision-hash" label is "<name>-<10-character hash>").
      const derived = [`${svc.name}-config-0123456789`, `${svc.name}-allow-ingress`, `${svc.name}-allow-egress`, ...(svc.kind === "stateful" ? [`${svc.name}-headless`] : []), ...(svc.backup ? [`${svc.name}-backup-allow-egress`] : [])];
      const longest = derived.reduce((a, b) => (b.length > a.length ? b : a));
      if (longest.length > MAX_LABEL) {
        issues.push({ path: ["services", svc.name], message: `the Kubernetes name "${longest}" derived from service "${svc.name}" would be ${longest.length} characters (limit ${MAX_LABEL}); shorten the service name by ${longest.length - MAX_LABEL}` });
      }
      // hashicorp/kubernetes 2.38.0 has no stop-signal field (no `stop_signal` in its container
      // schema or the generated bindings): the runtime sends the image's STOPSIGNAL.
      if (svc.stopSignal !== undefined && svc.stopSignal !== "SIGTERM") {
        issues.push({ path: ["services", svc.name, "stopSignal"], severity: "warning", message: `${svc.stopSignal} has no effect on target "kubernetes" (the provider has no stop-signal field; the container runtime sends the image's STOPSIGNAL, else SIGTERM); bake STOPSIGNAL ${svc.stopSignal} into the image, or set stopSignal only in the Docker and Swarm environments` });
      }
      const objects: [string, string][] = [];
      if (svc.ports.length > 0) objects.push([svc.name, "Service"]);
      if (svc.kind === "stateful") objects.push([`${svc.name}-headless`, "headless Service"]);
      const plan = rolloutPlan(env, svc);
      if (svc.ports.length > 0 && plan.previewSelector) objects.push([`${svc.name}-preview`, "preview Service"]);
      if (svc.ports.length > 0 && plan.exactCanary) objects.push([`${svc.name}-stable`, "stable Service"], ...(plan.exactCanary.canarySelector ? ([[`${svc.name}-canary`, "canary Service"]] as [string, string][]) : []));
      const split = canarySplitNote(env, svc);
      if (split) issues.push({ path: ["services", svc.name, "rollout", "canary", "weight"], message: split, severity: "warning" });
      for (const [name, kind] of objects) {
        const other = serviceObjects.get(name);
        if (other !== undefined) issues.push({ path: ["services", svc.name], message: `the ${kind} "${name}" of "${svc.name}" has the same name as ${other}; rename one of the services` });
        else serviceObjects.set(name, `the ${kind} of "${svc.name}"`);
      }
    }
    return issues;
  },
  inspect: inspectKubernetesStack,
  preload(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("./kubernetes-environment");
  },
  providerType: KUBERNETES,
  providerEndpoint: { keys: ["config_context", "config_path", "config_paths", "config_context_cluster", "host", "cluster_ca_certificate"], noun: "cluster" },
  lower(scope: Construct, env: EnvironmentModel, options?: LowerOptions): void {
    // Loaded on first use: validate, policy and review never pay for the provider classes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { KubernetesEnvironment } = require("./kubernetes-environment") as typeof Lowering;
    const provider = options?.provider as Lowering.KubernetesEnvironmentProps["provider"];
    const lowered = new KubernetesEnvironment(scope, "kubernetes", { environment: env, provider });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (provider) (require("../shared/provider") as typeof Providers).useProvider(lowered, provider);
  },
};
