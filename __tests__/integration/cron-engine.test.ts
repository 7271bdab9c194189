import { AppConfig } from "../../lib/config/schema";
import { dockerEnv, resolveOne, synthJson } from "../helpers";
import { BUSYBOX, importBusyboxImage, staticBusybox } from "./busybox-image";
import { Created, api, applyStack, destroyStack, emptyCreated, engineProblemsSync, exec, inspect, namesIn, removeNamed } from "./engine-api";

/*
 * A `kind: cronjob` on a real Docker engine: the stack applied through engine-api.ts (the requests
 * kreuzwerker/docker 3.6.2 sends), a schedule that matches every minute, and one run observed:
 * at a minute boundary, with the job's command, failing on purpose, so the health check's command
 * reports it. Then what happens when the image has no /bin/sh: the container is created, its start
 * fails (apply fails), and it never runs (no restart). Needs a running engine and a static
 * /bin/busybox (Debian: busybox-static); skipped, loudly, when one is missing. Waits at most ~70 s.
 */
const reasons = [...engineProblemsSync(), ...(staticBusybox() ? [] : [`no static ${BUSYBOX} (install busybox-static)`])];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: cron job engine test: ${reasons.join("; ")} ***\n\n`);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE = "envkit-e2e-cron/tools";
const NO_SH = "envkit-e2e-cron/nosh";
const TAG = "e2e";
const TOOLS = ["sh", "date", "sleep", "grep", "echo", "touch", "cat", "wc", "true"];

/** The image with the tools above, or with busybox alone at /bin/busybox and no /bin/sh. */
const buildImage = (repo: string, withShell: boolean): Promise<void> => importBusyboxImage(repo, TAG, { tools: withShell ? TOOLS : [] });

/** The job: records the UTC second it started at, then fails its first run (exit 3). */
const JOB = 'date -u +%S >> /tmp/runs; if [ ! -e /tmp/failed-once ]; then touch /tmp/failed-once; exit 3; fi';
const app = (image: string): AppConfig => ({ name: "cr", services: { tick: { image, kind: "cronjob", schedule: "* * * * *", command: ["sh", "-c", JOB] } } });
const synth = (image: string): Json => synthJson([resolveOne(app(image), "e2e", dockerEnv({ release: { tick: TAG }, network: { subnet: "10.238.0.0/16" } }))]).get("e2e")!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

(enabled ? describe : describe.skip)(`a cron job on a real Docker engine${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  const CONTAINER = "cr-e2e-tick-1";

  describe("with /bin/sh in the image", () => {
    let json: Json = {};
    const created: Created = emptyCreated();
    let startedAt = 0;

    beforeAll(async () => {
      const v = (await api("GET", "/version")).json!;
      process.stderr.write(`cron engine test: Docker Engine ${v.Version} (API ${v.ApiVersion})\n`);
      await buildImage(IMAGE, true);
      json = synth(IMAGE);
      await removeNamed(namesIn(json));
      await applyStack(json, {}, created);
      startedAt = Date.now();
    }, 120_000);

    afterAll(async () => {
      await destroyStack(created);
      await removeNamed(namesIn(json));
    }, 120_000);

    it("runs the scheduler hardened as the service: its user, read-only root with a tmpfs /tmp, no capability, restarted unless stopped, the health check on the last run", async () => {
      const info = await inspect(CONTAINER);
      expect({
        entrypoint: info.Config.Entrypoint.slice(0, 2),
        user: info.Config.User,
        readOnly: info.HostConfig.ReadonlyRootfs,
        capDrop: info.HostConfig.CapDrop,
        noNewPrivileges: info.HostConfig.SecurityOpt,
        restart: info.HostConfig.RestartPolicy.Name,
        tmpfs: Object.keys(info.HostConfig.Tmpfs ?? {}),
        health: info.Config.Healthcheck.Test,
        running: info.State.Running,
      }).toEqual({
        entrypoint: ["/bin/sh", "-c"],
        user: "10001:10001",
        readOnly: true,
        capDrop: ["ALL"],
        noNewPrivileges: ["no-new-privileges:true"],
        restart: "unless-stopped",
        tmpfs: ["/tmp"],
        health: ["CMD-SHELL", "! grep -q failed /tmp/envkit-cron.status 2>/dev/null"],
        running: true,
      });
      // Healthy before any run: no status yet.
      expect((await exec(CONTAINER, ["/bin/sh", "-c", info.Config.Healthcheck.Test[1]])).code).toBe(0);
    });

    it("runs the job at the next minute boundary, once, and its failure makes the health check fail", async () => {
      // The first match is at most 60 s away; poll once a second, for at most 70 s.
      let runs: string[] = [];
      while (Date.now() - startedAt < 70_000) {
        const r = await exec(CONTAINER, ["/bin/sh", "-c", "cat /tmp/runs 2>/dev/null"]);
        runs = r.code === 0 ? r.out.split("\n").filter(Boolean) : [];
        if (runs.length > 0) break;
        await sleep(1000);
      }
      const waited = Math.round((Date.now() - startedAt) / 1000);
      process.stderr.write(`cron engine test: first run after ${waited} s, started at second ${runs[0]} of its minute\n`);
      expect(runs).toHaveLength(1);
      // At the minute boundary (the loop sleeps until :00; a loaded host may start it a little late).
      expect(Number(runs[0])).toBeLessThanOrEqual(5);
      await sleep(500);
      expect((await exec(CONTAINER, ["cat", "/tmp/envkit-cron.status"])).out).toBe("failed");
      const info = await inspect(CONTAINER);
      expect((await exec(CONTAINER, ["/bin/sh", "-c", info.Config.Healthcheck.Test[1]])).code).toBe(1);
      expect(info.State.Running).toBe(true); // the scheduler goes on to the next match
      const logs = (await api("GET", `/containers/${CONTAINER}/logs?stdout=1&stderr=1`)).body.toString("utf8");
      expect(logs).toContain("envkit-cron: schedule * * * * * (UTC)");
      expect(logs).toContain("envkit-cron: run failed (exit 3)");
    }, 80_000);

    it("stops on the stop signal with exit 0 instead of waiting for SIGKILL", async () => {
      const t0 = Date.now();
      await api("POST", `/containers/${CONTAINER}/stop?t=30`);
      expect((await inspect(CONTAINER)).State.ExitCode).toBe(0);
      expect(Date.now() - t0).toBeLessThan(20_000);
    }, 40_000);
  });

  describe("without /bin/sh in the image", () => {
    let json: Json = {};
    const created: Created = emptyCreated();

    beforeAll(async () => {
      await buildImage(NO_SH, false);
      json = synth(NO_SH);
      await removeNamed(namesIn(json));
    }, 120_000);

    afterAll(async () => {
      await destroyStack(created);
      await removeNamed(namesIn(json));
    }, 120_000);

    it("the container is created but cannot start, so apply fails; it never runs and is not restarted", async () => {
      const failure = await applyStack(json, {}, created).then(() => "applied", (e: Error) => e.message);
      process.stderr.write(`cron engine test: without /bin/sh, apply fails with: ${failure.slice(0, 300)}\n`);
      expect(failure).toMatch(/\/bin\/sh.*(no such file or directory|not found)/);
      await sleep(2000);
      const info = await inspect(CONTAINER);
      expect({ status: info.State.Status, restarts: info.RestartCount, running: info.State.Running }).toEqual({ status: "created", restarts: 0, running: false });
    }, 60_000);
  });
});
