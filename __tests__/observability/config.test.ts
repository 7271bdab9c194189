import { formatIssue } from "../../lib/errors";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { dockerEnv, k8sEnv, miniApp, model, resolve } from "../helpers";

/** The issue lines of resolving `env` (as `staging`) over `app`. */
function problems(env: EnvironmentConfig, app: AppConfig = miniApp()): string[] {
  return resolve(app, { staging: env }).issues.filter((i) => i.severity !== "warning").map(formatIssue);
}
const withMetrics = (metrics: Record<string, unknown>): AppConfig => {
  const app = miniApp();
  return { ...app, services: { ...app.services, api: { ...app.services.api, metrics: metrics as never } } };
};

describe("services.<svc>.metrics, slo and monitoring: validation", () => {
  it("a metrics port the service does not have is named, with its ports", () => {
    expect(problems(k8sEnv(), withMetrics({ port: "htp" })).join("\n")).toMatch(/services\.api\.metrics\.port: names port "htp", which the service does not have \(did you mean "http"\?\); its ports: http/);
  });

  it("tiers that stop rising once an environment overrides one are refused (warning 90 over the default critical 85)", () => {
    expect(problems(k8sEnv({ monitoring: { cpu: { warning: 90 } } })).join("\n")).toMatch(/monitoring\.cpu\.warning: warning 90% must be below critical 85%/);
    expect(problems(k8sEnv({ monitoring: { memory: { emergency: 85 } } })).join("\n")).toMatch(/monitoring\.memory\.critical: critical 85% must be below emergency 85%/);
    expect(problems(k8sEnv({ monitoring: { disk: { warning: 95 } } })).join("\n")).toMatch(/monitoring\.disk\.warning: warning 95% must be below critical 90%/);
  });

  it("an error-rate threshold below the availability's error budget is refused", () => {
    expect(problems(k8sEnv({ slo: { availability: 99, errorRate: 0.5 } })).join("\n")).toMatch(/slo\.errorRate: 0\.5% is below the error budget of the availability \(1% of 99%\)/);
  });

  it("an availability of 100% (no budget) and a percentage above 100 are refused", () => {
    expect(problems(k8sEnv({ slo: { availability: 100 } })).join("\n")).toMatch(/slo\.availability: .*no error budget/);
    expect(problems(k8sEnv({ monitoring: { cpu: { emergency: 120 } } })).join("\n")).toMatch(/monitoring\.cpu\.emergency: .*at most 100/);
  });

  it("downAfter shorter than the scrape interval is refused", () => {
    expect(problems(k8sEnv({ monitoring: { downAfter: "10s", scrapeInterval: "30s" } })).join("\n")).toMatch(/monitoring\.downAfter: "10s" is shorter than scrapeInterval "30s"/);
  });

  it("a level that does not exist, and a receiver without its secret, are refused", () => {
    expect(problems(k8sEnv({ monitoring: { level: "verbose" as never } })).join("\n")).toMatch(/monitoring\.level/);
    expect(problems(dockerEnv({ monitoring: { receivers: [{ name: "oncall" } as never] } })).join("\n")).toMatch(/monitoring\.receivers\[0\]\.webhookSecret|monitoring\.receivers\.oncall\.webhookSecret/);
  });

  it("defaults come from the seeds: 99.95%, 0.1%, 500 ms, CPU 70/85/95, memory 80/85/90, down after 1m, level basic", () => {
    const m = model(withMetrics({ port: "http" }), "staging", k8sEnv());
    expect(m.slo).toEqual({ availability: 0.9995, errorRate: 0.001, latencyP99Seconds: 0.5 });
    expect(m.monitoring).toMatchObject({ level: "basic", downAfterSeconds: 60, scrapeIntervalSeconds: 15, cpu: { warning: 70, critical: 85, emergency: 95 }, memory: { warning: 80, critical: 85, emergency: 90 }, disk: { warning: 85, critical: 90 }, restarts: { count: 3, windowSeconds: 3600 }, stack: false });
    expect(m.services.find((s) => s.name === "api")!.metrics).toEqual({ portName: "http", port: 3000, path: "/metrics", requests: "http_requests_total", statusLabel: "code", latency: "http_request_duration_seconds" });
  });
});
