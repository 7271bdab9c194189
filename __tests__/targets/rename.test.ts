/*
 * A renamed service (`services.<new>.renamedFrom: <old>`) is a move on every target: a `moved`
 * block from each of its resources' addresses under the old name (as the old configuration
 * synthesizes them) to the new ones, and what holds its data keeps the old name.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { formatIssue } from "../../lib/errors";
import { App, TerraformStack } from "../../lib/facade/cdktf";
import { EnvironmentModel } from "../../lib/model/environment";
import { validateDir } from "../../lib/pipeline";
import { adapterFor } from "../../lib/targets/registry";
import { StatefulService } from "../../lib/constructs/stateful-service";
import { EnvironmentStack, configureBackend } from "../../stacks/environment-stack";
import { copyReferenceApp, dockerEnv, edit, filesOf, k8sEnv, miniApp, resolve, resolveOne, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DIGEST = `sha256:${"a".repeat(64)}`;
const swarmEnv = (): EnvironmentConfig => ({ target: "swarm", release: { web: "1.0.0", api: "1.0.0", db: "16.4" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" } }) as EnvironmentConfig;
const TARGETS: Record<string, () => EnvironmentConfig> = { docker: () => dockerEnv(), kubernetes: () => k8sEnv(), swarm: swarmEnv };

/** miniApp with `db` renamed to `database` (and api connecting to the new name). */
function renamedApp(): AppConfig {
  const app = miniApp();
  const { db, ...rest } = app.services;
  return {
    ...app,
    services: { ...rest, api: { ...rest.api, connections: [{ to: "database", port: "pg" }] }, database: { ...db, renamedFrom: "db" } },
  };
}

/** The environment with releases (and per-service overrides) keyed by the new name. */
function renamedEnv(env: EnvironmentConfig): EnvironmentConfig {
  const { db, ...release } = env.release as Record<string, string>;
  const { db: dbOverlay, ...services } = (env.services ?? {}) as Record<string, NonNullable<EnvironmentConfig["services"]>[string]>;
  return { ...env, release: { ...release, database: db }, ...(env.services ? { services: { ...services, ...(dbOverlay ? { database: dbOverlay } : {}) } } : {}) };
}

/** Every resource address (`type.name`) of a synthesized stack. */
function addresses(json: Json): Set<string> {
  const out = new Set<string>();
  for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Json>)) for (const name of Object.keys(byName)) out.add(`${type}.${name}`);
  return out;
}

/** Resource addresses whose construct path passes through the service construct `service`. */
function addressesOf(json: Json, service: string): string[] {
  const out: string[] = [];
  for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, Json>)) {
    for (const [name, body] of Object.entries(byName as Record<string, Json>)) if ((body["//"].metadata.path as string).split("/").includes(service)) out.push(`${type}.${name}`);
  }
  return out.sort();
}

/** The first resource of `type` whose construct path passes through `service`. */
function bodyOf(json: Json, type: string, service: string, idEnd: string): Json {
  const hit = Object.values((json.resource?.[type] ?? {}) as Record<string, Json>).find((b) => {
    const p = (b["//"].metadata.path as string).split("/");
    return p.includes(service) && p[p.length - 1] === idEnd;
  });
  if (!hit) throw new Error(`no ${type} ${service}/${idEnd}`);
  const { "//": _meta, ...rest } = hit; // eslint-disable-line @typescript-eslint/no-unused-vars
  return rest;
}

function synthBoth(target: string): { before: Json; after: Json } {
  const env = TARGETS[target]();
  const before = synthJson([resolveOne(miniApp(), "dev", env)]).get("dev")!;
  const after = synthJson([resolveOne(renamedApp(), "dev", renamedEnv(env))]).get("dev")!;
  return { before, after };
}

describe.each(Object.keys(TARGETS))("a renamed service on %s is a move", (target) => {
  const { before, after } = synthBoth(target);
  const moved = (after.moved ?? []) as { from: string; to: string }[];

  it("emits a moved block for every resource the old service had, from its old address to its new one", () => {
    const old = addressesOf(before, "db");
    expect(old.length).toBeGreaterThan(0);
    expect(moved.map((m) => m.from).sort()).toEqual(old);
    expect(moved.map((m) => m.to).sort()).toEqual(addressesOf(after, "database"));
  });

  it("points every moved.from at an address the old configuration synthesizes and every moved.to at one the new one does", () => {
    const was = addresses(before);
    const is = addresses(after);
    for (const m of moved) {
      expect(was.has(m.from)).toBe(true);
      expect(is.has(m.to)).toBe(true);
      expect(is.has(m.from)).toBe(false); // the old address is gone, or Terraform refuses the move
      expect(m.from.split(".")[0]).toBe(m.to.split(".")[0]);
    }
  });

  it("emits no moved block for services that were not renamed", () => {
    const renamedTo = new Set(addressesOf(after, "database"));
    for (const m of moved) expect(renamedTo.has(m.to)).toBe(true);
  });
});

describe("a renamed stateful service keeps its data", () => {
  it("docker: the volume keeps its name and labels (both ForceNew), so the moved volume is unchanged", () => {
    const { before, after } = synthBoth("docker");
    expect(bodyOf(after, "docker_volume", "database", "volume-data")).toEqual(bodyOf(before, "docker_volume", "db", "volume-data"));
    expect(bodyOf(after, "docker_volume", "database", "volume-data").name).toBe("demo-dev-db-data");
  });

  it("docker: the containers take the new name and mount the kept volume", () => {
    const { after } = synthBoth("docker");
    const c = bodyOf(after, "docker_container", "database", "container-1");
    expect(c.name).toBe("demo-dev-database-1");
    const volume = Object.entries(after.resource.docker_volume as Record<string, Json>).find(([, v]) => v.name === "demo-dev-db-data")![0];
    expect(c.mounts).toEqual(expect.arrayContaining([expect.objectContaining({ source: `\${docker_volume.${volume}.name}`, target: "/var/lib/postgresql/data" })]));
  });

  it("kubernetes: the StatefulSet keeps the old name, so its pods re-bind the retained claims <template>-db-<n>", () => {
    const { after } = synthBoth("kubernetes");
    const sts = bodyOf(after, "kubernetes_stateful_set_v1", "database", "workload");
    expect(sts.metadata.name).toBe("db");
    expect(sts.spec.persistent_volume_claim_retention_policy).toEqual([{ when_deleted: "Retain", when_scaled: "Retain" }]);
    expect(sts.spec.volume_claim_template.map((t: Json) => t.metadata.name)).toEqual(["data"]);
    // The rest of the service takes the new name: other services reach it by it.
    expect(bodyOf(after, "kubernetes_service_v1", "database", "service").metadata.name).toBe("database");
  });

  it("swarm: the named volume and the node pin keep the old name (the volume lives on that node)", () => {
    const { before, after } = synthBoth("swarm");
    const was = bodyOf(before, "docker_service", "db", "service");
    const is = bodyOf(after, "docker_service", "database", "service");
    expect(is.name).toBe("demo-dev-database");
    expect(is.task_spec.container_spec.mounts.filter((m: Json) => m.type === "volume")).toEqual(was.task_spec.container_spec.mounts.filter((m: Json) => m.type === "volume"));
    expect(is.task_spec.placement.constraints).toEqual(was.task_spec.placement.constraints);
  });
});

describe("renamedFrom from the TypeScript constructs", () => {
  it("a StatefulService with renamedFrom moves the same addresses as the YAML path", () => {
    const RELEASE = `16.4@${DIGEST}`;
    const stack = new EnvironmentStack(new App(), "dev", { app: "demo", target: "docker", settings: { network: { subnet: "10.210.0.0/16" } }, onWarning: () => undefined });
    new StatefulService(stack, "database", { renamedFrom: "db", image: "docker.io/library/postgres", release: RELEASE, ports: [{ name: "pg", port: 5432 }], health: { command: ["pg_isready"] }, security: { user: "70:70" }, volumes: { data: { path: "/var/lib/postgresql/data" } } });
    const json = JSON.parse(JSON.stringify(stack.toTerraform())) as Json;
    const moved = (json.moved ?? []) as { from: string; to: string }[];
    expect(moved.length).toBeGreaterThan(0);
    const original = new EnvironmentStack(new App(), "dev", { app: "demo", target: "docker", settings: { network: { subnet: "10.210.0.0/16" } }, onWarning: () => undefined });
    new StatefulService(original, "db", { image: "docker.io/library/postgres", release: RELEASE, ports: [{ name: "pg", port: 5432 }], health: { command: ["pg_isready"] }, security: { user: "70:70" }, volumes: { data: { path: "/var/lib/postgresql/data" } } });
    const was = JSON.parse(JSON.stringify(original.toTerraform())) as Json;
    expect(moved.map((m) => m.from).sort()).toEqual(addressesOf(was, "db"));
    expect(moved.map((m) => m.to).sort()).toEqual(addressesOf(json, "database"));
  });
});

describe("renamedFrom validation (file:line: path: message)", () => {
  const errors = (app: AppConfig, env: EnvironmentConfig = renamedEnv(dockerEnv())): string[] =>
    resolve(app, { dev: env }).issues.filter((i) => i.severity !== "warning").map(formatIssue);

  it("refuses a rename whose old name is still a service (two services would claim one state)", () => {
    const app = renamedApp();
    const withOld = { ...app, services: { ...app.services, db: miniApp().services.db } };
    const env = { ...renamedEnv(dockerEnv()), release: { ...(renamedEnv(dockerEnv()).release as Record<string, string>), db: "16.4" } };
    expect(errors(withOld, env).join("\n")).toMatch(/services\.database\.renamedFrom: "db" is still a service in app\.yaml, so "database" cannot take over its state; remove services\.db/);
  });

  it("refuses two services renamed from the same old name", () => {
    const app = renamedApp();
    const twice = { ...app, services: { ...app.services, db2: { ...app.services.database } } };
    const env = { ...renamedEnv(dockerEnv()), release: { ...(renamedEnv(dockerEnv()).release as Record<string, string>), db2: "16.4" } };
    expect(errors(twice, env).join("\n")).toMatch(/services\.db2\.renamedFrom: "db" is already renamed to "database"; a service is renamed to one name/);
  });

  it("refuses a rename from the service's own name", () => {
    const app = miniApp();
    const self = { ...app, services: { ...app.services, db: { ...app.services.db, renamedFrom: "db" } } };
    expect(errors(self, dockerEnv()).join("\n")).toMatch(/services\.db\.renamedFrom: "db" is this service's own name; remove renamedFrom/);
  });

  it.each([["Old_DB"], ["-db"], ["x".repeat(64)], [""]])("refuses an old name that is not a DNS label: %j", (bad) => {
    const app = renamedApp();
    const broken = { ...app, services: { ...app.services, database: { ...app.services.database, renamedFrom: bad } } };
    expect(errors(broken).join("\n")).toMatch(/services\.database\.renamedFrom: /);
  });

  it("refuses an old name JavaScript objects reserve (it becomes a construct id)", () => {
    const app = renamedApp();
    const broken = { ...app, services: { ...app.services, database: { ...app.services.database, renamedFrom: "constructor" } } };
    expect(errors(broken).join("\n")).toMatch(/services\.database\.renamedFrom: "constructor" cannot name a renamed service/);
  });

  it("refuses renamedFrom in an environment file (a rename is of the application, everywhere at once)", () => {
    const env = { ...renamedEnv(dockerEnv()), services: { database: { renamedFrom: "db" } } } as EnvironmentConfig;
    expect(errors(renamedApp(), env).join("\n")).toMatch(/services\.database\.renamedFrom: a rename is declared once, in app\.yaml/);
  });

  it("locates the error at app.yaml's line of renamedFrom", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "app.yaml"), "  cache:\n", "  cache:\n    renamedFrom: db\n");
    const lines = fs.readFileSync(path.join(dir, "app.yaml"), "utf8").split("\n");
    const line = lines.findIndex((l) => l.includes("renamedFrom: db")) + 1;
    const issues = validateDir(dir, "dev").issues.filter((i) => i.severity !== "warning").map(formatIssue);
    expect(issues.join("\n")).toContain(`app.yaml:${line}: services.cache.renamedFrom: "db" is still a service in app.yaml`);
  });
});

describe("IndependentStack with moved blocks is byte-identical to stock cdktf", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function synthFiles(kind: "envkit" | "stock", envs: readonly EnvironmentModel[]): Map<string, Buffer> {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `envkit-rename-${kind}-`));
    dirs.push(outdir);
    const app = new App({ stackTraces: false, outdir, skipValidation: true });
    for (const env of envs) {
      if (kind === "envkit") {
        const stack = new EnvironmentStack(app, env.name, { environment: env, onWarning: () => undefined });
        expect(stack.fastSynthesis).toBe(true);
      } else {
        const stack = new TerraformStack(app, env.name);
        configureBackend(stack, env.backend);
        adapterFor(env.target)!.lower(stack, env);
      }
    }
    app.synth();
    return filesOf(outdir);
  }

  it("the same files with the same bytes on docker, kubernetes and swarm", () => {
    const envs = Object.entries(TARGETS).map(([t, env]) => resolveOne(renamedApp(), t === "docker" ? "dev" : t === "kubernetes" ? "prod" : "swarm", renamedEnv(env())).model);
    const fast = synthFiles("envkit", envs);
    const stock = synthFiles("stock", envs);
    expect([...fast.keys()].sort()).toEqual([...stock.keys()].sort());
    for (const [file, bytes] of fast) expect({ file, equal: bytes.equals(stock.get(file)!) }).toEqual({ file, equal: true });
    for (const env of envs) expect(JSON.parse(fast.get(`stacks/${env.name}/cdk.tf.json`)!.toString("utf8")).moved.length).toBeGreaterThan(0);
  });
});
