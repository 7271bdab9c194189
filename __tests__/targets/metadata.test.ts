import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { SAFE_SYSCTLS } from "../../lib/model/sysctls";
import { dockerEnv, k8sEnv, miniApp, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Svc = AppConfig["services"][string];

const withWeb = (over: Partial<Svc>): AppConfig => {
  const a = miniApp();
  return { ...a, services: { ...a.services, web: { ...a.services.web, ...over } } };
};
const swarmEnv = (over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({ target: "swarm", release: { web: "1.0.0", api: "1.0.0", db: "16.4" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over }) as EnvironmentConfig;
const synth = (a: AppConfig, env: EnvironmentConfig): Json => synthJson([resolveOne(a, "e", env)]).get("e")!;
const issuesOf = (a: AppConfig, env: EnvironmentConfig = dockerEnv(), severity: "error" | "warning" = "error"): string =>
  resolve(a, { e: env })
    .issues.filter((i) => (i.severity ?? "error") === severity)
    .map(formatIssue)
    .join("\n");
const META: Partial<Svc> = { labels: { team: "shop", "acme.com/tier": "front" }, annotations: { "acme.com/owner": "Team Shop <shop@acme.example>" }, terminationGracePeriod: "45s", sysctls: { "net.ipv4.tcp_keepalive_time": 600 } };

describe("metadata on Kubernetes", () => {
  const json = synth(withWeb(META), k8sEnv({ kubernetes: { imagePullSecrets: ["ghcr-pull"] } }));
  const web = resourcesOf(json, "kubernetes_deployment_v1").find((d) => d.metadata.name === "web")!;
  const pod = web.spec.template;

  it("puts the user's labels on the workload and pods, leaving the selector labels envkit's", () => {
    expect(web.metadata.labels).toMatchObject({ team: "shop", "acme.com/tier": "front", "app.kubernetes.io/name": "web" });
    expect(pod.metadata.labels).toMatchObject({ team: "shop", "app.kubernetes.io/name": "web" });
    expect(web.spec.selector.match_labels).toEqual({ "app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "demo-e" });
  });

  it("puts annotations on the pod template", () => {
    expect(pod.metadata.annotations).toEqual({ "acme.com/owner": "Team Shop <shop@acme.example>" });
  });

  it("sets the termination grace period, safe sysctls and pull secrets on the pod", () => {
    expect(pod.spec.termination_grace_period_seconds).toBe(45);
    expect(pod.spec.security_context.sysctl).toEqual([{ name: "net.ipv4.tcp_keepalive_time", value: "600" }]);
    expect(pod.spec.image_pull_secrets).toEqual([{ name: "ghcr-pull" }]);
  });

  it("defaults the grace period to 30s (explainable), not the API's implicit value", () => {
    const api = resourcesOf(json, "kubernetes_deployment_v1").find((d) => d.metadata.name === "api")!;
    expect(api.spec.template.spec.termination_grace_period_seconds).toBe(30);
  });

  it("warns that a stop signal has no effect (hashicorp/kubernetes 2.38 has no field for it)", () => {
    expect(issuesOf(withWeb({ stopSignal: "SIGQUIT" }), k8sEnv(), "warning")).toMatch(/services\.web\.stopSignal: SIGQUIT has no effect on target "kubernetes" .*bake STOPSIGNAL SIGQUIT into the image/);
  });

  it("outputs the namespace and every service's cluster address", () => {
    expect(json.output.namespace.value).toMatch(/kubernetes_namespace_v1\..*\.metadata\[0\]\.name/);
    expect(json.output.services.value.api).toEqual({ internal: ["api.demo-e.svc.cluster.local:3000"], public: [] });
    expect(json.output.services.value.web.public).toEqual(["http://web.demo.example.com"]);
  });
});

describe("metadata on Docker", () => {
  const json = synth(withWeb({ ...META, stopSignal: "SIGQUIT" }), dockerEnv({ docker: { registryAuth: [{ address: "ghcr.io", username: "bot", passwordSecret: "ghcr_password" }] } }));
  const web = resourcesOf(json, "docker_container").find((c) => /^demo-e-web-([0-9a-f]{8}-)?1$/.test(c.name))!;
  const label = (c: Json, k: string): string | undefined => c.labels.find((l: Json) => l.label === k)?.value;

  it("puts labels and annotations on the containers", () => {
    expect(label(web, "team")).toBe("shop");
    expect(label(web, "acme.com/owner")).toBe("Team Shop <shop@acme.example>");
    expect(label(web, "app.kubernetes.io/name")).toBe("web");
  });

  it("sets the stop signal, grace period (destroy and engine stop) and sysctls", () => {
    expect(web).toMatchObject({ stop_signal: "SIGQUIT", destroy_grace_seconds: 45, stop_timeout: 45, sysctls: { "net.ipv4.tcp_keepalive_time": "600" } });
  });

  it("gives CPU shares from the CPU request (1024 per core), and none when switched off", () => {
    expect(web.cpu_shares).toBe(102);
    const off = synth(miniApp(), dockerEnv({ docker: { cpuSharesFromRequests: false } }));
    expect(resourcesOf(off, "docker_container").every((c) => c.cpu_shares === undefined)).toBe(true);
  });

  it("authenticates to a private registry with the password from a sensitive variable", () => {
    expect(json.provider.docker[0].registry_auth).toEqual([{ address: "ghcr.io", username: "bot", password: "${var.ghcr_password}" }]);
    expect(json.variable.ghcr_password).toMatchObject({ sensitive: true, type: "string" });
  });

  it("refuses a registry password in config", () => {
    const env = dockerEnv({ docker: { registryAuth: [{ address: "ghcr.io", username: "bot", passwordSecret: "p", password: "hunter2" }] } } as unknown as Partial<EnvironmentConfig>);
    const msg = issuesOf(miniApp(), env);
    expect(msg).toMatch(/docker\.registryAuth\.0\.password: is not accepted here: a registry password is never accepted in config/);
    expect(msg).not.toContain("hunter2");
  });

  it("outputs every service's address on its networks and the published ports", () => {
    expect(json.output.services.value.web).toEqual({ internal: ["web:8080"], public: ["127.0.0.1:8080"] });
    expect(json.output.networks.value.length).toBeGreaterThan(0);
    expect(JSON.stringify(json.output)).not.toMatch(/var\./);
  });
});

describe("metadata on Swarm", () => {
  const json = synth(withWeb({ ...META, stopSignal: "SIGQUIT" }), swarmEnv({ swarm: { registryAuth: [{ address: "ghcr.io", username: "bot", passwordSecret: "api_token" }] } } as Partial<EnvironmentConfig>));
  const web = resourcesOf(json, "docker_service").find((s) => s.name === "demo-e-web")!;

  it("sets the stop signal, grace period and sysctls on the task", () => {
    expect(web.task_spec.container_spec).toMatchObject({ stop_signal: "SIGQUIT", stop_grace_period: "45s", sysctl: { "net.ipv4.tcp_keepalive_time": "600" } });
  });

  it("puts labels on the service and labels and annotations on its containers", () => {
    expect(web.labels).toContainEqual({ label: "team", value: "shop" });
    expect(web.task_spec.container_spec.labels).toContainEqual({ label: "acme.com/owner", value: "Team Shop <shop@acme.example>" });
  });

  it("reuses a service secret's variable as a registry password of the same name", () => {
    expect(json.provider.docker[0].registry_auth[0].password).toBe("${var.api_token}");
  });
});

describe("metadata validation", () => {
  it("refuses label keys in envkit's namespaces", () => {
    expect(issuesOf(withWeb({ labels: { "app.kubernetes.io/name": "x" } }))).toMatch(/services\.web\.labels\.app\.kubernetes\.io\/name: "app\.kubernetes\.io\/name" is in the app\.kubernetes\.io\/ namespace/);
    expect(issuesOf(withWeb({ annotations: { "envkit.dev/environment": "x" } }))).toMatch(/"envkit\.dev\/environment" is in the envkit\.dev\/ namespace/);
  });

  it("refuses keys that are not Kubernetes qualified names", () => {
    expect(issuesOf(withWeb({ labels: { "-team": "x" } }))).toMatch(/"-team" is not a label key/);
    expect(issuesOf(withWeb({ labels: { "Acme.com/team": "x" } }))).toMatch(/the prefix before "\/" must be a lowercase DNS subdomain/);
    expect(issuesOf(withWeb({ labels: { [`${"a".repeat(64)}`]: "x" } }))).toMatch(/is not a label key/);
  });

  it("refuses a label value Kubernetes rejects, pointing to annotations", () => {
    expect(issuesOf(withWeb({ labels: { owner: "Team Shop" } }))).toMatch(/the value of label "owner" must be at most 63 .* put free text in annotations instead/);
  });

  it("refuses an unsafe sysctl, listing the safe ones", () => {
    const msg = issuesOf(withWeb({ sysctls: { "kernel.msgmax": 65536 } }));
    expect(msg).toMatch(/services\.web\.sysctls\.kernel\.msgmax: "kernel\.msgmax" is not a safe namespaced sysctl/);
    for (const s of SAFE_SYSCTLS) expect(msg).toContain(s);
  });

  it("refuses a sysctl value that is not numbers", () => {
    expect(issuesOf(withWeb({ sysctls: { "net.ipv4.tcp_syncookies": "on" } }))).toMatch(/the value of "net\.ipv4\.tcp_syncookies" must be numbers/);
  });

  it("refuses a stop signal outside the list and a grace period that is not a duration", () => {
    expect(issuesOf(withWeb({ stopSignal: "SIGKILL" as never }))).toMatch(/services\.web\.stopSignal/);
    expect(issuesOf(withWeb({ terminationGracePeriod: "45" }))).toMatch(/services\.web\.terminationGracePeriod: "45" is not a duration/);
  });
});
