/*
 * `envkit diff` of a service rename (`renamedFrom`): the renamed service's resources are moves
 * (plus the replacements the providers really make), never a destroy of what holds its data.
 */
import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { toMarkdown } from "../../lib/review/markdown";
import { diffOutputs, diffStacks, ResourceChange } from "../../lib/review/stack-diff";
import { dockerEnv, k8sEnv, miniApp, resolveOne, synthJson } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const swarmEnv = (): EnvironmentConfig => ({ target: "swarm", release: { web: "1.0.0", api: "1.0.0", db: "16.4" }, network: { subnet: "10.230.0.0/16" }, policy: { enforcement: "advisory" } }) as EnvironmentConfig;
const TARGETS: Record<string, () => EnvironmentConfig> = { docker: () => dockerEnv(), kubernetes: () => k8sEnv(), swarm: swarmEnv };

function renamed(app: AppConfig, withRenamedFrom = true): AppConfig {
  const { db, ...rest } = app.services;
  return { ...app, services: { ...rest, api: { ...rest.api, connections: [{ to: "database", port: "pg" }] }, database: withRenamedFrom ? { ...db, renamedFrom: "db" } : db } };
}
function renamedEnv(env: EnvironmentConfig): EnvironmentConfig {
  const { db, ...release } = env.release as Record<string, string>;
  const { db: dbOverlay, ...services } = (env.services ?? {}) as Record<string, NonNullable<EnvironmentConfig["services"]>[string]>;
  return { ...env, release: { ...release, database: db }, ...(env.services ? { services: { ...services, ...(dbOverlay ? { database: dbOverlay } : {}) } } : {}) };
}

function diff(target: string, withRenamedFrom = true): { changes: ResourceChange[]; base: Json; head: Json } {
  const env = TARGETS[target]();
  const base = synthJson([resolveOne(miniApp(), "dev", env)]).get("dev")!;
  const head = synthJson([resolveOne(renamed(miniApp(), withRenamedFrom), "dev", renamedEnv(env))]).get("dev")!;
  return { changes: diffStacks(base, head), base, head };
}

const DATA_TYPES = new Set(["docker_volume", "kubernetes_persistent_volume_claim_v1"]);

describe.each(Object.keys(TARGETS))("envkit diff of a rename with renamedFrom on %s", (target) => {
  const { changes } = diff(target);

  it("reports no data loss and destroys nothing that holds data", () => {
    expect(changes.filter((c) => c.dataLoss)).toEqual([]);
    expect(changes.filter((c) => c.action === "delete" && DATA_TYPES.has(c.type))).toEqual([]);
  });

  it("reports every resource of the renamed service as moved from its old address", () => {
    const ofService = changes.filter((c) => c.movedFrom);
    expect(ofService.length).toBeGreaterThan(0);
    // No resource of the old service is deleted and none of the new one created.
    expect(changes.filter((c) => c.action === "delete" && /_db_/.test(c.address))).toEqual([]);
    expect(changes.filter((c) => c.action === "create" && /_database_/.test(c.address))).toEqual([]);
  });
});

describe("what the rename really does, per target", () => {
  it("docker: the data volume is a pure move (kept name and labels), the containers are replaced (their name is ForceNew)", () => {
    const { changes } = diff("docker");
    const volume = changes.find((c) => c.type === "docker_volume" && c.movedFrom?.includes("volume-data"))!;
    expect(volume.action).toBe("move");
    const container = changes.find((c) => c.type === "docker_container" && c.movedFrom?.includes("container-1"))!;
    expect(container.action).toBe("replace");
    expect(container.attributes.some((a) => a.path === "name" && a.forcesReplacement)).toBe(true);
  });

  it("kubernetes: the StatefulSet is replaced (its selector names the service) and its claims are retained and re-bound", () => {
    const { changes } = diff("kubernetes");
    const sts = changes.find((c) => c.type === "kubernetes_stateful_set_v1")!;
    expect(sts.movedFrom).toBeDefined();
    expect(sts.action).toBe("replace");
    expect(sts.dataLoss).toBe(false);
    // The name is kept: the claims <template>-db-<n> are the same claims.
    expect(sts.attributes.some((a) => a.path === "metadata.name")).toBe(false);
  });

  it("swarm: the docker_service is moved and replaced under the new name; its volume is not a resource and keeps its name", () => {
    const { changes } = diff("swarm");
    const svc = changes.find((c) => c.type === "docker_service" && c.movedFrom)!;
    expect(svc.attributes.some((a) => a.path.includes("mounts"))).toBe(false);
  });
});

describe("without renamedFrom a rename is what it always was", () => {
  it("docker: the old volume is destroyed (data loss) and a new empty one created — the mistake renamedFrom prevents", () => {
    const { changes } = diff("docker", false);
    expect(changes.some((c) => c.type === "docker_volume" && c.action === "delete" && c.dataLoss)).toBe(true);
    expect(changes.some((c) => c.movedFrom)).toBe(false);
  });
});

describe("the rendered review of a rename", () => {
  it("says each move and has no data loss in its summary", () => {
    const { base, head } = diff("docker");
    const report = diffOutputs(new Map([["dev", { json: base }]]), new Map([["dev", { json: head }]]));
    expect(report.summary!.hasDataLoss).toBe(false);
    expect(report.summary!.counts.move).toBeGreaterThan(0);
    const md = toMarkdown(report);
    expect(md).toMatch(/move `docker_volume\.docker_database_volume-data_[^`]+` \(demo-dev-db-data\) moved from `docker_volume\.docker_db_volume-data_[^`]+`/);
    expect(md).toMatch(/state moves from `docker_volume\.docker_db_volume-data_[^`]+` to `docker_volume\.docker_database_volume-data_[^`]+`/);
  });
});
