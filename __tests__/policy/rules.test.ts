import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv-draft-04";
import { EnvironmentConfig } from "../../lib/config/schema";
import { ResolvedEnvironment } from "../../lib/config/resolve";
import { formatIssue } from "../../lib/errors";
import { evaluatePolicy, evaluateSynthesized, viewOf } from "../../lib/policy/engine";
import { ruleCatalogue, toJson, toSarif, toText } from "../../lib/policy/report";
import { RULES, ruleById } from "../../lib/policy/rules";
import { RawFinding, ReleaseHistory } from "../../lib/policy/rule";
import { addEnvironmentStacks, newApp } from "../../lib/pipeline";
import { REFERENCE_APP, cli, copyReferenceApp, dockerEnv, edit, k8sEnv, miniApp, resolve, resolveOne, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const noHistory: ReleaseHistory = { available: true, releasesOf: () => new Set() };

/** Runs one JSON-pass rule over a synthesized environment, optionally edited like an escape hatch would. */
function jsonFindings(ruleId: string, env: ResolvedEnvironment, mutate?: (json: Json) => void): RawFinding[] {
  const json = synthJson([env]).get(env.model.name)!;
  mutate?.(json);
  return ruleById(ruleId)!.check({ pass: "json", env: env.model, stack: viewOf(env, json) });
}
const first = (json: Json, type: string): Json => Object.values(json.resource[type] as Record<string, Json>)[0];
// Surged containers carry a replacement hash (demo-dev-api-<hash8>-1): match the name without it.
const named = (json: Json, type: string, name: string): Json =>
  Object.values(json.resource[type] as Record<string, Json>).find((r) => {
    const n = String(r.name ?? r.metadata?.name);
    return n === name || n.replace(/-[0-9a-f]{8}(-\d+)$/, "$1") === name;
  })!;

const dockerDev = (): ResolvedEnvironment => resolveOne(miniApp(), "dev", dockerEnv());
const k8sStaging = (over: Partial<EnvironmentConfig> = {}): ResolvedEnvironment => resolveOne(miniApp(), "staging", k8sEnv(over));

describe("JSON-pass rules: a passing and a failing fixture each", () => {
  const dockerCases: [string, (j: Json) => void][] = [
    ["ENVK-IMG-001", (j) => (first(j, "docker_image").name = "ghcr.io/acme/web:latest")],
    ["ENVK-SEC-001", (j) => named(j, "docker_container", "demo-dev-api-1").env.push("DB_PASSWORD=hunter2")],
    ["ENVK-RES-001", (j) => delete named(j, "docker_container", "demo-dev-api-1").memory],
    ["ENVK-RES-002", (j) => delete named(j, "docker_container", "demo-dev-api-1").memory],
    ["ENVK-HLT-001", (j) => delete named(j, "docker_container", "demo-dev-api-1").healthcheck],
    ["ENVK-SEC-002", (j) => (named(j, "docker_container", "demo-dev-api-1").user = "0:0")],
    ["ENVK-SEC-003", (j) => (named(j, "docker_container", "demo-dev-api-1").security_opts = [])],
    ["ENVK-SEC-004", (j) => (named(j, "docker_container", "demo-dev-api-1").privileged = true)],
    ["ENVK-SEC-005", (j) => (named(j, "docker_container", "demo-dev-api-1").capabilities = { drop: [] })],
    ["ENVK-SEC-006", (j) => (named(j, "docker_container", "demo-dev-api-1").read_only = false)],
    ["ENVK-SEC-007", (j) => named(j, "docker_container", "demo-dev-api-1").security_opts.push("seccomp=unconfined")],
    ["ENVK-SEC-008", (j) => (named(j, "docker_container", "demo-dev-api-1").network_mode = "host")],
    ["ENVK-SEC-009", (j) => (named(j, "docker_container", "demo-dev-api-1").mounts = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }])],
    // The public web's port is published by the envkit proxy (rolling, the default).
    ["ENVK-NET-001", (j) => (named(j, "docker_container", "demo-dev-proxy").ports[0].ip = "0.0.0.0")],
  ];
  it.each(dockerCases)("%s on Docker: secure defaults pass, the escape hatch fails", (rule, mutate) => {
    expect(jsonFindings(rule, dockerDev())).toEqual([]);
    const found = jsonFindings(rule, dockerDev(), mutate);
    expect(found.length).toBeGreaterThan(0);
    expect(found[0].message.length).toBeGreaterThan(10);
  });

  const k8sCases: [string, (j: Json) => void][] = [
    ["ENVK-IMG-001", (j) => (named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].image = "ghcr.io/acme/api")],
    ["ENVK-SEC-001", (j) => (named(j, "kubernetes_secret_v1", "api-token").data = { value: "hunter2-literal" })],
    ["ENVK-SEC-010", (j) => (named(j, "kubernetes_secret_v1", "api-token").data = { value: "${var.api_token}" })],
    ["ENVK-RES-001", (j) => delete named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].resources.limits],
    ["ENVK-RES-002", (j) => delete named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].resources.requests],
    ["ENVK-HLT-001", (j) => delete named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].readiness_probe],
    ["ENVK-SEC-002", (j) => {
      const d = named(j, "kubernetes_deployment_v1", "api").spec.template.spec;
      d.container[0].security_context.run_as_non_root = false;
      d.security_context.run_as_non_root = false;
    }],
    ["ENVK-SEC-003", (j) => (named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].security_context.allow_privilege_escalation = true)],
    ["ENVK-SEC-004", (j) => (named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].security_context.privileged = true)],
    ["ENVK-SEC-005", (j) => (named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].security_context.capabilities.drop = ["NET_RAW"])],
    ["ENVK-SEC-006", (j) => (named(j, "kubernetes_deployment_v1", "api").spec.template.spec.container[0].security_context.read_only_root_filesystem = false)],
    ["ENVK-SEC-007", (j) => {
      const d = named(j, "kubernetes_deployment_v1", "api").spec.template.spec;
      d.container[0].security_context.seccomp_profile = { type: "Unconfined" };
      d.security_context.seccomp_profile = { type: "Unconfined" };
    }],
    ["ENVK-SEC-008", (j) => (named(j, "kubernetes_deployment_v1", "api").spec.template.spec.host_pid = true)],
    ["ENVK-SEC-009", (j) => named(j, "kubernetes_deployment_v1", "api").spec.template.spec.volume.push({ name: "host", host_path: { path: "/etc" } })],
    ["ENVK-K8S-001", (j) => delete j.resource.kubernetes_resource_quota_v1],
    ["ENVK-K8S-002", (j) => delete j.resource.kubernetes_limit_range_v1],
    ["ENVK-K8S-003", (j) => delete named(j, "kubernetes_network_policy_v1", "default-deny").spec.policy_types],
    ["ENVK-AVL-002", (j) => delete j.resource.kubernetes_pod_disruption_budget_v1],
    ["ENVK-STA-001", (j) => (j.terraform.backend = { local: { path: "../../../terraform.staging.tfstate" } })],
  ];
  it.each(k8sCases)("%s on Kubernetes: secure defaults pass, the escape hatch fails", (rule, mutate) => {
    const env = k8sStaging({ quota: { cpu: "4" } });
    expect(jsonFindings(rule, env)).toEqual([]);
    expect(jsonFindings(rule, env, mutate).length).toBeGreaterThan(0);
  });

  it("ENVK-SEC-010 on Docker: an uploaded secret is reported as kept in state; docker.secretsHostDir keeps it out", () => {
    expect(jsonFindings("ENVK-SEC-010", dockerDev()).map((f) => f.message)).toEqual([expect.stringMatching(/^upload of "\/run\/secrets\/api_token" stores the value of var\.api_token in Terraform state in clear text .*docker\.secretsHostDir/)]);
    expect(jsonFindings("ENVK-SEC-010", resolveOne(miniApp(), "dev", dockerEnv({ docker: { secretsHostDir: "/etc/envkit/secrets/dev" } })))).toEqual([]);
    expect(jsonFindings("ENVK-SEC-001", dockerDev())).toEqual([]);
  });

  it("covers every JSON-pass rule with a fixture", () => {
    const covered = new Set([...dockerCases, ...k8sCases].map(([r]) => r));
    expect(RULES.filter((r) => r.pass === "json").map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe("model and project rules: a passing and a failing fixture each", () => {
  const model = (env: ResolvedEnvironment, id: string) => ruleById(id)!.check({ pass: "model", env: env.model });
  const digest = `sha256:${"c".repeat(64)}`;

  it("ENVK-IMG-002: a production-like release without digest", () => {
    expect(model(k8sStaging(), "ENVK-IMG-002")).toEqual([]);
    const noDigest = k8sStaging({ release: { web: "1.0.0", api: `1.0.0@${digest}`, db: `16@${digest}` } });
    expect(model(noDigest, "ENVK-IMG-002")).toEqual([{ path: "release.web", service: "web", message: 'release "1.0.0" of "web" has no digest' }]);
  });

  it("ENVK-HLT-002: a public service without health check", () => {
    expect(model(dockerDev(), "ENVK-HLT-002")).toEqual([]);
    const app = miniApp();
    delete (app.services.web as { health?: unknown }).health;
    expect(model(resolveOne(app, "dev", dockerEnv()), "ENVK-HLT-002")[0].message).toBe('public service "web" has no health check');
  });

  it("ENVK-K8S-004: quota that the workloads do not fit", () => {
    // web 3 pods + api 3 pods + db 1 pod + db's backup pod, 100m each.
    expect(model(k8sStaging({ quota: { cpu: "800m" } }), "ENVK-K8S-004")).toEqual([]);
    expect(model(k8sStaging({ quota: { cpu: "700m" } }), "ENVK-K8S-004")[0].message).toMatch(/requests\.cpu 800m at peak but the quota allows 700m/);
  });

  it("ENVK-AVL-001: a production-like stateless service with one replica", () => {
    expect(model(k8sStaging(), "ENVK-AVL-001")).toEqual([]);
    expect(model(k8sStaging({ services: { web: { replicas: 1 }, api: { replicas: 2 } } }), "ENVK-AVL-001")[0]).toMatchObject({ path: "services.web.replicas", service: "web" });
  });

  it("ENVK-AVL-001: never tells a job, a cron job or a singleton to run two replicas", () => {
    const app = miniApp();
    app.services.api = { ...app.services.api, singleton: true };
    app.services.migrate = { image: "ghcr.io/acme/api", kind: "job", runBefore: ["api"], connections: [{ to: "db", port: "pg" }] };
    app.services.nightly = { image: "ghcr.io/acme/api", kind: "cronjob", schedule: "0 3 * * *" };
    const digest = `sha256:${"a".repeat(64)}`;
    const env = resolveOne(app, "staging", k8sEnv({ release: { web: `1@${digest}`, api: `1@${digest}`, db: `1@${digest}`, migrate: `1@${digest}`, nightly: `1@${digest}` }, services: { web: { replicas: 2 } } }));
    expect(model(env, "ENVK-AVL-001")).toEqual([]);
  });

  it("ENVK-NET-004: egress to 0.0.0.0/0, and any egress on Docker (no per-destination rule there)", () => {
    const withEgress = (egress: NonNullable<ReturnType<typeof miniApp>["services"]["api"]["egress"]>) => {
      const app = miniApp();
      app.services.api = { ...app.services.api, egress };
      return app;
    };
    expect(model(k8sStaging(), "ENVK-NET-004")).toEqual([]);
    expect(model(resolveOne(withEgress([{ cidr: "203.0.113.0/24", port: 443 }]), "staging", k8sEnv()), "ENVK-NET-004")).toEqual([]);
    expect(model(resolveOne(withEgress([{ cidr: "0.0.0.0/0", port: 443 }]), "staging", k8sEnv()), "ENVK-NET-004")).toEqual([{ path: "services.api.egress.0.cidr", service: "api", message: '"api" may reach every address (0.0.0.0/0) on port 443' }]);
    const docker = model(resolveOne(withEgress([{ host: "api.stripe.com", port: 443 }]), "dev", dockerEnv()), "ENVK-NET-004");
    expect(docker).toEqual([{ path: "services.api.egress.0", service: "api", message: expect.stringContaining('"api" egress to api.stripe.com:443: on Docker its egress network routes to every address') }]);
  });

  it("ENVK-DAT-001: a stateful service without a backup in a production-like environment", () => {
    expect(model(k8sStaging(), "ENVK-DAT-001")).toEqual([]);
    expect(model(k8sStaging({ services: { web: { replicas: 2 }, api: { replicas: 2 } } }), "ENVK-DAT-001")[0]).toMatchObject({ path: "services.db.backup", service: "db" });
  });

  it("ENVK-STA-001: local state in a production-like environment, judged by the stack's backend (none is Terraform's local default)", () => {
    expect(jsonFindings("ENVK-STA-001", k8sStaging())).toEqual([]);
    expect(jsonFindings("ENVK-STA-001", k8sStaging({ backend: { type: "local" } }))).toEqual([{ path: "backend", message: "state is kept in a local file" }]);
    expect(jsonFindings("ENVK-STA-001", k8sStaging(), (j) => delete j.terraform.backend)).toEqual([{ path: "backend", message: "state is kept in a local file" }]);
  });

  it("ENVK-NET-002: overlapping subnets (project pass)", () => {
    const a = resolveOne(miniApp(), "dev", dockerEnv()).model;
    const b = resolveOne(miniApp(), "test", dockerEnv({ network: { subnet: "10.211.0.0/16" } })).model;
    const c = resolveOne(miniApp(), "qa", dockerEnv({ network: { subnet: "10.210.0.0/17" } })).model;
    const rule = ruleById("ENVK-NET-002")!;
    expect(rule.check({ pass: "project", env: a, all: [a, b], history: noHistory })).toEqual([]);
    expect(rule.check({ pass: "project", env: c, all: [a, c], history: noHistory })[0].message).toBe('10.210.0.0/17 overlaps 10.210.0.0/16 of environment "dev"');
  });

  it("ENVK-REL-001: prod runs only releases staging runs or ran", () => {
    const staging = k8sStaging().model;
    // promotion.from must name an environment of the same application: resolve prod beside staging.
    const prodBeside = (env: EnvironmentConfig) => {
      const r = resolve(miniApp(), { staging: k8sEnv(), prod: env });
      const errors = r.issues.filter((i) => i.severity !== "warning" && !r.policy.issues.includes(i));
      if (errors.length) throw new Error(errors.map(formatIssue).join("\n"));
      return r.environments.find((e) => e.model.name === "prod")!;
    };
    const prodSame = prodBeside(k8sEnv({ promotion: { from: "staging" } })).model;
    const rule = ruleById("ENVK-REL-001")!;
    expect(rule.check({ pass: "project", env: prodSame, all: [staging, prodSame], history: noHistory })).toEqual([]);
    const newer = `2.0.0@${digest}`;
    const prodNew = prodBeside(k8sEnv({ promotion: { from: "staging" }, release: { web: newer, api: `1.0.0@${"sha256:" + "a".repeat(64)}`, db: `16.4@${"sha256:" + "a".repeat(64)}` } })).model;
    expect(rule.check({ pass: "project", env: prodNew, all: [staging, prodNew], history: noHistory })[0].message).toMatch(/"web" release "2\.0\.0@sha256:c+" never ran in "staging"/);
    const ranBefore: ReleaseHistory = { available: true, releasesOf: (e, s) => new Set(e === "staging" && s === "web" ? [newer] : []) };
    expect(rule.check({ pass: "project", env: prodNew, all: [staging, prodNew], history: ranBefore })).toEqual([]);
  });

  it("ENVK-NET-003: a tcp:// Docker host without TLS certificates", () => {
    const host = (docker: EnvironmentConfig["docker"]) => model(resolveOne(miniApp(), "prod", dockerEnv({ docker, policy: { enforcement: "mandatory" } })), "ENVK-NET-003");
    expect(host({ host: "tcp://docker.internal:2376", certPath: "/etc/docker/certs/prod" })).toEqual([]);
    expect(host({ host: "ssh://deploy@docker.internal" })).toEqual([]);
    expect(host(undefined)).toEqual([]); // the local unix socket
    expect(host({ host: "tcp://docker.internal:2376" })).toEqual([
      {
        path: "docker.host",
        message:
          '"tcp://docker.internal:2376" reaches the Docker engine over TCP and docker.certPath is not set: unless DOCKER_CERT_PATH names client certificates where terraform runs, the engine API (root on the host) and every uploaded secret cross the network unencrypted and unauthenticated',
      },
    ]);
    expect(host({ host: "tcp://10.0.0.5:2375" })[0].message).toMatch(/^"tcp:\/\/10\.0\.0\.5:2375" reaches the Docker engine over TCP \(2375 is the engine's port for the API without TLS\) and docker\.certPath is not set/);
  });

  it("covers every model and project rule with a fixture", () => {
    // The Swarm rules' passing and failing fixtures are in __tests__/targets/swarm.test.ts,
    // ENVK-MON-001's in __tests__/targets/docker-monitoring.test.ts.
    const covered = ["ENVK-MON-001", "ENVK-IMG-002", "ENVK-HLT-002", "ENVK-K8S-004", "ENVK-AVL-001", "ENVK-DAT-001", "ENVK-NET-002", "ENVK-NET-003", "ENVK-NET-004", "ENVK-REL-001", "ENVK-SWM-001", "ENVK-SWM-002", "ENVK-SWM-003"];
    expect(RULES.filter((r) => r.pass !== "json").map((r) => r.id).sort()).toEqual(covered.sort());
  });
});

describe("enforcement and suppressions", () => {
  const privileged = { api: { security: { privileged: true } } };

  function synthFindings(envs: ResolvedEnvironment[], today = "2026-11-22") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-pol-"));
    try {
      const app = newApp(dir, { skipValidation: true });
      addEnvironmentStacks(app, envs);
      app.synth();
      return evaluateSynthesized(envs, dir, { today });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("a privileged override is a warning in dev (advisory) and an error in prod (mandatory)", () => {
    const dev = resolveOne(miniApp(), "dev", dockerEnv({ services: privileged }));
    const prod = resolveOne(miniApp(), "prod", dockerEnv({ services: privileged, policy: { enforcement: "mandatory" }, network: { subnet: "10.220.0.0/16" } }));
    const r = synthFindings([dev, prod]);
    const sev = (env: string) => r.findings.find((f) => f.rule === "ENVK-SEC-004" && f.env === env)!.severity;
    expect(sev("dev")).toBe("warning");
    expect(sev("prod")).toBe("error");
  });

  it("defaults enforcement to advisory for dev and test and mandatory elsewhere", () => {
    const e = (name: string) => resolveOne(miniApp(), name, dockerEnv({ policy: undefined })).model.enforcement;
    expect([e("dev"), e("test"), e("staging"), e("prod"), e("qa")]).toEqual(["advisory", "advisory", "mandatory", "mandatory", "mandatory"]);
  });

  it("a suppression with a reason moves the finding to the suppressed list", () => {
    const dev = resolveOne(miniApp(), "dev", dockerEnv({ services: privileged, policy: { suppressions: [{ rule: "ENVK-SEC-004", scope: "api", reason: "needs to load a kernel module for the VPN sidecar" }] } }));
    const r = synthFindings([dev]);
    expect(r.findings.filter((f) => f.rule === "ENVK-SEC-004")).toEqual([]);
    expect(r.suppressed.map((s) => [s.rule, s.service, s.reason])).toEqual([["ENVK-SEC-004", "api", "needs to load a kernel module for the VPN sidecar"]]);
    expect(toText(r)).toContain("reason: needs to load a kernel module for the VPN sidecar");
    expect(JSON.parse(toJson(r)).suppressed[0]).toMatchObject({ rule: "ENVK-SEC-004", reason: "needs to load a kernel module for the VPN sidecar" });
  });

  it("a suppression scoped to another service does not apply", () => {
    const dev = resolveOne(miniApp(), "dev", dockerEnv({ services: privileged, policy: { suppressions: [{ rule: "ENVK-SEC-004", scope: "web", reason: "only the web service was reviewed" }] } }));
    expect(synthFindings([dev]).findings.filter((f) => f.rule === "ENVK-SEC-004")).toHaveLength(1);
  });

  it("an expired suppression is a finding again, saying so", () => {
    const dev = resolveOne(miniApp(), "dev", dockerEnv({ services: privileged, policy: { suppressions: [{ rule: "ENVK-SEC-004", reason: "temporary, until the VPN moves out", expires: "2026-01-31" }] } }));
    const f = synthFindings([dev], "2026-11-22").findings.find((x) => x.rule === "ENVK-SEC-004")!;
    expect(f.message).toContain("its suppression expired on 2026-01-31");
    expect(synthFindings([dev], "2026-01-31").findings.filter((x) => x.rule === "ENVK-SEC-004")).toEqual([]);
  });

  it.each(["2026-99-99", "2026-12-32", "2026-02-30", "0000-00-00", "2026-2-3"])("a suppression expiring on %s (no real date) is a configuration error", (expires) => {
    // Before, a month 99 never expired and a 30 February expired "on 2026-02-30".
    expect(() => resolveOne(miniApp(), "dev", dockerEnv({ policy: { suppressions: [{ rule: "ENVK-SEC-004", reason: "reviewed by the security team", expires }] } }))).toThrow(/policy\.suppressions\.0\.expires: must be a real date "YYYY-MM-DD"/);
    expect(() => resolveOne(miniApp(), "dev", dockerEnv({ policy: { suppressions: [{ rule: "ENVK-SEC-004", reason: "reviewed by the security team", expires: "2028-02-29" }] } }))).not.toThrow();
  });

  it("an ENVKIT_TODAY that is no real date is an error naming it (exit 1 from validate and releases record), not an internal error", () => {
    const before = process.env.ENVKIT_TODAY;
    process.env.ENVKIT_TODAY = "2026-02-30";
    try {
      const r = cli("validate", "--config", REFERENCE_APP);
      expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: 'ENVKIT_TODAY: must be a real date "YYYY-MM-DD" (got "2026-02-30"); suppression expiry is judged against it' });
      const record = cli("releases", "record", "--config", copyReferenceApp(), "--env", "prod");
      // The same exit code and message shape from every command.
      expect({ code: record.code, err: record.err }).toEqual({ code: 1, err: 'ENVKIT_TODAY: must be a real date "YYYY-MM-DD" (got "2026-02-30"); the record\'s date is taken from it' });
    } finally {
      if (before === undefined) delete process.env.ENVKIT_TODAY;
      else process.env.ENVKIT_TODAY = before;
    }
  });

  it("a suppression without a reason is a configuration error", () => {
    expect(() => resolveOne(miniApp(), "dev", dockerEnv({ policy: { suppressions: [{ rule: "ENVK-SEC-004" } as never] } }))).toThrow(/policy\.suppressions\.0\.reason: is required/);
  });

  it("a plain tcp:// Docker host is an error at docker.host in a mandatory environment (file:line), a warning in an advisory one, and suppressible", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "test.yaml"), /^docker:\n/m, "docker:\n  host: tcp://docker.test.internal:2375\n");
    const advisory = cli("validate", "--config", dir);
    expect(advisory.err).toMatch(/environments\/test\.yaml:\d+: warning: docker\.host: \[ENVK-NET-003\] "tcp:\/\/docker\.test\.internal:2375" reaches the Docker engine over TCP \(2375 is the engine's port/);
    edit(path.join(dir, "environments", "test.yaml"), "enforcement: advisory", "enforcement: mandatory");
    const mandatory = cli("validate", "--config", dir);
    expect(mandatory.code).toBe(1);
    expect(mandatory.err).toMatch(/environments\/test\.yaml:\d+: docker\.host: \[ENVK-NET-003\] .*DOCKER_CERT_PATH/);
    const suppressed = resolveOne(miniApp(), "qa", dockerEnv({ docker: { host: "tcp://docker.internal:2376" }, policy: { enforcement: "mandatory", suppressions: [{ rule: "ENVK-NET-003", reason: "DOCKER_CERT_PATH is set by the CI runner that applies qa" }] } }));
    const r = evaluatePolicy([suppressed], { crossEnvironment: false });
    expect(r.findings.filter((f) => f.rule === "ENVK-NET-003")).toEqual([]);
    expect(r.suppressed.map((f) => f.rule)).toEqual(["ENVK-NET-003"]);
  });

  it("an unsuppressible rule cannot be suppressed, and an unknown rule id is named", () => {
    const env = resolveOne(miniApp(), "dev", dockerEnv({ policy: { suppressions: [{ rule: "ENVK-SEC-001", reason: "we really want to keep it" }, { rule: "ENVK-SEC-044", reason: "a typo in the rule id" }] } }));
    const text = evaluatePolicy([env], { crossEnvironment: false }).issues.map(formatIssue).join("\n");
    expect(text).toContain("policy.suppressions.0.rule: rule ENVK-SEC-001 (Secret value in configuration or synthesized output) cannot be suppressed");
    expect(text).toMatch(/policy\.suppressions\.1\.rule: unknown rule "ENVK-SEC-044" \(did you mean "ENVK-SEC-004"\?\)/);
  });
});

describe("policy reports and the reference app", () => {
  it("the reference app has no mandatory finding in any environment", () => {
    const r = cli("policy", "--config", REFERENCE_APP, "--format", "json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.findings.filter((f: Json) => f.severity === "error")).toEqual([]);
    // Every suppression in use is one the environment files state with a reason.
    const suppressed = report.suppressed.map((s: Json) => `${s.env} ${s.rule}`);
    expect([...new Set(suppressed)].sort()).toEqual(["dev ENVK-SEC-009", "dev ENVK-SEC-010", "swarm ENVK-DAT-001", "swarm ENVK-NET-001", "swarm ENVK-SEC-003", "swarm ENVK-SEC-010", "test ENVK-NET-001", "test ENVK-SEC-009", "test ENVK-SEC-010"]);
  });

  it("changing a prod release to latest fails validate naming the rule", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "prod.yaml"), /web: "1\.27\.2-alpine@sha256:[a-f0-9]+"/, 'web: "latest"');
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/prod\.yaml:\d+: release\.web: \[ENVK-IMG-001\]/);
  });

  it("outside a git checkout and without a release record, promotion fails closed and says what is missing", () => {
    const dir = copyReferenceApp();
    fs.rmSync(path.join(dir, "releases.yaml"));
    const r = cli("validate", "--config", dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[ENVK-REL-001\] "api" release "2\.4\.1@.*never ran in "staging" as far as envkit can tell .*unavailable: the release record .*releases\.yaml \(no such file\), git history \(not a git checkout\)/);
  });

  it("outside a git checkout, the committed release record proves what staging ran", () => {
    const r = cli("validate", "--config", copyReferenceApp());
    expect(r.err).not.toMatch(/ENVK-REL-001/);
  });

  it("emits SARIF 2.1.0 that validates against the official schema", () => {
    const dev = resolveOne(miniApp(), "dev", dockerEnv({ services: { api: { security: { privileged: true } } }, policy: { suppressions: [{ rule: "ENVK-SEC-006", reason: "checked by hand for this test" }] } }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-sarif-"));
    const app = newApp(dir, { skipValidation: true });
    addEnvironmentStacks(app, [dev]);
    app.synth();
    const report = evaluateSynthesized([dev], dir);
    const sarif = JSON.parse(toSarif(report, "0.1.0"));
    // The OASIS SARIF 2.1.0 (rtm.5) JSON schema, as published on SchemaStore (draft-04).
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "sarif-2.1.0-rtm.5.schema.json"), "utf8"));
    const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
    ajv.addFormat("uri", /^[a-z][a-z0-9+.-]*:\S+$/i).addFormat("uri-reference", /^\S+$/).addFormat("date-time", /^\d{4}-\d{2}-\d{2}T/);
    const validate = ajv.compile(schema);
    expect(validate(sarif) ? [] : validate.errors).toEqual([]);
    expect(validate({ version: "2.1.0", runs: [{ results: [] }] })).toBe(false); // the validator does reject a run without a tool
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results.find((r: Json) => r.ruleId === "ENVK-SEC-004").level).toBe("warning");
    expect(sarif.runs[0].tool.driver.rules.map((r: Json) => r.id)).toEqual(RULES.map((r) => r.id));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("keeps docs/rules.md generated from the rule definitions", () => {
    const committed = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "rules.md"), "utf8");
    expect(committed).toBe(ruleCatalogue());
  });

  it("every rule has an id, a title, a rationale, a fix and references", () => {
    for (const r of RULES) {
      expect(r.id).toMatch(/^ENVK-[A-Z0-9]+-\d{3}$/);
      expect(r.title.length && r.rationale.length && r.fix.length && r.references.length).toBeTruthy();
    }
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});
