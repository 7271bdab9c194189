import { Testing, TerraformStack } from "../../lib/facade/cdktf";
import { RuleFileSchema } from "../../lib/observability/rule-file";
import { PrometheusOperatorObjects } from "../../lib/targets/kubernetes/prometheus-operator";
import { DIGEST, k8sEnv, miniApp, referenceEnv, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("opt-in Prometheus Operator objects (kubernetes_manifest, a stack of their own)", () => {
  const synth = (): Json => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "prod-monitoring");
    new PrometheusOperatorObjects(stack, "operator", { environment: referenceEnv("prod").model, selectorLabels: { release: "kube-prometheus-stack" } });
    return JSON.parse(Testing.synth(stack));
  };
  const manifests = (): Json[] => Object.values((synth().resource.kubernetes_manifest ?? {}) as Record<string, Json>).map((m) => m.manifest);

  it("a PrometheusRule whose groups are the environment's valid rule file, labelled for the operator's selector", () => {
    const rule = manifests().find((m) => m.kind === "PrometheusRule")!;
    expect(rule).toMatchObject({ apiVersion: "monitoring.coreos.com/v1", metadata: { namespace: "shop-prod", labels: { release: "kube-prometheus-stack" } } });
    expect(RuleFileSchema.safeParse({ groups: rule.spec.groups }).success).toBe(true);
    expect(JSON.stringify(rule.spec.groups)).toContain("ErrorBudgetBurn");
  });

  it("a ServiceMonitor only for services with metrics, on the metrics port, carrying the pod label the rules select by", () => {
    const monitors = manifests().filter((m) => m.kind === "ServiceMonitor");
    expect(monitors.map((m) => m.metadata.name)).toEqual(["api"]);
    expect(monitors[0].spec).toEqual({
      selector: { matchLabels: { "app.kubernetes.io/name": "api", "app.kubernetes.io/instance": "shop-prod" }, matchExpressions: [{ key: "envkit.dev/service-role", operator: "DoesNotExist" }] },
      namespaceSelector: { matchNames: ["shop-prod"] },
      podTargetLabels: ["app.kubernetes.io/name"],
      endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
    });
  });

  it("its selector finds one Service per service: blue-green's preview and a stateful service's headless Service are left out", () => {
    const app = miniApp();
    const env = k8sEnv({
      release: { web: `1.0.0@${DIGEST}`, db: `16.4@${DIGEST}` },
      services: { web: { replicas: 2 }, api: { replicas: 2, rollout: { strategy: "blue-green", live: "blue", slots: { blue: `1.0.0@${DIGEST}`, green: `1.1.0@${DIGEST}` } } }, db: { backup: { method: "postgres" } } },
    });
    const json = synthJson([resolveOne(app, "prod", env)]).get("prod")!;
    const services: Json[] = resourcesOf(json, "kubernetes_service_v1");
    expect(services.map((s) => s.metadata.name).sort()).toEqual(["api", "api-preview", "db", "db-headless", "web"]);
    for (const name of ["api", "db", "web"]) {
      // The operator's selector: every matchLabels pair, and no role label.
      const selected = services.filter((s) => s.metadata.labels["app.kubernetes.io/name"] === name && s.metadata.labels["app.kubernetes.io/instance"] === "demo-prod" && !("envkit.dev/service-role" in s.metadata.labels));
      expect(selected.map((s) => s.metadata.name)).toEqual([name]);
    }
  });

  it("is not part of the environment's own stack (the CRDs must exist at plan time)", () => {
    const json = synthJson([referenceEnv("prod")]).get("prod")!;
    expect(json.resource.kubernetes_manifest).toBeUndefined();
  });
});
