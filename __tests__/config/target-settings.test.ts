import * as path from "node:path";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { cli, copyReferenceApp, dockerEnv, edit, k8sEnv, miniApp, referenceEnv, resolve, resolveOne } from "../helpers";

/*
 * Settings a target does not read are errors on that target, never silently ignored (issue 11 §7):
 * an environment-wide setting only another target reads, or another target's whole block.
 */

function errorsOf(envs: Record<string, EnvironmentConfig>, app: AppConfig = miniApp()): string {
  return resolve(app, envs)
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue)
    .join("\n");
}

describe("settings a Docker environment would silently ignore are errors", () => {
  it.each<[string, Partial<EnvironmentConfig>, RegExp]>([
    ["a quota", { quota: { cpu: "4", memory: "8Gi" } }, /<environment dev>: quota: has no effect on target "docker" \(envkit has no environment-wide budget on a Docker host yet; bound each service with resources\.cpuLimit and resources\.memoryLimit\); remove quota from this environment, or run the environment on a target that reads it \("kubernetes"\)/],
    ["a domain", { domain: "dev.demo.example.com" }, /<environment dev>: domain: has no effect on target "docker" \(Docker publishes public services on docker\.publishAddress and their hostPort, without an ingress\); remove domain from this environment, or run the environment on a target that reads it \("kubernetes"\)/],
    ["an ingress TLS secret", { tls: { secretName: "demo-tls" } }, /<environment dev>: tls: has no effect on target "docker" \(Docker has no ingress to terminate TLS; .*\); remove tls from this environment/],
    ["a limit range", { limitRange: { cpu: "200m" } }, /<environment dev>: limitRange: has no effect on target "docker" \(on Docker every service has its own resources \(defaulted per service\)\); remove limitRange from this environment/],
    ["Kubernetes settings", { kubernetes: { podSecurity: "baseline" } }, /<environment dev>: kubernetes: settings of target "kubernetes" have no effect on target "docker"; remove the block, or set target: kubernetes/],
  ])("rejects %s", (_what, over, message) => {
    expect(errorsOf({ dev: dockerEnv(over) })).toMatch(message);
  });

  it("names the line of the ignored setting in the environment file", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "dev.yaml"), /^network:\n/m, "quota:\n  cpu: 4\nnetwork:\n");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/dev\.yaml:\d+: quota: has no effect on target "docker"/);
  });

  it("defaults never trigger it: the reference app's Docker environments carry no limit range, quota or domain", () => {
    for (const name of ["dev", "test"]) {
      const m = referenceEnv(name).model;
      expect({ limitRange: m.limitRange, quota: m.quota, domain: m.domain, effective: "limitRange" in m.effective }).toEqual({ limitRange: undefined, quota: undefined, domain: undefined, effective: false });
    }
    // …while Kubernetes environments still get the defaulted limit range.
    expect(referenceEnv("staging").model.limitRange).toEqual({ cpuMillis: 100, memoryBytes: 128 * 1024 ** 2, cpuLimitMillis: 500, memoryLimitBytes: 256 * 1024 ** 2 });
  });
});

describe("settings a Kubernetes environment would silently ignore are errors", () => {
  it("rejects a Docker block", () => {
    expect(errorsOf({ staging: k8sEnv({ docker: { publishAddress: "0.0.0.0" } }) })).toMatch(/<environment staging>: docker: settings of target "docker" have no effect on target "kubernetes"; remove the block, or set target: docker/);
  });

  it("rejects a network range", () => {
    expect(errorsOf({ staging: k8sEnv({ network: { subnet: "10.230.0.0/16" } }) })).toMatch(/<environment staging>: network\.subnet: has no effect on target "kubernetes" \(the cluster's network plugin assigns pod addresses; .*\); remove network\.subnet from this environment, or run the environment on a target that reads it \("docker", "swarm"\)/);
  });

  it("accepts what it reads: quota, limit range, domain and TLS", () => {
    const m = resolveOne(miniApp(), "staging", k8sEnv({ quota: { cpu: "8" }, limitRange: { cpu: "200m" }, tls: { secretName: "demo-tls" } })).model;
    expect([m.quota?.cpuMillis, m.limitRange?.cpuMillis, m.domain, m.tlsSecretName]).toEqual([8000, 200, "demo.example.com", "demo-tls"]);
  });
});

describe("each target's block: defaults, provenance and its own settings only", () => {
  it("fills the target's block from its adapter's defaults, and explain names the adapter's file and reason", () => {
    const r = cli("explain", "--config", path.join(__dirname, "..", "..", "examples", "reference-app"), "--env", "dev", "docker.host");
    expect(r.out).toBe('docker.host = "unix:///var/run/docker.sock"    # default (lib/targets/docker/options.ts: docker.host — the local Docker engine)');
  });

  it("does not default another target's block into the environment", () => {
    expect(Object.keys(referenceEnv("dev").model.effective)).not.toContain("kubernetes");
    expect(Object.keys(referenceEnv("staging").model.effective)).not.toContain("docker");
    expect(referenceEnv("staging").model.targetOptions).toMatchObject({ ingressNamespace: "ingress-nginx", ingressClassName: "nginx", podSecurity: "restricted", networkPolicies: true });
  });
});
