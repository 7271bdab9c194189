import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { api } from "./engine-api";

/*
 * An offline stand-in for the envkit proxy's image (haproxy:2.6-alpine, which cannot be pulled
 * here): the Debian haproxy package's binary (HAProxy 2.6) with the shared libraries it links,
 * plus the static busybox for the programs the image provides and the proxy uses (sh, md5sum,
 * sleep, kill for the reload loop; wget for the health check). Imported with `docker import`.
 */

export const HAPROXY_BINARY = ["/usr/sbin/haproxy", "/usr/bin/haproxy"].find((p) => fs.existsSync(p));
const BUSYBOX = "/bin/busybox";
/** The local tag the synthesized proxy image is replaced with. */
export const LOCAL_PROXY_IMAGE = "envkit-e2e/haproxy:2.6-debian";

/** Why the proxy image cannot be built here (empty when it can). */
export function proxyImageProblems(): string[] {
  return HAPROXY_BINARY ? [] : ["no haproxy binary to build the proxy image from (apt-get install haproxy)"];
}

let building: Promise<void> | undefined;
/** Builds the proxy image once per process. */
export function proxyImageBuilt(): Promise<void> {
  return (building ??= build());
}

async function build(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-proxy-rootfs-"));
  const tar = `${root}.tar`;
  try {
    for (const d of ["bin", "tmp", "usr/local/etc/envkit-proxy"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const tool of ["sh", "md5sum", "sleep", "kill", "wget", "cat", "echo", "ps"]) fs.symlinkSync("busybox", path.join(root, "bin", tool));
    fs.copyFileSync(HAPROXY_BINARY!, path.join(root, "bin", "haproxy"));
    fs.chmodSync(path.join(root, "bin", "haproxy"), 0o755);
    const libs = execFileSync("ldd", [HAPROXY_BINARY!], { encoding: "utf8" }).match(/\/[^\s)]+/g) ?? [];
    for (const lib of libs) {
      fs.mkdirSync(path.join(root, path.dirname(lib)), { recursive: true });
      fs.copyFileSync(fs.realpathSync(lib), path.join(root, lib));
    }
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "-cf", tar, "."]);
    const [repo, tag] = LOCAL_PROXY_IMAGE.split(":");
    const q = new URLSearchParams([["fromSrc", "-"], ["repo", repo], ["tag", tag], ["changes", "ENV PATH=/bin"], ["changes", "USER 99:99"]]);
    const res = await api("POST", `/images/create?${q}`, fs.readFileSync(tar), { contentType: "application/x-tar" });
    if (/"error"/.test(res.body.toString("utf8"))) throw new Error(`import of ${LOCAL_PROXY_IMAGE}: ${res.body.toString("utf8").slice(0, 300)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  }
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The stack with the proxy's pinned image replaced by the local stand-in (a registry would serve the real one). */
export function withLocalProxyImage(json: Json): Json {
  const copy = JSON.parse(JSON.stringify(json)) as Json;
  for (const img of Object.values((copy.resource?.docker_image ?? {}) as Record<string, Json>)) if (/^haproxy:/.test(String(img.name))) img.name = LOCAL_PROXY_IMAGE;
  return copy;
}

/**
 * Imports one busybox upstream image `<repo>:<release>` whose httpd on 8080 answers "/" with the
 * release's name and `health` (a file name under /www) for the check; `cmd` is its CMD, with
 * /bin/serve (httpd that exits 0 on SIGTERM) available.
 */
export async function importReleaseImage(repo: string, release: string, health: string, cmd: string): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-release-rootfs-"));
  const tar = `${root}.tar`;
  try {
    for (const d of ["bin", "www", "tmp"]) fs.mkdirSync(path.join(root, d));
    fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const tool of ["sh", "wget", "httpd"]) fs.symlinkSync("busybox", path.join(root, "bin", tool));
    // A graceful stop on SIGTERM, as a real server does: stop accepting (the proxy then retries a
    // new connection on another server), let the requests in flight finish (httpd answers each
    // in a child of its own), exit 0 within the grace period. Exiting at once would reset them.
    fs.writeFileSync(path.join(root, "bin", "serve"), "#!/bin/sh\nhttpd -f -p 8080 -h /www &\npid=$!\ntrap 'kill $pid; sleep 1; exit 0' TERM\nwait\n", { mode: 0o755 });
    fs.writeFileSync(path.join(root, "www", "index.html"), `${release}\n`);
    fs.writeFileSync(path.join(root, "www", health), "ok\n");
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "-cf", tar, "bin", "www", "tmp"]);
    const q = new URLSearchParams([["fromSrc", "-"], ["repo", repo], ["tag", release], ["changes", "ENV PATH=/bin"], ["changes", `CMD ${cmd}`]]);
    const res = await api("POST", `/images/create?${q}`, fs.readFileSync(tar), { contentType: "application/x-tar" });
    if (/"error"/.test(res.body.toString("utf8"))) throw new Error(`import of ${repo}:${release}: ${res.body.toString("utf8").slice(0, 300)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  }
}
