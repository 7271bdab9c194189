import { AppConfig, EnvironmentConfig } from "../../lib/config/schema";
import { resolveOne, synthJson } from "../helpers";
import { BUSYBOX, importBusyboxImage, staticBusybox } from "./busybox-image";
import { api, engineProblemsSync, exec, inspect } from "./engine-api";
import { SwarmCreated, applySwarmStack, destroySwarmStack, ensureSwarm, leaveSwarm } from "./swarm-api";

/*
 * envkit's scheduler on a real one-node swarm (initialised here only if the engine is not in one,
 * and left again only then), the stack applied through swarm-api.ts (the Engine API requests
 * kreuzwerker/docker 3.6.2 sends for docker_service): a cron job whose schedule matches every
 * minute, one run observed (at most ~70 s), and a stateful service's archive backup, a one-task
 * service placed on the database's node, started by hand as the README says, writing to the
 * named volume the node's engine created. Needs a running engine and a static /bin/busybox;
 * skipped, loudly, when one is missing.
 */
const reasons = [...engineProblemsSync(), ...(staticBusybox() ? [] : [`no static ${BUSYBOX} (install busybox-static)`])];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: swarm scheduler engine test: ${reasons.join("; ")} ***\n\n`);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE = "envkit-e2e-sched/tools";
const TAG = "e2e";
const TOOLS = ["sh", "true", "tar", "gzip", "date", "sleep", "ls", "sort", "tail", "find", "rm", "mv", "cat", "grep", "echo", "stat", "touch", "printf", "head", "id"];
const APP: AppConfig = {
  name: "sch",
  services: {
    tick: { image: IMAGE, kind: "cronjob", schedule: "* * * * *", command: ["sh", "-c", "date -u +%S >> /tmp/runs"] },
    files: {
      image: IMAGE,
      kind: "stateful",
      // A server that runs until stopped (the image's CMD exits at once).
      command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"],
      volumes: [{ name: "data", path: "/appdata" }],
      health: { command: ["true"], interval: "1s", startPeriod: "1s" },
      backup: { method: "archive", retention: 2 },
    },
  },
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The container of a service's first task, once the node created it (a task with a health check is "starting" until healthy). */
async function taskContainer(serviceId: string, timeoutMs: number): Promise<{ container: string; node: string }> {
  const end = Date.now() + timeoutMs;
  let tasks: Json[] = [];
  while (Date.now() < end) {
    tasks = (await api("GET", `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [serviceId] }))}`)).json as unknown as Json[];
    const t = tasks.find((x) => x.Status?.ContainerStatus?.ContainerID && ["starting", "running"].includes(x.Status.State));
    if (t) return { container: String(t.Status.ContainerStatus.ContainerID), node: String(t.NodeID) };
    await sleep(1000);
  }
  throw new Error(`service ${serviceId}: no task container after ${timeoutMs / 1000} s; tasks: ${JSON.stringify(tasks.map((t) => t.Status))}`);
}

(enabled ? describe : describe.skip)(`envkit's scheduler on a real one-node swarm${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  let initialised = false;
  let created: SwarmCreated | undefined;
  let appliedAt = 0;
  let host = "";
  const id = (name: string): string => {
    const json = synthJson([resolveOne(APP, "e2e", env())]).get("e2e")!;
    const key = Object.entries(json.resource.docker_service as Record<string, Json>).find(([, s]) => s.name === name)![0];
    return created!.services.get(`docker_service.${key}`)!;
  };
  const env = (): EnvironmentConfig => ({ target: "swarm", release: { tick: TAG, files: TAG }, network: { subnet: "10.233.0.0/16" }, policy: { enforcement: "advisory" }, rollout: { timeout: "3m" }, swarm: { nodes: { files: host } } }) as EnvironmentConfig;

  beforeAll(async () => {
    initialised = await ensureSwarm();
    const info = (await api("GET", "/info")).json!;
    host = String(info.Name);
    process.stderr.write(`swarm scheduler engine test: Docker Engine ${info.ServerVersion}, node ${host}, swarm ${initialised ? "initialised by this test" : "already active"}\n`);
    await importBusyboxImage(IMAGE, TAG, { tools: TOOLS, userDirs: ["appdata"] });
    created = await applySwarmStack(synthJson([resolveOne(APP, "e2e", env())]).get("e2e")!, {});
    appliedAt = Date.now();
  }, 180_000);

  afterAll(async () => {
    if (created) await destroySwarmStack(created);
    // The volumes the node created for the tasks (Terraform never manages them): removed once no task holds them.
    for (let i = 0; i < 30; i++) {
      const left = [];
      for (const v of ["sch-e2e-files-data", "sch-e2e-files-backups"]) if ((await api("DELETE", `/volumes/${v}?force=true`, undefined, { allow: [404, 409, 500] })).status === 409) left.push(v);
      if (left.length === 0) break;
      await sleep(1000);
    }
    await api("DELETE", `/images/${encodeURIComponent(`${IMAGE}:${TAG}`)}?force=true`, undefined, { allow: [404, 409] });
    if (initialised) await leaveSwarm();
  }, 180_000);

  it("a cron job's task runs the scheduler, hardened, and runs the job at the next minute boundary", async () => {
    const { container } = await taskContainer(id("sch-e2e-tick"), 60_000);
    const c = await inspect(container);
    expect({ entrypoint: c.Config.Entrypoint.slice(0, 2), user: c.Config.User, readOnly: c.HostConfig.ReadonlyRootfs, capDrop: c.HostConfig.CapDrop, health: c.Config.Healthcheck.Test }).toEqual({
      entrypoint: ["/bin/sh", "-c"],
      user: "10001:10001",
      readOnly: true,
      capDrop: ["ALL"],
      health: ["CMD-SHELL", "! grep -q failed /tmp/envkit-cron.status 2>/dev/null"],
    });
    expect(c.Config.Env).toContain("ENVKIT_CRON_JOB=exec sh -c 'date -u +%S >> /tmp/runs'");
    let runs: string[] = [];
    while (Date.now() - appliedAt < 75_000) {
      const r = await exec(container, ["/bin/sh", "-c", "cat /tmp/runs 2>/dev/null"]);
      runs = r.code === 0 ? r.out.split("\n").filter(Boolean) : [];
      if (runs.length > 0) break;
      await sleep(1000);
    }
    if (runs.length === 0) {
      const logs = (await api("GET", `/containers/${container}/logs?stdout=1&stderr=1`)).body.toString("utf8");
      process.stderr.write(`swarm scheduler engine test: no run; container state ${JSON.stringify((await inspect(container)).State)}; logs: ${logs.slice(0, 2000)}\n`);
    }
    process.stderr.write(`swarm scheduler engine test: first cron run ${Math.round((Date.now() - appliedAt) / 1000)} s after apply, at second ${runs[0]}\n`);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(Number(runs[0])).toBeLessThanOrEqual(5);
    await sleep(500);
    expect((await exec(container, ["cat", "/tmp/envkit-cron.status"])).out).toBe("ok");
  }, 120_000);

  it("the backup runs on the database's node, joins only its own network, and one run by hand archives the data into the node's backup volume", async () => {
    const db = await taskContainer(id("sch-e2e-files"), 60_000);
    const job = await taskContainer(id("sch-e2e-files-backup"), 60_000);
    const spec = (await api("GET", `/services/${id("sch-e2e-files-backup")}`)).json!.Spec;
    expect(spec.TaskTemplate.Placement.Constraints).toEqual([`node.hostname == ${host}`]);
    expect(job.node).toBe(db.node);
    const c = await inspect(job.container);
    expect(Object.keys(c.NetworkSettings.Networks)).toEqual(["sch-e2e-files-backup"]);
    expect({ user: c.Config.User, readOnly: c.HostConfig.ReadonlyRootfs, capDrop: c.HostConfig.CapDrop }).toEqual({ user: "10001:10001", readOnly: true, capDrop: ["ALL"] });
    const mounts = (c.Mounts as Json[]).filter((m) => m.Type === "volume").map((m) => `${m.Name}:${m.Destination}:${m.RW ? "rw" : "ro"}`).sort();
    expect(mounts).toEqual(["sch-e2e-files-backups:/appdata:rw", "sch-e2e-files-data:/source:ro"]);
    // The node's engine created the backup volume on first use, owned like the image's data folder.
    expect((await exec(job.container, ["stat", "-c", "%u:%g", "/appdata"])).out).toBe("10001:10001");
    expect((await exec(db.container, ["sh", "-c", "echo hello > /appdata/a.txt"])).code).toBe(0);
    const run = await exec(job.container, ["sh", "-c", 'eval "$ENVKIT_BACKUP_JOB"']);
    expect(run).toEqual({ code: 0, out: expect.stringMatching(/^envkit-backup: wrote \/appdata\/files-\d{8}T\d{6}Z\.tar\.gz$/) });
    const file = run.out.replace("envkit-backup: wrote ", "");
    expect((await exec(job.container, ["sh", "-c", `tar -xzOf ${file} ./a.txt`])).out).toBe("hello");
    expect((await api("GET", "/volumes/sch-e2e-files-backups")).status).toBe(200);
  }, 150_000);
});
