import { formatIssue } from "../../lib/errors";
import { evaluatePolicy } from "../../lib/policy/engine";
import { quotaFitProblems } from "../../lib/targets/kubernetes/quota-fit";
import { peakReplicas, surgeCount } from "../../lib/targets/shared/capacity";
import { k8sEnv, miniApp, model, resolve } from "../helpers";

describe("quota fit check", () => {
  it("counts replicas plus rolling-update surge for Deployments, none for StatefulSets", () => {
    const m = model(miniApp(), "staging", k8sEnv());
    expect(peakReplicas(m.services.find((s) => s.name === "api")!)).toMatchObject({ steady: 2, extra: 1 });
    expect(peakReplicas(m.services.find((s) => s.name === "db")!)).toMatchObject({ steady: 1, extra: 0 });
    expect(surgeCount("25%", 10)).toBe(3);
    expect(surgeCount(2, 10)).toBe(2);
  });

  it("uses the HPA maximum as the replica count", () => {
    const m = model(miniApp(), "staging", k8sEnv({ services: { web: { replicas: 2 }, api: { autoscaling: { minReplicas: 2, maxReplicas: 6 } } } }));
    expect(peakReplicas(m.services.find((s) => s.name === "api")!)).toMatchObject({ steady: 6, extra: 2 });
  });

  it("rejects an oversized environment with the arithmetic per service", () => {
    const m = model(miniApp(), "staging", k8sEnv({ quota: { cpu: "500m", pods: 10 } }));
    expect(quotaFitProblems(m)).toEqual([
      {
        path: ["quota", "cpu"],
        message:
          "the workloads need requests.cpu 800m at peak but the quota allows 500m: web 100m × 3 pods [rolling: 2 replicas + 1 surge (maxSurge 25%)] = 300m; api 100m × 3 pods [rolling: 2 replicas + 1 surge (maxSurge 25%)] = 300m; db 100m × 1 pods [rolling: 1 replicas + 0 surge (one pod at a time, no surge)] = 100m; db's backup 100m [its job's pod]; raise quota.cpu to at least 800m or lower replicas/resources",
      },
    ]);
  });

  it("accepts a quota the workloads and db's backup (its job's pod, its 10Gi claim) fit exactly", () => {
    expect(quotaFitProblems(model(miniApp(), "staging", k8sEnv({ quota: { cpu: "800m", memory: "1Gi", pods: 8, persistentVolumeClaims: 2, storage: "11Gi" } })))).toEqual([]);
  });

  it("counts a backup's claim and its job's pod, which ResourceQuota admission charges like any other", () => {
    const problems = quotaFitProblems(model(miniApp(), "staging", k8sEnv({ quota: { pods: 7, persistentVolumeClaims: 1, storage: "6Gi" }, services: { web: { replicas: 2 }, api: { replicas: 2 }, db: { volumes: [{ name: "data", path: "/var/lib/postgresql/data", size: "5Gi" }], backup: { method: "postgres", to: { volume: "backups", size: "1Gi" } } } } })));
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining("need pods 8 at peak but the quota allows 7: "),
      expect.stringContaining("need persistentvolumeclaims 2 at peak but the quota allows 1: "),
    ]);
    // 5Gi of data and the 1Gi backup claim fit 6Gi exactly.
    expect(problems[0].message).toContain("db's backup 1 [its job's pod]");
    expect(problems[1].message).toContain("db's backup 1 [its claim]");
  });

  it("checks PVC count and storage", () => {
    const problems = quotaFitProblems(model(miniApp(), "staging", k8sEnv({ quota: { persistentVolumeClaims: 0, storage: "512Mi" } })));
    expect(problems.map((p) => p.path.join("."))).toEqual(["quota.persistentVolumeClaims", "quota.storage"]);
  });

  it("fails validation of a mandatory environment through guardrail ENVK-K8S-004", () => {
    const r = resolve(miniApp(), { staging: k8sEnv({ policy: { enforcement: "mandatory" }, quota: { cpu: "500m" } }) });
    const report = evaluatePolicy(r.environments, { crossEnvironment: false });
    const line = report.issues.map(formatIssue).find((l) => l.includes("ENVK-K8S-004"));
    expect(line).toMatch(/^<environment staging>: quota\.cpu: \[ENVK-K8S-004\] the workloads need requests\.cpu 800m at peak but the quota allows 500m/);
    expect(report.findings.find((f) => f.rule === "ENVK-K8S-004")!.severity).toBe("error");
  });
});

describe("budget messages of large environments", () => {
  // 60 stateless services, one of them ten times larger: the message names the largest and counts the rest.
  function wide(n: number): ReturnType<typeof miniApp> {
    const services: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) services[`s${String(i).padStart(3, "0")}`] = { image: "ghcr.io/acme/s", ports: [{ name: "http", port: 8080 }], health: { http: { path: "/h", port: "http" } }, resources: { cpu: i === 42 ? "1" : "100m" } };
    return miniApp({ services: services as never });
  }
  const release = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${String(i).padStart(3, "0")}`, `1.0.0@sha256:${"a".repeat(64)}`]));

  it("lists the five largest contributors, the count and the sum of the rest (Kubernetes quota)", () => {
    const m = model(wide(60), "staging", k8sEnv({ release: release(60), services: {}, quota: { cpu: "1" } }));
    const [p] = quotaFitProblems(m);
    expect(p.path).toEqual(["quota", "cpu"]);
    expect(p.message).toContain("the 5 largest of 60 workloads: s042 1000m × 2 pods");
    expect(p.message).toMatch(/; and 55 more workloads with [0-9.]+m? together; raise quota\.cpu to at least /);
    // Every listed term is a service; 55 services are not named.
    const named = new Set(p.message.match(/\bs\d{3}\b/g));
    expect(named.size).toBe(5);
    // The listed amounts and the rest add up to the total the message names.
    const total = p.message.match(/need requests\.cpu (\S+) at peak/)![1];
    const listed = [...p.message.matchAll(/ = (\d+)m/g)].map((x) => Number(x[1]));
    const rest = p.message.match(/with (\S+) together/)![1];
    const milli = (t: string): number => (t.endsWith("m") ? Number(t.slice(0, -1)) : Number(t) * 1000);
    expect(listed).toEqual([2000, 200, 200, 200, 200]);
    expect(listed.reduce((x, y) => x + y, 0) + milli(rest)).toBe(milli(total));
    expect(p.message.length).toBeLessThan(1500);
  });

  it("keeps every term while there are at most five", () => {
    const m = model(wide(5), "staging", k8sEnv({ release: release(5), services: {}, quota: { cpu: "100m" } }));
    const [p] = quotaFitProblems(m);
    expect(p.message).not.toContain("largest");
    expect(new Set(p.message.match(/\bs\d{3}\b/g)).size).toBe(5);
  });
});
