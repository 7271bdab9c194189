import { formatIssue } from "../../lib/errors";
import { evaluatePolicy } from "../../lib/policy/engine";
import { peakPods, quotaFitProblems, surgeCount } from "../../lib/targets/kubernetes/quota-fit";
import { k8sEnv, miniApp, model, resolve } from "../helpers";

describe("quota fit check", () => {
  it("counts replicas plus rolling-update surge for Deployments, none for StatefulSets", () => {
    const m = model(miniApp(), "staging", k8sEnv());
    expect(peakPods(m, m.services.find((s) => s.name === "api")!)).toEqual({ replicas: 2, surge: 1 });
    expect(peakPods(m, m.services.find((s) => s.name === "db")!)).toEqual({ replicas: 1, surge: 0 });
    expect(surgeCount("25%", 10)).toBe(3);
    expect(surgeCount(2, 10)).toBe(2);
  });

  it("uses the HPA maximum as the replica count", () => {
    const m = model(miniApp(), "staging", k8sEnv({ services: { web: { replicas: 2 }, api: { autoscaling: { minReplicas: 2, maxReplicas: 6 } } } }));
    expect(peakPods(m, m.services.find((s) => s.name === "api")!)).toEqual({ replicas: 6, surge: 2 });
  });

  it("rejects an oversized environment with the arithmetic per service", () => {
    const m = model(miniApp(), "staging", k8sEnv({ quota: { cpu: "500m", pods: 10 } }));
    expect(quotaFitProblems(m)).toEqual([
      {
        path: ["quota", "cpu"],
        message:
          "the workloads need requests.cpu 700m at peak but the quota allows 500m: web 100m × (2 replicas + 1 surge) = 300m; api 100m × (2 replicas + 1 surge) = 300m; db 100m × (1 replicas + 0 surge) = 100m; raise quota.cpu to at least 700m or lower replicas/resources",
      },
    ]);
  });

  it("accepts a quota the workloads fit exactly", () => {
    expect(quotaFitProblems(model(miniApp(), "staging", k8sEnv({ quota: { cpu: "700m", memory: "896Mi", pods: 7, persistentVolumeClaims: 1, storage: "1Gi" } })))).toEqual([]);
  });

  it("checks PVC count and storage", () => {
    const problems = quotaFitProblems(model(miniApp(), "staging", k8sEnv({ quota: { persistentVolumeClaims: 0, storage: "512Mi" } })));
    expect(problems.map((p) => p.path.join("."))).toEqual(["quota.persistentVolumeClaims", "quota.storage"]);
  });

  it("fails validation of a mandatory environment through guardrail ENVK-K8S-004", () => {
    const r = resolve(miniApp(), { staging: k8sEnv({ policy: { enforcement: "mandatory" }, quota: { cpu: "500m" } }) });
    const report = evaluatePolicy(r.environments, { crossEnvironment: false });
    const line = report.issues.map(formatIssue).find((l) => l.includes("ENVK-K8S-004"));
    expect(line).toMatch(/^<environment staging>: quota\.cpu: \[ENVK-K8S-004\] the workloads need requests\.cpu 700m at peak but the quota allows 500m/);
    expect(report.findings.find((f) => f.rule === "ENVK-K8S-004")!.severity).toBe("error");
  });
});
