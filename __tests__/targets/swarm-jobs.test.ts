import { AppConfig, EnvironmentConfig, ServiceConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { inspectSwarmStack } from "../../lib/targets/swarm/swarm-inspect";
import { miniApp, resolve, resolveOne, resourcesOf, synthJson } from "../helpers";

/*
 * `kind: job` on Swarm (lib/targets/swarm/swarm-environment.ts): the Docker target's job
 * container, run by apply on the manager the provider talks to, on attachable overlays.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIGEST = `sha256:${"a".repeat(64)}`;
const pinned = (names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, `1.0.0@${DIGEST}`]));
const migrate: ServiceConfig = { image: "ghcr.io/acme/tools", kind: "job", runBefore: ["api"], command: ["migrate", "up"], secrets: ["db_password"], connections: [{ to: "db", port: "pg" }] } as ServiceConfig;
function app(job: Partial<ServiceConfig> = {}): AppConfig {
  const base = miniApp();
  return { ...base, services: { ...base.services, migrate: { ...migrate, ...job } as ServiceConfig } };
}
const swarm = (a: AppConfig, over: Partial<EnvironmentConfig> = {}): EnvironmentConfig => ({ target: "swarm", release: pinned(Object.keys(a.services)), network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" }, ...over });
const synth = (a: AppConfig): Json => synthJson([resolveOne(a, "qa", swarm(a))]).get("qa")!;
const problems = (a: AppConfig): string => resolve(a, { qa: swarm(a) }).issues.map(formatIssue).join("\n");
const address = (json: Json, type: string, name: string): string => `${type}.${Object.entries(json.resource[type] as Record<string, Json>).find(([, r]) => r.name === name)![0]}`;
const byName = (json: Json, type: string, name: string): Json => resourcesOf(json, type).find((r) => r.name === name)!;

describe("jobs on Swarm", () => {
  const a = app();
  const json = synth(a);
  const job = byName(json, "docker_container", "demo-qa-migrate-1");

  it("validates: no refusal of the job", () => {
    expect(problems(a)).not.toMatch(/services\.migrate/);
  });

  it("is a container apply attaches to on the manager, failing the apply on a non-zero exit, never restarted, with the Docker target's hardening", () => {
    expect(job).toMatchObject({ attach: true, must_run: false, restart: "no", entrypoint: ["migrate", "up"], user: "10001:10001", read_only: true, capabilities: { drop: ["ALL"] }, security_opts: ["no-new-privileges:true"] });
    expect(job.lifecycle.postcondition).toEqual([expect.objectContaining({ condition: "${self.exit_code == 0}", error_message: expect.stringContaining('job "migrate" exited with a non-zero code') })]);
    // Not a docker_service: Swarm's replicated mode would restart or never report completion.
    expect(resourcesOf(json, "docker_service").map((s) => s.name)).not.toContain("demo-qa-migrate");
    expect(byName(json, "docker_image", `ghcr.io/acme/tools:1.0.0@${DIGEST}`)).toMatchObject({ keep_locally: true });
  });

  it("joins its overlay networks by name, which are attachable; every other overlay stays not attachable", () => {
    const nets = resourcesOf(json, "docker_network");
    const joined = (job.networks_advanced as Json[]).map((n) => n.name);
    expect(joined).toEqual([`\${${address(json, "docker_network", "demo-qa-migrate-to-db")}.name}`]);
    expect(Object.fromEntries(nets.map((n) => [n.name, n.attachable]))).toEqual({ "demo-qa-front": false, "demo-qa-web-to-api": false, "demo-qa-api-to-db": false, "demo-qa-migrate-to-db": true });
    expect(byName(json, "docker_network", "demo-qa-migrate-to-db")).toMatchObject({ driver: "overlay", internal: true });
    // Replaced with its network, as on Docker.
    expect(job.lifecycle.replace_triggered_by).toContain(`${address(json, "docker_network", "demo-qa-migrate-to-db")}.id`);
  });

  it("runs after the services it connects to converged, and the services it runs before depend on it", () => {
    expect(job.depends_on).toContain(address(json, "docker_service", "demo-qa-db"));
    expect(byName(json, "docker_service", "demo-qa-api").depends_on).toContain(address(json, "docker_container", "demo-qa-migrate-1"));
    expect(byName(json, "docker_service", "demo-qa-web").depends_on ?? []).not.toContain(address(json, "docker_container", "demo-qa-migrate-1"));
  });

  it("reads its secrets from files its seed uploads from the same variable as the docker_secret (a standalone container cannot mount a docker_secret)", () => {
    const seed = byName(json, "docker_container", "demo-qa-migrate-secrets-seed");
    expect(seed).toMatchObject({ start: false, network_mode: "none", upload: [{ file: "/run/secrets/db_password", content: "${var.db_password}", permissions: "0444" }] });
    expect(byName(json, "docker_secret", "demo-qa-db_password-r1").data).toBe("${base64encode(var.db_password)}");
    expect(job.env).toContain("DB_PASSWORD_FILE=/run/secrets/db_password");
    expect(job.mounts).toEqual([expect.objectContaining({ target: "/run/secrets", read_only: true, type: "volume" })]);
  });

  it("is seen by the guardrails: a workload that runs to completion, and the seed's upload a value in state (ENVK-SEC-010)", () => {
    const view = inspectSwarmStack(json);
    const jobAddress = address(json, "docker_container", "demo-qa-migrate-1");
    expect(view.workloads.filter((w) => w.resource === jobAddress)).toEqual([expect.objectContaining({ service: "migrate", runsToCompletion: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true })]);
    expect(view.stateExposures).toEqual(expect.arrayContaining([expect.objectContaining({ resource: address(json, "docker_container", "demo-qa-migrate-secrets-seed"), message: expect.stringMatching(/upload of "\/run\/secrets\/db_password" stores the value of var\.db_password in Terraform state .*; on Swarm a job's secrets seed writes the value its docker_secret holds in state already/) })]));
    // No Docker-only fix on Swarm.
    for (const e of view.stateExposures ?? []) expect(e.message).not.toMatch(/docker\.secretsHostDir/);
  });

  it("a job's config file directly under / is refused with the fix (its folder is a volume, as on Docker)", () => {
    expect(problems(app({ files: [{ path: "/schema.sql", content: "select 1;" }] }))).toMatch(
      /services\.migrate\.files\.0\.path: "\/schema\.sql" is directly under "\/"; on Swarm \(a job runs as a container on the manager\) a config file's folder is mounted as a volume, and "\/" cannot be one: put the file in a folder \(e\.g\. "\/etc\/app\/schema\.sql"\)/,
    );
    expect(problems(app({ files: [{ path: "/etc/vote/schema.sql", content: "select 1;" }] }))).not.toMatch(/services\.migrate\.files/);
  });

  it("an environment without a job keeps every overlay not attachable", () => {
    const plain = miniApp();
    for (const n of resourcesOf(synthJson([resolveOne(plain, "qa", swarm(plain))]).get("qa")!, "docker_network")) expect({ n: n.name, attachable: n.attachable }).toEqual({ n: n.name, attachable: false });
  });
});
