import { formatIssue } from "../../lib/errors";
import { EnvironmentConfig } from "../../lib/config/schema";
import { diffStacks } from "../../lib/review/stack-diff";
import { inspectKubernetesStack } from "../../lib/targets/kubernetes/kubernetes-inspect";
import { quotaFitProblems } from "../../lib/targets/kubernetes/quota-fit";
import { k8sEnv, miniApp, model, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

/*
 * Every rollout strategy on Kubernetes, asserted on the synthesized JSON: the Deployments a
 * strategy needs, what the Services select, and what a switch or a weight step changes.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const D = (c: string) => `sha256:${c.repeat(64)}`;
const V14 = `1.4.0@${D("1")}`;
const V15 = `1.5.0@${D("2")}`;
const SLOT = "envkit.dev/slot";
const releasesWithout = (svc: string): Record<string, string> => Object.fromEntries(Object.entries(k8sEnv().release!).filter(([k]) => k !== svc));
const releasesWithoutApi = releasesWithout("api");

const synth = (env: EnvironmentConfig): Json => synthJson([resolveOne(miniApp(), "prod", env)]).get("prod")!;
const byName = (json: Json, type: string, name: string): Json => {
  const r = resourcesOf(json, type).find((x) => x.metadata.name === name);
  if (!r) throw new Error(`no ${type} ${name}; have ${resourcesOf(json, type).map((x) => x.metadata.name).join(", ")}`);
  return r;
};
const names = (json: Json, type: string): string[] => resourcesOf(json, type).map((x) => x.metadata.name as string).sort();
const deployments = (json: Json) => names(json, "kubernetes_deployment_v1");
/** A reference to another resource of the stack, by its construct id (the synthesized JSON holds tokens). */
const ref = (id: string) => expect.stringMatching(new RegExp(`^\\$\\{kubernetes_[a-z0-9_]+\\.kubernetes_${id}_[0-9A-F]{8}\\.metadata\\[0\\]\\.name\\}$`));

/** api as blue-green; web as canary; each test varies one of them. */
function blueGreen(rollout: Record<string, unknown> = {}, api: Record<string, unknown> = {}): EnvironmentConfig {
  return k8sEnv({ release: releasesWithoutApi, services: { web: { replicas: 2 }, api: { replicas: 2, ...api, rollout: { strategy: "blue-green", live: "blue", slots: { blue: V14, green: V15 }, ...rollout } } } });
}
function canary(weight: number, web: Record<string, unknown> = {}, over: Partial<EnvironmentConfig> = {}): EnvironmentConfig {
  return k8sEnv({ services: { api: { replicas: 2 }, web: { replicas: 10, ...web, rollout: { strategy: "canary", canary: { release: V15, weight } } } }, ...over });
}

describe("Kubernetes: recreate and rolling", () => {
  it("recreate: the Deployment stops the old pods first (no surge fields)", () => {
    const web = byName(synth(k8sEnv({ rollout: { strategy: "recreate" } })), "kubernetes_deployment_v1", "web");
    expect(web.spec.strategy).toEqual({ type: "Recreate" });
  });

  it("rolling: each service's own surge and unavailability reach its Deployment", () => {
    const json = synth(k8sEnv({ services: { web: { replicas: 2, rollout: { maxSurge: 1, maxUnavailable: "50%" } }, api: { replicas: 2 } } }));
    expect(byName(json, "kubernetes_deployment_v1", "web").spec.strategy).toEqual({ type: "RollingUpdate", rolling_update: { max_surge: "1", max_unavailable: "50%" } });
    expect(byName(json, "kubernetes_deployment_v1", "api").spec.strategy).toEqual({ type: "RollingUpdate", rolling_update: { max_surge: "25%", max_unavailable: "0" } });
  });

  it("rolling: a service's own timeout bounds its wait for the rollout", () => {
    const json = synth(k8sEnv({ services: { web: { replicas: 2, rollout: { timeout: "3m" } }, api: { replicas: 2 } } }));
    expect(byName(json, "kubernetes_deployment_v1", "web").timeouts).toEqual({ create: "3m", update: "3m" });
    expect(byName(json, "kubernetes_deployment_v1", "api").timeouts).toEqual({ create: "10m", update: "10m" });
  });
});

describe("Kubernetes: blue-green", () => {
  const json = synth(blueGreen());

  it("runs one Deployment per slot, each with its own release and slot label", () => {
    expect(deployments(json)).toEqual(["api-blue", "api-green", "web"]);
    const blue = byName(json, "kubernetes_deployment_v1", "api-blue");
    const green = byName(json, "kubernetes_deployment_v1", "api-green");
    expect(blue.spec.template.spec.container[0].image).toBe(`ghcr.io/acme/api:${V14}`);
    expect(green.spec.template.spec.container[0].image).toBe(`ghcr.io/acme/api:${V15}`);
    expect(blue.spec.selector.match_labels[SLOT]).toBe("blue");
    expect(green.spec.template.metadata.labels[SLOT]).toBe("green");
    expect(green.spec.template.metadata.labels["app.kubernetes.io/version"]).toBe("1.5.0");
  });

  it("points the Service at the live slot and <svc>-preview at the idle one", () => {
    expect(byName(json, "kubernetes_service_v1", "api").spec.selector[SLOT]).toBe("blue");
    expect(byName(json, "kubernetes_service_v1", "api-preview").spec.selector[SLOT]).toBe("green");
  });

  it("keeps the idle slot at the service's replicas unless told to scale it down", () => {
    expect(byName(json, "kubernetes_deployment_v1", "api-green").spec.replicas).toBe("2");
    const soaked = synth(blueGreen({ idleReplicas: 0 }));
    expect(byName(soaked, "kubernetes_deployment_v1", "api-green").spec.replicas).toBe("0");
    expect(byName(soaked, "kubernetes_deployment_v1", "api-blue").spec.replicas).toBe("2");
  });

  it("gives each slot with several pods its own disruption budget, selecting only that slot", () => {
    expect(byName(json, "kubernetes_pod_disruption_budget_v1", "api-blue").spec.selector.match_labels[SLOT]).toBe("blue");
    expect(byName(json, "kubernetes_pod_disruption_budget_v1", "api-green").spec.selector.match_labels[SLOT]).toBe("green");
    expect(names(synth(blueGreen({ idleReplicas: 0 })), "kubernetes_pod_disruption_budget_v1")).toEqual(["api-blue", "web"]);
  });

  it("a switch changes only the Services' selectors", () => {
    const changes = diffStacks(json, synth(blueGreen({ live: "green" })));
    expect(changes.map((c) => `${c.type} ${c.name} ${c.action}`).sort()).toEqual(["kubernetes_service_v1 api update", "kubernetes_service_v1 api-preview update"]);
    expect(changes.flatMap((c) => c.attributes.map((a) => `${c.name}: ${a.path} ${a.before} -> ${a.after}`)).sort()).toEqual([`api-preview: spec.selector.${SLOT} "green" -> "blue"`, `api: spec.selector.${SLOT} "blue" -> "green"`]);
  });

  it("the autoscaler follows the live slot, and only the live slot ignores replica drift", () => {
    const scaled = synth(blueGreen({ live: "green" }, { autoscaling: { minReplicas: 2, maxReplicas: 5 } }));
    expect(byName(scaled, "kubernetes_horizontal_pod_autoscaler_v2", "api").spec.scale_target_ref.name).toEqual(ref("api_workload-green"));
    expect(byName(scaled, "kubernetes_deployment_v1", "api-green").lifecycle).toEqual({ ignore_changes: ["spec[0].replicas"] });
    expect(byName(scaled, "kubernetes_deployment_v1", "api-blue").lifecycle).toBeUndefined();
  });

  it("reaches a public service's idle slot at <svc>-preview.<domain>", () => {
    const json2 = synthJson([resolveOne(miniApp(), "prod", k8sEnv({ release: releasesWithout("web"), services: { api: { replicas: 2 }, web: { replicas: 2, rollout: { strategy: "blue-green", live: "green", slots: { blue: V14, green: V15 } } } } }))]).get("prod")!;
    const preview = byName(json2, "kubernetes_ingress_v1", "web-preview");
    expect(preview.spec.rule[0].host).toBe("web-preview.demo.example.com");
    expect(preview.spec.rule[0].http.path[0].backend.service.name).toEqual(ref("web_preview"));
    expect(byName(json2, "kubernetes_ingress_v1", "web").spec.rule[0].http.path[0].backend.service.name).toEqual(ref("web_service"));
  });
});

describe("Kubernetes: canary", () => {
  const json = synth(canary(10));

  it("runs a stable and a canary Deployment under the one Service, replicas split by weight", () => {
    expect(deployments(json)).toEqual(["api", "web-canary", "web-stable"]);
    expect(byName(json, "kubernetes_deployment_v1", "web-stable").spec.replicas).toBe("9");
    expect(byName(json, "kubernetes_deployment_v1", "web-canary").spec.replicas).toBe("1");
    expect(byName(json, "kubernetes_deployment_v1", "web-canary").spec.template.spec.container[0].image).toBe(`ghcr.io/acme/web:${V15}`);
    expect(byName(json, "kubernetes_deployment_v1", "web-stable").spec.template.spec.container[0].image).toBe(`ghcr.io/acme/web:${k8sEnv().release!.web}`);
    expect(byName(json, "kubernetes_service_v1", "web").spec.selector[SLOT]).toBeUndefined();
  });

  it("gives a public canary exact weights through an ingress-nginx canary Ingress", () => {
    const main = byName(json, "kubernetes_ingress_v1", "web");
    const second = byName(json, "kubernetes_ingress_v1", "web-canary");
    expect(main.spec.rule[0].http.path[0].backend.service.name).toEqual(ref("web_service-stable"));
    expect(second.metadata.annotations).toEqual({ "nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "10" });
    expect(second.spec.rule[0].host).toBe(main.spec.rule[0].host);
    expect(second.spec.rule[0].http.path[0].backend.service.name).toEqual(ref("web_service-canary"));
    expect(byName(json, "kubernetes_service_v1", "web-stable").spec.selector[SLOT]).toBe("stable");
    expect(byName(json, "kubernetes_service_v1", "web-canary").spec.selector[SLOT]).toBe("canary");
  });

  it("writes no canary annotations for an ingress class other than nginx (they would be ignored)", () => {
    const other = synth(canary(10, {}, { kubernetes: { ingressClassName: "traefik" } }));
    expect(names(other, "kubernetes_ingress_v1")).toEqual(["web"]);
    expect(byName(other, "kubernetes_ingress_v1", "web").spec.rule[0].http.path[0].backend.service.name).toEqual(ref("web_service"));
  });

  it("a weight step changes the split and the canary weight (and budgets the canary once it has several pods)", () => {
    const changes = diffStacks(json, synth(canary(50)));
    const updates = changes.filter((c) => c.action === "update");
    expect(updates.flatMap((c) => c.attributes.map((a) => `${c.type} ${c.name}: ${a.path} ${a.before} -> ${a.after}`)).sort()).toEqual([
      'kubernetes_deployment_v1 web-canary: spec.replicas "1" -> "5"',
      'kubernetes_deployment_v1 web-stable: spec.replicas "9" -> "5"',
      'kubernetes_ingress_v1 web-canary: metadata.annotations.nginx.ingress.kubernetes.io/canary-weight "10" -> "50"',
    ]);
    expect(changes.filter((c) => c.action !== "update").map((c) => `${c.type} ${c.name} ${c.action}`)).toEqual(["kubernetes_pod_disruption_budget_v1 web-canary create"]);
  });

  it("without a canary block runs the stable only, keeping its Deployment and the main Ingress", () => {
    const rest = synth(k8sEnv({ services: { api: { replicas: 2 }, web: { replicas: 10, rollout: { strategy: "canary" } } } }));
    expect(deployments(rest)).toEqual(["api", "web-stable"]);
    expect(byName(rest, "kubernetes_deployment_v1", "web-stable").spec.replicas).toBe("10");
    const changes = diffStacks(rest, json);
    expect(changes.filter((c) => c.action !== "create").map((c) => `${c.name} ${c.action}`)).toEqual(["web-stable update"]);
  });

  it("the autoscaler drives the stable; the canary keeps its share", () => {
    const scaled = synth(canary(25, { replicas: 4, autoscaling: { minReplicas: 4, maxReplicas: 8 } }));
    expect(byName(scaled, "kubernetes_horizontal_pod_autoscaler_v2", "web").spec.scale_target_ref.name).toEqual(ref("web_workload-stable"));
    expect(byName(scaled, "kubernetes_deployment_v1", "web-canary").lifecycle).toBeUndefined();
    expect(byName(scaled, "kubernetes_pod_disruption_budget_v1", "web-stable").spec.selector.match_labels[SLOT]).toBe("stable");
  });

  it("warns when the replica split cannot match the weight, with the effective percentage", () => {
    const r = resolve(miniApp(), { prod: canary(10, { replicas: 3 }) });
    const warnings = r.issues.filter((i) => i.severity === "warning").map(formatIssue);
    expect(warnings).toContainEqual(
      expect.stringMatching(/services\.web\.rollout\.canary\.weight: 10% of 3 replica\(s\) runs 1 canary pod\(s\) next to 2 stable: 33% of the traffic by replica ratio inside the cluster \(the ingress-nginx canary Ingress gives public traffic exactly 10%\); 10 replicas or a multiple split exactly/),
    );
    expect(resolve(miniApp(), { prod: canary(10) }).issues.filter((i) => i.severity === "warning" && i.path.includes("canary"))).toEqual([]);
  });
});

describe("Kubernetes: the quota fit counts each strategy", () => {
  it("shows each service's strategy arithmetic", () => {
    const m = model(miniApp(), "prod", { ...blueGreen(), quota: { pods: 5 } });
    const p = quotaFitProblems(m);
    expect(p).toHaveLength(1);
    expect(p[0].message).toContain("api 1 × 5 pods [blue-green: 2 live (blue) + 2 idle (green) + 1 surge of the slot being rolled (maxSurge 25%)] = 5");
    expect(p[0].message).toContain("the workloads need pods 9 at peak but the quota allows 5");
  });

  it("counts a canary's stable and canary pods", () => {
    const p = quotaFitProblems(model(miniApp(), "prod", { ...canary(10), quota: { pods: 5 } }));
    expect(p[0].message).toContain("web 1 × 13 pods [canary 10%: 9 stable + 1 canary + 3 surge of the workload being rolled (maxSurge 25%)] = 13");
  });
});

describe("Kubernetes: guardrails see every slot", () => {
  it("finds a disruption budget for each slot with several pods (ENVK-AVL-002 stays quiet)", () => {
    const json = synth(canary(50));
    const view = inspectKubernetesStack(json);
    const canaryPods = view.workloads.find((w) => w.resource.includes("workload-canary"))!;
    expect(canaryPods.replicas).toBe(5);
    expect(canaryPods.hasDisruptionBudget).toBe(true);
    expect(view.workloads.filter((w) => w.replicas > 1).every((w) => w.hasDisruptionBudget)).toBe(true);
  });
});
