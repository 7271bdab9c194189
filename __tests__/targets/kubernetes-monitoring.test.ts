import { parse } from "yaml";
import { RuleFileSchema } from "../../lib/observability/rule-file";
import { referenceEnvironments, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("Kubernetes: scrape annotations, metrics ingress and the rules ConfigMap", () => {
  const stacks = synthJson(referenceEnvironments().filter((e) => e.model.target === "kubernetes"));
  const workload = (json: Json, name: string): Json => [...resourcesOf(json, "kubernetes_deployment_v1"), ...resourcesOf(json, "kubernetes_stateful_set_v1")].find((w) => w.metadata.name === name)!;

  it.each(["staging", "prod"])("%s: only the pods of services with metrics carry prometheus.io annotations, with the metrics port and path", (env) => {
    const json = stacks.get(env)!;
    expect(workload(json, "api").spec.template.metadata.annotations).toEqual({ "prometheus.io/scrape": "true", "prometheus.io/port": "3000", "prometheus.io/path": "/metrics" });
    for (const name of ["web", "worker", "db", "cache"]) expect(workload(json, name).spec.template.metadata.annotations).toBeUndefined();
  });

  it("the Prometheus namespace may reach the metrics port through default-deny, and only the metrics port", () => {
    const json = stacks.get("prod")!;
    const allow = resourcesOf(json, "kubernetes_network_policy_v1").find((p) => p.metadata.name === "api-allow-ingress")!;
    const fromMonitoring = allow.spec.ingress.filter((i: Json) => i.from[0].namespace_selector?.match_labels?.["kubernetes.io/metadata.name"] === "monitoring");
    expect(fromMonitoring).toEqual([{ from: [{ namespace_selector: { match_labels: { "kubernetes.io/metadata.name": "monitoring" } } }], ports: [{ port: "3000", protocol: "TCP" }] }]);
    const web = resourcesOf(json, "kubernetes_network_policy_v1").find((p) => p.metadata.name === "web-allow-ingress")!;
    expect(JSON.stringify(web.spec.ingress)).not.toContain('"monitoring"');
  });

  it.each(["staging", "prod"])("%s: one labelled prometheus-rules ConfigMap whose file is a valid rule file of this environment", (env) => {
    const maps = resourcesOf(stacks.get(env)!, "kubernetes_config_map_v1").filter((c) => c.metadata.name === "prometheus-rules");
    expect(maps).toHaveLength(1);
    expect(maps[0].metadata.labels["envkit.dev/prometheus-rules"]).toBe("true");
    const file = parse(maps[0].data[`shop-${env}.rules.yml`]);
    expect(RuleFileSchema.safeParse(file).success).toBe(true);
    expect(JSON.stringify(file)).toContain(`namespace=\\"shop-${env}\\"`);
    expect(JSON.stringify(file)).toContain("ErrorBudgetBurn");
  });
});
