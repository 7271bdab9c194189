import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { HealthModel, ServiceModel } from "../../lib/model/environment";
import { dockerHealth } from "../../lib/targets/docker/docker-health";
import { inContainerTest } from "../../lib/targets/shared/health";
import { inertModel } from "../../lib/targets/shared/terraform-literal";
import { dockerEnv, k8sEnv, miniApp, model, resolve, resourcesOf, resolveOne, synthJson } from "../helpers";

/*
 * Health checks on both targets (issue 11 §6): Kubernetes runs http/tcp/grpc/command natively per
 * role; Docker runs one check (the readiness check) inside the container, so an http/tcp/grpc
 * check needs a program in the image, named by health.probe, or a validation error says so.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** miniApp with `api`'s ports http 3000, grpc 9090 and its health replaced. */
const app = (health: unknown): AppConfig => {
  const base = miniApp();
  const ports = [{ name: "http", port: 3000 }, { name: "grpc", port: 9090 }];
  return { ...base, services: { ...base.services, api: { ...base.services.api, ports, health } as AppConfig["services"][string] } };
};
const container = (health: unknown, env: EnvironmentConfig = k8sEnv()): Json => {
  const json = synthJson([resolveOne(app(health), "staging", env)]).get("staging")!;
  return resourcesOf(json, "kubernetes_deployment_v1").find((d) => d.metadata.name === "api")!.spec.template.spec.container[0];
};
const dockerService = (health: unknown): ServiceModel => model(app(health), "dev", dockerEnv()).services.find((s) => s.name === "api")!;
const errors = (health: unknown, env: EnvironmentConfig, name: string): string =>
  resolve(app(health), { [name]: env })
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue)
    .join("\n");

describe("Kubernetes: native probes for every kind", () => {
  it("http: http_get on the port's number", () => {
    expect(container({ http: { path: "/health", port: "http" } }).liveness_probe).toEqual({ http_get: { path: "/health", port: "3000" }, period_seconds: 10, timeout_seconds: 5, failure_threshold: 3 });
  });

  it("tcp: a tcp_socket probe (no program in the image needed) on all three roles", () => {
    const c = container({ tcp: { port: "http" } });
    expect(c.readiness_probe).toEqual({ tcp_socket: [{ port: "3000" }], period_seconds: 5, timeout_seconds: 5, failure_threshold: 3, success_threshold: 1 });
    expect(c.liveness_probe.tcp_socket).toEqual([{ port: "3000" }]);
    expect(c.startup_probe).toEqual({ tcp_socket: [{ port: "3000" }], period_seconds: 10, timeout_seconds: 5, failure_threshold: 6 });
    for (const p of [c.readiness_probe, c.liveness_probe, c.startup_probe]) expect(p.http_get ?? p.exec ?? p.grpc).toBeUndefined();
  });

  it("grpc: a grpc probe with the port number and the health service name", () => {
    expect(container({ grpc: { port: "grpc", service: "shop.Api" } }).readiness_probe.grpc).toEqual([{ port: 9090, service: "shop.Api" }]);
  });

  it("grpc without a service (or with an empty one) asks for the server's overall health: no service field", () => {
    expect(container({ grpc: { port: "grpc" } }).liveness_probe.grpc).toEqual([{ port: 9090 }]);
    expect(container({ grpc: { port: "grpc", service: "" } }).liveness_probe.grpc).toEqual([{ port: 9090 }]);
  });

  it("command: an exec probe", () => {
    expect(container({ command: ["/bin/check", "--ready"] }).startup_probe.exec).toEqual({ command: ["/bin/check", "--ready"] });
  });

  it("readiness, liveness and startup each take their own check and timings; unset ones keep the service-wide check", () => {
    const c = container({
      http: { path: "/health", port: "http" },
      interval: "20s",
      startPeriod: "60s",
      readiness: { tcp: { port: "http" }, interval: "2s", retries: 1 },
      liveness: { grpc: { port: "grpc" }, timeout: "3s", retries: 6 },
      startup: { interval: "4s" },
    });
    expect(c.readiness_probe).toEqual({ tcp_socket: [{ port: "3000" }], period_seconds: 2, timeout_seconds: 5, failure_threshold: 1, success_threshold: 1 });
    expect(c.liveness_probe).toEqual({ grpc: [{ port: 9090 }], period_seconds: 20, timeout_seconds: 3, failure_threshold: 6 });
    // Startup: the service-wide http check, every 4s for 60s plus the retries.
    expect(c.startup_probe).toEqual({ http_get: { path: "/health", port: "3000" }, period_seconds: 4, timeout_seconds: 5, failure_threshold: 15 + 3 });
  });

  it("health.probe is for in-container checks only: Kubernetes probes natively and ignores it, without an error", () => {
    expect(errors({ tcp: { port: "http" }, probe: { tool: "nc" } }, k8sEnv(), "staging")).toBe("");
    expect(container({ tcp: { port: "http" }, probe: { command: ["/x"] } }).readiness_probe.exec).toBeUndefined();
  });

  it("a tcp or grpc check on Kubernetes needs no probe (no Docker validation error leaks over)", () => {
    expect(errors({ tcp: { port: "http" } }, k8sEnv(), "staging")).toBe("");
    expect(errors({ grpc: { port: "grpc" } }, k8sEnv(), "staging")).toBe("");
  });
});

describe("Docker: one in-container check, the readiness check", () => {
  it("http without a probe keeps the busybox/alpine wget line (unchanged output for existing apps)", () => {
    expect(dockerHealth(dockerService({ http: { path: "/health", port: "http" } }))).toEqual({
      healthcheck: { test: ["CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:3000/health' || exit 1"], interval: "10s", timeout: "5s", retries: 3, startPeriod: "30s" },
      wait: true,
      waitTimeout: Math.ceil(30 + 10 * 4 + 30),
    });
  });

  it.each<[string, unknown, string[]]>([
    ["http through curl (images with curl but no wget): exec form, no shell", { http: { path: "/health?full=1", port: "http" }, probe: { tool: "curl" } }, ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:3000/health?full=1"]],
    ["tcp through nc -z", { tcp: { port: "http" }, probe: { tool: "nc" } }, ["CMD", "nc", "-z", "127.0.0.1", "3000"]],
    ["grpc through grpc_health_probe with a service", { grpc: { port: "grpc", service: "shop.Api" }, probe: { tool: "grpc_health_probe" } }, ["CMD", "grpc_health_probe", "-addr=127.0.0.1:9090", "-service=shop.Api"]],
    ["grpc through grpc_health_probe without a service", { grpc: { port: "grpc" }, probe: { tool: "grpc_health_probe" } }, ["CMD", "grpc_health_probe", "-addr=127.0.0.1:9090"]],
    ["a distroless image's own probe command, verbatim", { grpc: { port: "grpc" }, probe: { command: ["/ko-app/healthcheck", "-port", "9090"] } }, ["CMD", "/ko-app/healthcheck", "-port", "9090"]],
    ["a command check: exec form, no probe needed", { command: ["pg_isready", "-U", "x"] }, ["CMD", "pg_isready", "-U", "x"]],
    ["the readiness role's check, not the service-wide one", { http: { path: "/h", port: "http" }, readiness: { tcp: { port: "http" } }, probe: { tool: "nc" } }, ["CMD", "nc", "-z", "127.0.0.1", "3000"]],
    ["liveness and startup overrides do not change the one Docker check", { command: ["/ok"], liveness: { tcp: { port: "http" } }, startup: { grpc: { port: "grpc" } } }, ["CMD", "/ok"]],
  ])("%s", (_what, health, test) => {
    expect(dockerHealth(dockerService(health)).healthcheck?.test).toEqual(test);
  });

  it("the readiness role's timings are the Docker check's timings; the start period stays the service's", () => {
    const h = dockerHealth(dockerService({ http: { path: "/h", port: "http" }, startPeriod: "12s", readiness: { interval: "3s", timeout: "2s", retries: 7 } }));
    expect(h.healthcheck).toMatchObject({ interval: "3s", timeout: "2s", retries: 7, startPeriod: "12s" });
    expect(h.waitTimeout).toBe(Math.ceil(12 + 3 * 8 + 30));
  });

  it("no health: no healthcheck block and no wait (a wait without a check fails every apply)", () => {
    const svc = model(miniApp(), "dev", dockerEnv({ services: { api: { health: null } } })).services.find((s) => s.name === "api")!;
    expect(dockerHealth(svc)).toEqual({ wait: false });
  });

  it("an environment's http over the app's command: Docker runs the http check too (same as Kubernetes)", () => {
    const base = app({ command: ["/bin/check"] });
    const svc = model(base, "dev", dockerEnv({ services: { api: { health: { http: { path: "/ready", port: "http" } } } } })).services.find((s) => s.name === "api")!;
    expect(dockerHealth(svc).healthcheck?.test).toEqual(["CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:3000/ready' || exit 1"]);
  });

  it("a probe command carrying a Terraform template reaches the check escaped (Terraform never evaluates it)", () => {
    const env = inertModel(model(app({ tcp: { port: "http" }, probe: { command: ["/probe", "${file(\"/etc/shadow\")}", "%{ if true }x%{ endif }"] } }), "dev", dockerEnv()));
    const svc = env.services.find((s) => s.name === "api")!;
    expect(dockerHealth(svc).healthcheck?.test).toEqual(["CMD", "/probe", '$${file("/etc/shadow")}', "%%{ if true }x%%{ endif }"]);
  });

  it("a model that bypassed validation (tcp without a probe) is refused when lowering, naming the fix", () => {
    const h: HealthModel = {
      intervalSeconds: 10,
      timeoutSeconds: 5,
      retries: 3,
      startPeriodSeconds: 30,
      readiness: { check: { kind: "tcp", port: 5432 }, own: false },
      liveness: { check: { kind: "tcp", port: 5432 }, own: false },
      startup: { check: { kind: "tcp", port: 5432 }, own: false },
    };
    expect(() => inContainerTest("db", h)).toThrow(/services\.db\.health\.tcp: the tcp check of "db" runs inside the container.*health\.probe\.tool: nc/);
  });
});

describe("Docker validation: a check with no way to run inside the container", () => {
  it.each<[string, unknown, RegExp]>([
    [
      "a tcp check without a probe",
      { tcp: { port: "http" } },
      /services\.api\.health\.tcp: on Docker the tcp check of "api" runs inside the container, which needs a program in the image to make it; set health\.probe\.tool: nc \(if the image has it\) or health\.probe\.command: \[\.\.\.\] naming a program the image has \(exec form, no shell\), or use a command check/,
    ],
    ["a grpc check without a probe", { grpc: { port: "grpc" } }, /services\.api\.health\.grpc: on Docker the grpc check of "api" runs inside the container.*set health\.probe\.tool: grpc_health_probe \(if the image has it\) or health\.probe\.command/],
    ["a readiness tcp check without a probe, located at the role", { http: { path: "/", port: "http" }, readiness: { tcp: { port: "http" } } }, /services\.api\.health\.readiness\.tcp: on Docker the tcp check of "api" runs inside the container/],
    ["a tool for another kind (curl for a tcp check)", { tcp: { port: "http" }, probe: { tool: "curl" } }, /services\.api\.health\.probe\.tool: on Docker "curl" runs http checks, and the health check of "api" is a tcp check; set health\.probe\.tool: nc/],
    ["a tool for another kind (nc for a grpc check)", { grpc: { port: "grpc" }, probe: { tool: "nc" } }, /services\.api\.health\.probe\.tool: on Docker "nc" runs tcp checks, and the health check of "api" is a grpc check; set health\.probe\.tool: grpc_health_probe/],
    ["a tool for another kind (grpc_health_probe for an http check)", { http: { path: "/", port: "http" }, probe: { tool: "grpc_health_probe" } }, /"grpc_health_probe" runs grpc checks, and the health check of "api" is a http check; set health\.probe\.tool: wget or curl/],
  ])("%s", (_what, health, message) => {
    expect(errors(health, dockerEnv(), "dev")).toMatch(message);
  });

  it.each<[string, unknown]>([
    ["http (wget by default)", { http: { path: "/", port: "http" } }],
    ["tcp with nc", { tcp: { port: "http" }, probe: { tool: "nc" } }],
    ["grpc with the user's command", { grpc: { port: "grpc" }, probe: { command: ["/probe"] } }],
    ["a command check", { command: ["/ok"] }],
    ["a readiness command check over a service-wide tcp check (Docker runs the command)", { tcp: { port: "http" }, readiness: { command: ["/ok"] } }],
  ])("passes: %s", (_what, health) => {
    expect(errors(health, dockerEnv(), "dev")).toBe("");
  });
});
