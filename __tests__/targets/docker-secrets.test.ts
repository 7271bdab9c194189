import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig } from "../../lib/config/schema";
import { inspectDockerStack } from "../../lib/targets/docker/docker-inspect";
import { containerCreateBody, tarOneFile } from "../integration/engine-api";
import { dockerEnv, isContainer, miniApp, resolveOne, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// The secrets mechanism itself, under recreate: no envkit proxy and plain container names (rolling's
// seeds and hashed names are covered in __tests__/strategies/docker-strategies.test.ts).
const recreate = (over: Parameters<typeof dockerEnv>[0] = {}) => dockerEnv({ rollout: { strategy: "recreate" }, ...over });
const synthOne = (app: AppConfig = miniApp(), env = recreate()): Json => synthJson([resolveOne(app, "dev", env)]).get("dev")!;
const entry = (json: Json, name: string): [string, Json] => {
  // Under rolling (the default) surged containers and their seed carry a replacement hash.
  const e = Object.entries((json.resource?.docker_container ?? {}) as Record<string, Json>).find(([, c]) => isContainer(c.name, name) || String(c.name).replace(/-[0-9a-f]{8}$/, "") === name);
  if (!e) throw new Error(`no docker_container named ${name}`);
  return e;
};
const container = (json: Json, name: string): Json => entry(json, name)[1];
const address = (json: Json, name: string): string => `docker_container.${entry(json, name)[0]}`;
const HOST_DIR = "/etc/envkit/secrets/dev";

describe("Docker secrets: a never-started seed writes them into a volume the read-only app mounts read-only", () => {
  const json = synthOne();
  const seed = container(json, "demo-dev-api-secrets-seed");
  const api = container(json, "demo-dev-api-1");
  const secretsVolume = (): string => {
    const [key] = Object.entries(json.resource.docker_volume as Record<string, Json>).find(([, v]) => v.name === "demo-dev-api-secrets")!;
    return `\${docker_volume.${key}.name}`;
  };

  it("never uploads into the read-only app container (the provider extracts at / and the engine refuses that)", () => {
    expect(api.read_only).toBe(true);
    for (const c of Object.values(json.resource.docker_container as Record<string, Json>)) if (c.read_only === true) expect({ c: c.name, upload: c.upload }).toEqual({ c: c.name, upload: undefined });
  });

  it("uploads each secret of the service from its sensitive variable, 0444 under /run/secrets, through the seed", () => {
    expect(seed.upload).toEqual([{ file: "/run/secrets/api_token", content: "${var.api_token}", permissions: "0444" }]);
    expect(json.variable.api_token).toEqual(expect.objectContaining({ sensitive: true, type: "string" }));
    expect(json.variable.api_token.default).toBeUndefined();
  });

  it("makes the seed inert: created but never started, kept when stopped, no network, no port", () => {
    expect({ start: seed.start, mustRun: seed.must_run, networkMode: seed.network_mode, networks: seed.networks_advanced, ports: seed.ports, wait: seed.wait }).toEqual({
      start: false,
      mustRun: false,
      networkMode: "none",
      networks: undefined,
      ports: undefined,
      wait: undefined,
    });
    // An entrypoint no image has: a seed started by hand fails at once.
    expect(seed.entrypoint).toEqual(["/envkit-secrets-seed-is-never-started"]);
  });

  it("gives the seed the writable root the upload needs, and otherwise the app's confinement", () => {
    expect(seed.read_only).toBe(false);
    expect({ user: seed.user, caps: seed.capabilities, opts: seed.security_opts }).toEqual({ user: api.user, caps: { drop: ["ALL"] }, opts: ["no-new-privileges:true"] });
  });

  it("builds the seed from the service's own image, the one image the stack always pulls", () => {
    expect(seed.image).toBe(api.image);
  });

  it("mounts the secrets volume writable in the seed and read-only in the app", () => {
    expect(seed.mounts).toEqual([{ type: "volume", source: secretsVolume(), target: "/run/secrets" }]);
    expect(api.mounts).toEqual([{ type: "volume", source: secretsVolume(), target: "/run/secrets", read_only: true }]);
  });

  it("creates the app after its seed and replaces it with the seed, so a new value is read (upload is ForceNew)", () => {
    const s = address(json, "demo-dev-api-secrets-seed");
    expect(api.depends_on).toEqual(expect.arrayContaining([s]));
    expect(api.lifecycle.replace_triggered_by).toEqual(expect.arrayContaining([`${s}.id`]));
  });

  it("ties every replica to the seed", () => {
    const j = synthOne(miniApp(), recreate({ services: { api: { replicas: 2 } } }));
    const s = address(j, "demo-dev-api-secrets-seed");
    for (const n of ["demo-dev-api-1", "demo-dev-api-2"]) expect({ n, trigger: container(j, n).lifecycle.replace_triggered_by.includes(`${s}.id`), dep: container(j, n).depends_on.includes(s) }).toEqual({ n, trigger: true, dep: true });
    expect(Object.values(j.resource.docker_container as Record<string, Json>).filter((c) => c.start === false)).toHaveLength(1);
  });

  it("gives a service without secrets no seed, no secrets volume and no /run/secrets mount", () => {
    expect(() => container(json, "demo-dev-web-secrets-seed")).toThrow(/no docker_container/);
    expect(() => container(json, "demo-dev-db-secrets-seed")).toThrow(/no docker_container/);
    expect(container(json, "demo-dev-web-1").mounts).toBeUndefined();
  });

  it("keeps the seed out of the guardrails' workloads (it runs nothing), while the app is judged as before", () => {
    const view = inspectDockerStack(json as never);
    expect(view.workloads.map((w) => w.resource)).not.toContain(address(json, "demo-dev-api-secrets-seed"));
    expect(view.workloads.map((w) => w.resource)).toContain(address(json, "demo-dev-api-1"));
    expect(view.workloads.every((w) => w.readOnlyRootFilesystem)).toBe(true);
  });

  it.each([
    ["start = true", { start: true }],
    ["a network", { network_mode: "bridge" }],
    ["networks_advanced", { networks_advanced: [{ name: "x" }] }],
    ["a published port", { ports: [{ internal: 80, external: 8080 }] }],
    ["publish_all_ports", { publish_all_ports: true }],
  ])("judges a seed an override gave %s as a workload (a writable root is then a finding)", (_what, patch) => {
    const j = JSON.parse(JSON.stringify(json)) as Json;
    Object.assign(j.resource.docker_container[entry(j, "demo-dev-api-secrets-seed")[0]], patch);
    const w = inspectDockerStack(j as never).workloads.find((x) => x.resource === address(j, "demo-dev-api-secrets-seed"));
    expect(w?.readOnlyRootFilesystem).toBe(false);
  });
});

describe("Docker secrets in Terraform state: every uploaded value is reported (ENVK-SEC-010's input; a literal is ENVK-SEC-001's)", () => {
  it("reports each upload from a variable, naming the resource, the file, the variable and the way out", () => {
    const json = synthOne();
    expect(inspectDockerStack(json as never).secretLeaks).toEqual([]);
    expect(inspectDockerStack(json as never).stateExposures).toEqual([
      {
        resource: address(json, "demo-dev-api-secrets-seed"),
        message:
          'upload of "/run/secrets/api_token" stores the value of var.api_token in Terraform state in clear text (kreuzwerker/docker 3.6.2 keeps upload.content unencrypted: it is neither sensitive nor write-only); set docker.secretsHostDir to bind-mount files that already exist on the Docker host instead, so no value passes through Terraform',
      },
    ]);
  });

  it("reports one finding per secret per seed in the reference app shape (three secrets over two services)", () => {
    const app = miniApp();
    const services = { ...app.services, db: { ...app.services.db, secrets: ["db_password"] }, api: { ...app.services.api, secrets: ["api_token", "db_password"] } };
    const json = synthOne({ ...app, services });
    const leaks = inspectDockerStack(json as never).stateExposures!;
    expect(leaks.map((l) => `${l.resource} ${/"([^"]+)"/.exec(l.message)![1]}`).sort()).toEqual(
      [`${address(json, "demo-dev-api-secrets-seed")} /run/secrets/api_token`, `${address(json, "demo-dev-api-secrets-seed")} /run/secrets/db_password`, `${address(json, "demo-dev-db-secrets-seed")} /run/secrets/db_password`].sort(),
    );
  });

  it.each([
    ["content", "hunter2-literal"],
    ["content_base64", "aHVudGVyMi1saXRlcmFs"],
  ])("reports a literal upload.%s added by an override without quoting the value", (attr, value) => {
    const json = synthOne();
    const [key] = entry(json, "demo-dev-web-1");
    json.resource.docker_container[key].upload = [{ file: "/etc/app/key", [attr]: value }];
    const leak = inspectDockerStack(json as never).secretLeaks.find((l) => l.resource === `docker_container.${key}`)!;
    expect(leak.message).toContain(`stores a literal value in Terraform state in clear text (kreuzwerker/docker 3.6.2 keeps upload.${attr} unencrypted`);
    expect(leak.message).not.toContain(value);
  });

  it("does not report an upload from `source` (read at apply time; only its hash is stored)", () => {
    const json = synthOne();
    const [key] = entry(json, "demo-dev-web-1");
    json.resource.docker_container[key].upload = [{ file: "/etc/app/key", source: "/secure/key", source_hash: "abc" }];
    const view = inspectDockerStack(json as never);
    expect([...view.secretLeaks, ...view.stateExposures!].map((l) => l.resource)).not.toContain(`docker_container.${key}`);
  });
});

describe("Docker secrets from docker.secretsHostDir: nothing passes through Terraform", () => {
  const json = synthOne(miniApp(), recreate({ docker: { secretsHostDir: HOST_DIR } }));

  it("declares no secret variable, so Terraform asks for none", () => {
    expect(json.variable).toBeUndefined();
  });

  it("bind-mounts each host file read-only, with no seed, no upload and no secrets volume", () => {
    expect(container(json, "demo-dev-api-1").mounts).toEqual([{ type: "bind", source: `${HOST_DIR}/api_token`, target: "/run/secrets/api_token", read_only: true }]);
    expect(Object.values(json.resource.docker_container as Record<string, Json>).filter((c) => c.upload !== undefined || c.start === false)).toEqual([]);
    expect(Object.values(json.resource.docker_volume as Record<string, Json>).map((v) => v.name)).toEqual(["demo-dev-db-data"]);
  });

  it("reports no state exposure", () => {
    expect(inspectDockerStack(json as never).secretLeaks).toEqual([]);
    expect(inspectDockerStack(json as never).stateExposures).toEqual([]);
  });
});

describe("the engine stand-in's own guarantees (no engine needed)", () => {
  const json = synthOne();

  it("refuses a container attribute it does not map, naming it and where to map it", () => {
    expect(() => containerCreateBody({ ...container(json, "demo-dev-api-1"), shm_size: 64 }, "docker_container.x")).toThrow(
      "docker_container.x.shm_size: the engine stand-in does not map this attribute; map it in __tests__/integration/engine-api.ts",
    );
  });

  it.each([
    ["mounts[0].volume_options", (c: Json) => ({ ...c, mounts: [{ ...c.mounts[0], volume_options: { no_copy: true } }] })],
    ["healthcheck.bogus", (c: Json) => ({ ...c, healthcheck: { ...c.healthcheck, bogus: 1 } })],
    ["capabilities.bogus", (c: Json) => ({ ...c, capabilities: { ...c.capabilities, bogus: [] } })],
  ])("refuses an unmapped nested attribute (%s)", (where, patch) => {
    expect(() => containerCreateBody(patch(container(json, "demo-dev-api-1")), "c")).toThrow(`c.${where}: the engine stand-in does not map this attribute`);
  });

  it("sends exec-form health checks verbatim, as the provider does", () => {
    const hc = containerCreateBody(container(json, "demo-dev-db-1"), "c").Healthcheck;
    expect(hc).toEqual({ Test: ["CMD", "pg_isready"], Interval: 10e9, Timeout: 5e9, StartPeriod: 30e9, StartInterval: 0, Retries: 3 });
  });

  it("writes a tar that GNU tar reads back with the provider's name, mode, owner and content", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-tar-"));
    try {
      const file = path.join(dir, "one.tar");
      fs.writeFileSync(file, tarOneFile("/run/secrets/db_password", 0o444, Buffer.from("s3cr3t\n")));
      expect(execFileSync("tar", ["-tvf", file, "--numeric-owner"], { encoding: "utf8" })).toMatch(/^-r--r--r-- 0\/0\s+7 .* \/run\/secrets\/db_password\n$/);
      expect(execFileSync("tar", ["-xOf", file], { encoding: "utf8" })).toBe("s3cr3t\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
