import * as fs from "node:fs";
import * as path from "node:path";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { REFERENCE_APP, cli, copyReferenceApp, dockerEnv, edit, k8sEnv, miniApp, resolve } from "../helpers";

/** Resolves and returns every error line (formatted). */
function errorsOf(app: AppConfig, envs: Record<string, EnvironmentConfig>): string[] {
  return resolve(app, envs)
    .issues.filter((i) => i.severity !== "warning")
    .map(formatIssue);
}
function warningsOf(app: AppConfig, envs: Record<string, EnvironmentConfig>): string[] {
  return resolve(app, envs)
    .issues.filter((i) => i.severity === "warning")
    .map(formatIssue);
}

const svc = (name: string, patch: Record<string, unknown>): AppConfig => {
  const app = miniApp();
  return { ...app, services: { ...app.services, [name]: { ...app.services[name], ...patch } as AppConfig["services"][string] } };
};

describe("validation of the reference app's broken copies (file:line: path: message)", () => {
  it("accepts the reference app (in its git checkout, where release history is available)", () => {
    const r = cli("validate", "--config", REFERENCE_APP);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^valid: dev \(docker\), prod \(kubernetes\), staging \(kubernetes\), swarm \(swarm\), test \(docker\)/);
  });

  it("rejects an unknown key with a did-you-mean suggestion and its line", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "staging.yaml"), "    replicas: 2\n    resources: { cpu: 200m", "    replcas: 2\n    resources: { cpu: 200m");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/staging\.yaml:\d+: services\.web\.replcas: unknown key "replcas" \(did you mean "replicas"\?\)/);
  });

  it("rejects broken YAML with the file and line", () => {
    const dir = copyReferenceApp();
    fs.appendFileSync(path.join(dir, "environments", "dev.yaml"), "oops: [unclosed\n");
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/dev\.yaml:\d+: YAML syntax error/);
  });

  it("names an environment's volume that app.yaml does not declare and that has no path, and explain says the same (no internal error)", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), "      - { name: data, size: 100Gi, storageClass: ssd }", "      - { name: data2, size: 100Gi, storageClass: ssd }");
    const message = /environments\/prod\.yaml:\d+: services\.db\.volumes\.data2: adds volume "data2", which app\.yaml does not declare for "db" \(its volumes: data\), without path/;
    for (const args of [["validate", "--config", dir], ["explain", "--config", dir, "--env", "prod"], ["synth", "--config", dir, "--out", path.join(dir, "out")]]) {
      const r = cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/internal error/);
    }
  });

  it("accepts a whole port that an environment adds", () => {
    expect(errorsOf(miniApp(), { dev: dockerEnv({ services: { web: { ports: [{ name: "admin", port: 9000 }] } } }) })).toEqual([]);
  });

  it("rejects a bad memory quantity and suggests the binary unit", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), "resources: { cpu: \"1\", memory: 1Gi }", "resources: { cpu: \"1\", memory: 512mb }");
    const r = cli("validate", "--config", dir);
    expect(r.err).toMatch(/environments\/prod\.yaml:\d+: services\.api\.resources\.memory: "512mb" has an unknown unit "mb"; did you mean "512Mi"\?/);
  });

  it("rejects a mutable release naming the guardrail rule", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), /api: "2\.4\.1@sha256:[a-f0-9]+"/, 'api: "latest"');
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/environments\/prod\.yaml:\d+: release\.api: \[ENVK-IMG-001\] release "latest" of "api" is mutable/);
  });

  it("rejects an unknown connection target with a suggestion", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "- { to: api, port: http }", "- { to: apy, port: http }");
    const r = cli("validate", "--config", dir);
    expect(r.err).toMatch(/app\.yaml:\d+: services\.web\.connections\.0\.to: connects to "apy", which is not a service \(did you mean "api"\?\)/);
  });

  it("rejects a secret value in config and says how to declare it", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "      DB_USER: shop\n      REDIS_HOST: cache\n      REDIS_PORT", "      DB_USER: shop\n      DB_PASSWORD: hunter2\n      REDIS_HOST: cache\n      REDIS_PORT");
    const r = cli("validate", "--config", dir);
    expect(r.err).toMatch(/app\.yaml:\d+: services\.api\.env\.DB_PASSWORD: \[ENVK-SEC-001\] "DB_PASSWORD" looks like a secret.*secrets: \[db_password\].*TF_VAR_db_password/);
    expect(r.err).not.toContain("hunter2");
  });

  it("rejects a bad name with a suggested fix", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "name: shop", "name: Shop_App");
    const r = cli("validate", "--config", dir);
    expect(r.err).toMatch(/app\.yaml:\d+: name: "Shop_App" is not a DNS-1123 label.*e\.g\. "shop-app"/);
  });

  it("reports all problems at once, one per line", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), /api: "2\.4\.1@sha256:[a-f0-9]+"/, 'api: "latest"');
    edit(path.join(dir, "environments", "staging.yaml"), "    replicas: 2\n    resources: { cpu: 200m", "    replcas: 2\n    resources: { cpu: 200m");
    edit(path.join(dir, "environments", "dev.yaml"), "subnet: 10.200.0.0/16", "subnet: 10.200.0.1/16");
    const r = cli("validate", "--config", dir);
    const lines = r.err.split("\n").filter((l) => l.includes(".yaml:"));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(r.err).toMatch(/1 error|3 error/);
  });

  it("names unknown environments in --env with a suggestion", () => {
    const r = cli("validate", "--config", copyReferenceApp(), "--env", "prd");
    expect(r.code).toBe(1);
    expect(r.err).toContain('no environment "prd" (did you mean "prod"?)');
  });

  it("reports a missing app.yaml and a missing folder", () => {
    expect(cli("validate", "--config", "/nonexistent-envkit").err).toContain("is not a folder");
    const dir = copyReferenceApp();
    fs.rmSync(path.join(dir, "app.yaml"));
    expect(cli("validate", "--config", dir).err).toMatch(/app\.yaml: is missing/);
  });
});

describe("suppression scopes", () => {
  const issuesOf = (scope: string) => resolve(miniApp(), { dev: dockerEnv({ policy: { enforcement: "advisory", suppressions: [{ rule: "ENVK-SEC-004", scope, reason: "the reason is long enough" }] } }) }).issues.map(formatIssue);

  it("refuses an empty scope, which would suppress the rule for the whole environment", () => {
    expect(issuesOf("").join("\n")).toMatch(/policy\.suppressions\.0\.scope: is empty, which would suppress the rule for the whole environment; name a service or resource path, or leave scope out/);
  });

  it("warns of a bare scope that names no service (a typo suppresses nothing), with a did-you-mean; a service or a resource path is fine", () => {
    expect(issuesOf("wbe")).toContainEqual(expect.stringMatching(/warning: policy\.suppressions\.0\.scope: "wbe" names no service of "dev" \(did you mean "web"\?\) and is no resource path/));
    for (const fine of ["web", "docker_container.x", "services.web.security"]) expect(issuesOf(fine).join("\n")).not.toMatch(/suppresses nothing/);
  });
});

describe("secret material by its shape, under any env name", () => {
  it("never quotes the value, and leaves ordinary values alone", () => {
    const key = `ghp_${"a1B2".repeat(9)}`;
    const messages = errorsOf(svc("api", { env: { UPSTREAM: key } }), { dev: dockerEnv() }).join("\n");
    expect(messages).toContain("holds a GitHub token");
    expect(messages).not.toContain(key);
    for (const value of ["Bearer", "use Bearer tokens", "AKIA", "ghp_short", "-----BEGIN CERTIFICATE-----", "xoxo", "Bearer tokens/are/configured/in/vault", "Bearer /var/run/secrets/kubernetes.io/serviceaccount/token", "ASIAPACIFICSOUTHEAST"]) {
      expect(errorsOf(svc("api", { env: { NOTE: value } }), { dev: dockerEnv() }).join("\n")).not.toMatch(/ENVK-SEC-001/);
    }
  });
});

describe("validation rules (objects from TypeScript)", () => {
  const ok = { dev: dockerEnv() };

  it("accepts the minimal app", () => {
    expect(errorsOf(miniApp(), ok)).toEqual([]);
  });

  it.each<[string, AppConfig, Record<string, EnvironmentConfig>, RegExp]>([
    ["missing release", miniApp(), { dev: dockerEnv({ release: { web: "1", api: "1" } }) }, /release\.db: no release for service "db"; pin an immutable image/],
    ["release for an unknown service", miniApp(), { dev: dockerEnv({ release: { web: "1", api: "1", db: "1", dbb: "1" } }) }, /release\.dbb: pins a release for "dbb", which app\.yaml does not define \(did you mean "db"\?\)/],
    ["release without tag or digest", miniApp(), { dev: dockerEnv({ release: { web: "1", api: "1", db: "acme/db:1" } }) }, /looks like a full image reference/],
    ["malformed digest", miniApp(), { dev: dockerEnv({ release: { web: "1", api: "1@sha256:123", db: "1" } }) }, /malformed digest "sha256:123"/],
    ["override of an unknown service", miniApp(), { dev: dockerEnv({ services: { wbe: { replicas: 1 } } }) }, /services\.wbe: overrides service "wbe", which app\.yaml does not define \(did you mean "web"\?\)/],
    ["an environment's new volume without a path", miniApp(), { dev: dockerEnv({ services: { db: { volumes: [{ name: "dat", size: "5Gi" }] } } }) }, /services\.db\.volumes\.dat: adds volume "dat", which app\.yaml does not declare for "db" \(its volumes: data\), without path; .*name a declared volume \(did you mean "data"\?\), or give this one its path/],
    ["an environment's volume for a service without volumes, without a path", miniApp(), { dev: dockerEnv({ services: { api: { kind: "stateful", volumes: [{ name: "data", size: "1Gi" }] } } }) }, /services\.api\.volumes\.data: adds volume "data", which app\.yaml does not declare for "api" \(its volumes: none\), without path; .*written whole: give it its path, or declare it in app\.yaml$/m],
    ["an environment's new port without a number", miniApp(), { dev: dockerEnv({ services: { web: { ports: [{ name: "grpc", protocol: "tcp" }] } } }) }, /services\.web\.ports\.grpc: adds port "grpc", which app\.yaml does not declare for "web" \(its ports: http\), without port; .*or give this one its port/],
    ["unknown port in a connection", svc("web", { connections: [{ to: "api", port: "grpc" }] }), ok, /"api" has no port named "grpc"; its ports: http/],
    ["connection to itself", svc("api", { connections: [{ to: "api", port: "http" }] }), ok, /cannot declare a connection to itself/],
    ["health check on an unknown port", svc("web", { health: { http: { path: "/", port: "htp" } } }), ok, /port "htp" is not a port of "web" \(did you mean "http"\?\)/],
    ["health check with both http and command", svc("web", { health: { http: { path: "/", port: "http" }, command: ["true"] } }), ok, /set either http or command, not both/],
    ["URL with an embedded password", svc("api", { env: { DATABASE_URL: "postgres://app:s3cret@db:5432/app" } }), ok, /embeds a password in a URL/],
    ["a private key in a neutral env name", svc("api", { env: { CONFIG: "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n" } }), ok, /services\.api\.env\.CONFIG: \[ENVK-SEC-001\] the value of "CONFIG" holds a private key \(not shown here\); declare it by name under services\.api\.secrets/],
    ["a GitHub token in a neutral env name", svc("api", { env: { UPSTREAM: `ghp_${"a1B2".repeat(9)}` } }), ok, /the value of "UPSTREAM" holds a GitHub token \(not shown here\)/],
    ["an AWS access key id in a neutral env name", svc("api", { env: { ID: "AKIAIOSFODNN7EXAMPLE" } }), ok, /the value of "ID" holds an AWS access key id/],
    ["a lowercase bearer credential", svc("api", { env: { AUTH: "bearer eyJhbGciOiJIUzI1NiJ9.e30.abcdefgh" } }), ok, /the value of "AUTH" holds a bearer credential/],
    ["a bearer credential in a neutral env name", svc("api", { env: { AUTH_HEADER: "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abcdefgh" } }), ok, /the value of "AUTH_HEADER" holds a bearer credential/],
    ["invalid env var name", svc("api", { env: { "1BAD": "x" } }), ok, /"1BAD" is not a valid environment variable name/],
    ["limit below request", svc("api", { resources: { memory: "512Mi", memoryLimit: "256Mi" } }), ok, /memoryLimit: 256Mi is below the memory request 512Mi/],
    ["CPU limit below request", svc("api", { resources: { cpu: "1", cpuLimit: "500m" } }), ok, /cpuLimit: 500m is below the CPU request 1/],
    ["volumes on a stateless service", svc("api", { volumes: [{ name: "data", path: "/data" }] }), ok, /"api" has volumes but kind is "stateless"; set kind: stateful/],
    ["root user with runAsNonRoot", svc("api", { security: { user: "0:0" } }), ok, /user "0:0" is root while runAsNonRoot is true/],
    ["non-numeric user", svc("api", { security: { user: "app" } }), ok, /must be numeric "uid" or "uid:gid"/],
    ["autoscaling min above max", svc("api", { autoscaling: { minReplicas: 5, maxReplicas: 2 } }), ok, /minReplicas 5 is above maxReplicas 2/],
    ["bad duration", svc("api", { health: { http: { path: "/", port: "http" }, interval: "10 seconds" } }), ok, /"10 seconds" is not a duration; write e\.g\. "30s"/],
    ["relative volume path", svc("db", { volumes: [{ name: "data", path: "data" }] }), ok, /must be an absolute path inside the container/],
    ["bad secret name", svc("api", { secrets: ["Api-Token"] }), ok, /secret names are lowercase letters, digits and _/],
    ["derived name too long", { ...miniApp(), name: "a-really-long-application-name-for-testing" }, { "staging-europe-west": dockerEnv() }, /derived resource names such as ".*" would be \d+ characters \(limit 63\)/],
    ["bad service name", { ...miniApp(), services: { ...miniApp().services, Bad_Name: { image: "acme/x" } } }, { dev: dockerEnv({ release: { web: "1", api: "1", db: "1", Bad_Name: "1" } }) }, /service name "Bad_Name" is not a DNS-1123 label/],
    ["CIDR with host bits", miniApp(), { dev: dockerEnv({ network: { subnet: "10.210.0.1/16" } }) }, /network\.subnet: "10\.210\.0\.1\/16" has host bits set; the network address of that range is "10\.210\.0\.0\/16"/],
    ["subnet too small", miniApp(), { dev: dockerEnv({ network: { subnet: "10.210.0.0/29" } }) }, /is too small; envkit carves one subnet per network/],
    ["docker environment without subnet and no default", miniApp(), { qa: dockerEnv({ network: {} }) }, /environment "qa" runs on docker and needs network\.subnet/],
    ["public Kubernetes service without domain", miniApp(), { staging: k8sEnv({ domain: undefined }) }, /domain: public services \(web\) need a domain for their ingress/],
    ["unknown backend type", miniApp(), { dev: dockerEnv({ backend: { type: "consul" } as never }) }, /backend\.type: unknown type "consul"; use one of "local", "s3"/],
    ["credential in backend", miniApp(), { dev: dockerEnv({ backend: { type: "s3", bucket: "b", key: "k", region: "r", secretKey: "x" } as never }) }, /credentials are never accepted in config/],
    ["suppression without a reason", miniApp(), { dev: dockerEnv({ policy: { suppressions: [{ rule: "ENVK-SEC-004", reason: "" }] } }) }, /a suppression needs a reason of at least 10 characters/],
    ["secret revision for an unknown secret", miniApp(), { dev: dockerEnv({ secretRevisions: { db_pass: 2 } }) }, /secretRevisions\.db_pass: "db_pass" is not a secret of any service; declared secrets: api_token/],
    ["wrong type", miniApp(), { dev: dockerEnv({ services: { api: { replicas: "two" as never } } }) }, /services\.api\.replicas: expected number, got "two"/],
    ["unknown target", miniApp(), { dev: dockerEnv({ target: "nomad" as never }) }, /target: "nomad" is not allowed; use one of "docker", "kubernetes", "swarm"/],
    ["bad environment name", miniApp(), { Dev_1: dockerEnv() }, /environment name \(from the file name\): "Dev_1" is not a DNS-1123 label/],
  ])("rejects %s", (_name, app, envs, message) => {
    const errors = errorsOf(app, envs);
    expect(errors.join("\n")).toMatch(message);
  });

  it("rejects overlapping subnets between environments", () => {
    const errors = errorsOf(miniApp(), { dev: dockerEnv(), test: dockerEnv({ network: { subnet: "10.210.128.0/17" } }) });
    expect(errors.join("\n")).toMatch(/\[ENVK-NET-002\] "10\.210\.128\.0\/17" of environment "test" overlaps .* "10\.210\.0\.0\/16" of environment "dev"/);
  });

  it("warns when a subnet sits in Docker's default address pools", () => {
    const w = warningsOf(miniApp(), { dev: dockerEnv({ network: { subnet: "172.20.0.0/16" } }) });
    expect(w.join("\n")).toMatch(/warning: network\.subnet: "172\.20\.0\.0\/16" overlaps Docker's default address pool 172\.20\.0\.0\/14/);
  });

  it("warns when a stateful service has no volume", () => {
    const app = svc("db", { volumes: [] });
    expect(warningsOf(app, { dev: dockerEnv() }).join("\n")).toMatch(/"db" is stateful but declares no volume/);
  });

  it("rejects a target envkit does not know, naming the ones it has", () => {
    const r = resolve(miniApp(), { dev: dockerEnv({ target: "nomad" as never }) });
    expect(r.issues.map(formatIssue).join("\n")).toMatch(/target: "nomad" is not allowed; use one of "docker", "kubernetes", "swarm"/);
  });

  it("rejects two public Docker services on the same host port", () => {
    const app = svc("api", { public: true, ports: [{ name: "http", port: 8080 }] });
    const errors = errorsOf(app, { dev: dockerEnv() });
    expect(errors.join("\n")).toMatch(/host port 8080\/tcp is already published by "web"; set a different hostPort/);
  });

  it("rejects a public Docker service with several replicas that bind the host port themselves (recreate: no proxy)", () => {
    expect(errorsOf(miniApp(), { dev: dockerEnv({ services: { web: { replicas: 2, rollout: { strategy: "recreate" } } } }) }).join("\n")).toMatch(/public service "web" has 2 replicas on one Docker host/);
  });

  it("rejects a replicated stateful Docker service", () => {
    expect(errorsOf(miniApp(), { dev: dockerEnv({ services: { db: { replicas: 2 } } }) }).join("\n")).toMatch(/stateful service "db" has 2 replicas, which would share one Docker volume/);
  });
});
