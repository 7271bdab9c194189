import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AppConfig } from "../../lib/config/schema";
import { integrityCheck } from "../../lib/targets/shared/backup-job";
import { dockerEnv, resolveOne, synthJson } from "../helpers";
import { Created, api, applyStack, destroyStack, emptyCreated, engineProblemsSync, exec, inspect, namesIn, removeNamed } from "./engine-api";

/*
 * The archive backup of a volume on a real engine, end to end: the stack applied through
 * engine-api.ts (the requests kreuzwerker/docker 3.6.2 sends), data written into the volume, one
 * run of the backup container's job started by hand (README "Backups and restore"), the data
 * deleted, the documented restore run with the docker CLI, the data checked, and the integrity
 * check shown to refuse a corrupted archive. Needs a running engine, the docker CLI and a static
 * /bin/busybox (Debian: docker.io, busybox-static); skipped, loudly, when one is missing.
 */
const BUSYBOX = "/bin/busybox";
const staticBusybox = fs.existsSync(BUSYBOX) && execFileSync("file", ["-L", BUSYBOX], { encoding: "utf8" }).includes("statically linked");
const dockerCli = (() => {
  try {
    execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { stdio: "pipe", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
})();
const reasons = [...engineProblemsSync(), ...(staticBusybox ? [] : [`no static ${BUSYBOX} (install busybox-static)`]), ...(dockerCli ? [] : ["no working docker CLI"])];
const enabled = reasons.length === 0;
if (!enabled) process.stderr.write(`\n*** SKIPPED: backup engine test: ${reasons.join("; ")} ***\n\n`);

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE = "envkit-e2e-backup/files";
const TAG = "e2e";
const TOOLS = ["sh", "true", "wc", "tar", "gzip", "date", "sleep", "ls", "sort", "tail", "find", "rm", "mv", "cat", "grep", "echo", "mkdir", "head", "id", "stat", "touch", "printf"];

/** A busybox image whose /appdata is the app user's (uid 10001), as a real image prepares its data folder. */
async function buildImage(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-backup-rootfs-"));
  const tar = `${root}.tar`;
  try {
    for (const d of ["bin", "tmp", "appdata"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const t of TOOLS) fs.symlinkSync("busybox", path.join(root, "bin", t));
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    const files = fs.readdirSync(path.join(root, "bin")).map((f) => `bin/${f}`);
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "--no-recursion", "-cf", tar, "bin", "tmp", ...files]);
    execFileSync("tar", ["-C", root, "--owner=10001", "--group=10001", "-rf", tar, "appdata"]);
    const changes = ["ENV PATH=/bin", `CMD ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]`];
    const q = new URLSearchParams([["fromSrc", "-"], ["repo", IMAGE], ["tag", TAG], ...changes.map((c): [string, string] => ["changes", c])]);
    const res = await api("POST", `/images/create?${q}`, fs.readFileSync(tar), { contentType: "application/x-tar" });
    if (/"error"/.test(res.body.toString("utf8"))) throw new Error(`import of ${IMAGE}: ${res.body.toString("utf8").slice(0, 300)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  }
}

const APP: AppConfig = {
  name: "bk",
  services: {
    files: {
      image: IMAGE,
      kind: "stateful",
      volumes: [{ name: "data", path: "/appdata" }],
      health: { command: ["true"], interval: "1s", startPeriod: "1s" },
      backup: { method: "archive", retention: 2 },
    },
  },
};

const sh = (container: string, cmd: string) => exec(container, ["sh", "-c", cmd]);
const docker = (...args: string[]): { code: number; out: string } => {
  try {
    return { code: 0, out: execFileSync("docker", args, { encoding: "utf8", stdio: "pipe", timeout: 60_000 }).trim() };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}`.trim() };
  }
};

(enabled ? describe : describe.skip)(`an archive backup and its restore on a real Docker engine${enabled ? "" : ` (SKIPPED: ${reasons.join("; ")})`}`, () => {
  let json: Json = {};
  const created: Created = emptyCreated();
  const SERVICE = "bk-e2e-files-1";
  const JOB = "bk-e2e-files-backup";
  const DATA = "bk-e2e-files-data";
  const BACKUPS = "bk-e2e-files-backups";

  beforeAll(async () => {
    await buildImage();
    json = synthJson([resolveOne(APP, "e2e", dockerEnv({ release: { files: TAG }, network: { subnet: "10.237.0.0/16" } }))]).get("e2e")!;
    await removeNamed(namesIn(json));
    await applyStack(json, {}, created);
  }, 120_000);

  afterAll(async () => {
    await destroyStack(created);
    await removeNamed(namesIn(json));
  }, 120_000);

  it("runs the job in a hardened container: the service's non-root user, read-only root, no capability, no network, the data volume read-only", async () => {
    const info = await inspect(JOB);
    expect({ user: info.Config.User, readOnly: info.HostConfig.ReadonlyRootfs, capDrop: info.HostConfig.CapDrop, networks: Object.keys(info.NetworkSettings.Networks ?? {}) }).toEqual({ user: "10001:10001", readOnly: true, capDrop: ["ALL"], networks: ["none"] });
    expect((await sh(JOB, "touch /source/x")).out).toMatch(/Read-only file system/);
    expect((await sh(JOB, "touch /x")).code).not.toBe(0);
    const binds = (info.Mounts as Json[]).map((m) => `${m.Name}:${m.Destination}:${m.RW ? "rw" : "ro"}`).sort();
    // The backup volume sits on the data folder's path, so the engine gave it that folder's owner (uid 10001).
    expect(binds).toEqual([`${BACKUPS}:/appdata:rw`, `${DATA}:/source:ro`]);
    expect((await sh(JOB, "stat -c '%u:%g' /appdata")).out).toBe("10001:10001");
  });

  it("backs up the volume, keeps only the retention's newest archives, and restores the deleted data with the documented procedure", async () => {
    expect((await sh(SERVICE, "echo hello > /appdata/a.txt && mkdir -p /appdata/sub && echo world > /appdata/sub/b.txt")).code).toBe(0);
    // Three runs, a second apart (file names carry the UTC second); retention 2 keeps the last two.
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sh(JOB, "sleep 1");
      const run = await sh(JOB, 'eval "$ENVKIT_BACKUP_JOB"');
      expect(run).toEqual({ code: 0, out: expect.stringMatching(/^envkit-backup: wrote \/appdata\/files-\d{8}T\d{6}Z\.tar\.gz$/) });
      runs.push(run.out.replace("envkit-backup: wrote ", ""));
    }
    const kept = (await sh(JOB, "ls -1 /appdata")).out.split("\n").map((f) => `/appdata/${f}`);
    expect(kept.sort()).toEqual(runs.slice(1).sort());
    const newest = path.basename(runs[2]);

    expect((await sh(SERVICE, "rm -rf /appdata/a.txt /appdata/sub && ls -A /appdata")).out).toBe("");
    // README "Backups and restore" → archive: stop the service, check, replace the volume's content, start.
    expect(docker("stop", SERVICE).code).toBe(0);
    const restore = docker("run", "--rm", "--network", "none", "--user", "10001:10001", "--read-only", "--cap-drop", "ALL", "-v", `${DATA}:/target`, "-v", `${BACKUPS}:/backups:ro`, `${IMAGE}:${TAG}`, "sh", "-c", `set -e; ${integrityCheck("archive", `/backups/${newest}`)}; rm -rf /target/* /target/.[!.]* /target/..?*; tar -xzf /backups/${newest} -C /target`);
    expect(restore).toEqual({ code: 0, out: "" });
    expect(docker("start", SERVICE).code).toBe(0);
    expect((await sh(SERVICE, "cat /appdata/a.txt /appdata/sub/b.txt")).out).toBe("hello\nworld");
  });

  it("refuses a corrupted archive: the integrity check fails on a truncated copy and on flipped bytes", async () => {
    const good = (await sh(JOB, "ls -1 /appdata | tail -n 1")).out;
    expect((await sh(JOB, integrityCheck("archive", `/appdata/${good}`))).code).toBe(0);
    expect((await sh(JOB, `head -c 60 /appdata/${good} > /tmp/cut.tar.gz; ${integrityCheck("archive", "/tmp/cut.tar.gz")}`)).code).not.toBe(0);
    // A byte in the middle of the compressed stream changed (bit rot): gzip's CRC catches it.
    const flipped = await sh(JOB, `{ head -c 30 /appdata/${good}; printf 'XXXX'; tail -c +35 /appdata/${good}; } > /tmp/rot.tar.gz; ${integrityCheck("archive", "/tmp/rot.tar.gz")}`);
    expect(flipped.code).not.toBe(0);
  });

  it("stops on the stop signal instead of waiting for SIGKILL (sh as PID 1 ignores SIGTERM without a trap)", async () => {
    expect(docker("stop", "-t", "30", JOB).code).toBe(0);
    expect((await inspect(JOB)).State.ExitCode).toBe(0);
  });
});
