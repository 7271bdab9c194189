import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { api } from "./engine-api";

/*
 * Offline images for the scheduler's engine tests (cron-engine, swarm-scheduler-engine): the static
 * busybox with the tools asked for as /bin symlinks (none: busybox alone, no /bin/sh), /tmp 1777,
 * and folders owned by the app user (uid/gid 10001), as a real image prepares its data folder.
 * Imported with `docker import` (POST /images/create?fromSrc=-).
 */
export const BUSYBOX = "/bin/busybox";

/** Whether /bin/busybox exists and is statically linked (Debian: busybox-static). */
export function staticBusybox(): boolean {
  return fs.existsSync(BUSYBOX) && execFileSync("file", ["-L", BUSYBOX], { encoding: "utf8" }).includes("statically linked");
}

export async function importBusyboxImage(repo: string, tag: string, opts: { tools: readonly string[]; userDirs?: readonly string[] }): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-busybox-rootfs-"));
  const tar = `${root}.tar`;
  try {
    for (const d of ["bin", "tmp", ...(opts.userDirs ?? [])]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const t of opts.tools) fs.symlinkSync("busybox", path.join(root, "bin", t));
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "-cf", tar, "bin", "tmp"]);
    if (opts.userDirs?.length) execFileSync("tar", ["-C", root, "--owner=10001", "--group=10001", "-rf", tar, ...opts.userDirs]);
    const changes = ["ENV PATH=/bin", `CMD ["/bin/busybox", "true"]`];
    const q = new URLSearchParams([["fromSrc", "-"], ["repo", repo], ["tag", tag], ...changes.map((c): [string, string] => ["changes", c])]);
    const res = await api("POST", `/images/create?${q}`, fs.readFileSync(tar), { contentType: "application/x-tar" });
    if (/"error"/.test(res.body.toString("utf8"))) throw new Error(`import of ${repo}:${tag}: ${res.body.toString("utf8").slice(0, 300)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  }
}
