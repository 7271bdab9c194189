import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { api } from "./engine-api";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * One offline stand-in for every image of a monitoring-set test (the set's images are pinned by
 * digest and cannot be pulled here): a static busybox whose httpd answers the set's health paths
 * on their ports (Prometheus and Alertmanager /-/ready on 9090 and 9093, Grafana /api/health on
 * 3000) and, on 8080, cAdvisor's /healthz and an app's /health and /metrics, whatever arguments
 * the service passes. It exits 0 on SIGTERM, as the real servers stop.
 */

const BUSYBOX = "/bin/busybox";
export const STANDIN_IMAGE = "localhost/envkit-monitoring-standin:e2e";

/** Imports {@link STANDIN_IMAGE}. */
export async function importMonitoringStandIn(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-mon-rootfs-"));
  const tar = `${root}.tar`;
  try {
    for (const d of ["bin", "www/-", "www/api", "tmp"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(root, "bin", "busybox"));
    fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
    for (const tool of ["sh", "wget", "httpd", "cat", "stat", "id", "nslookup", "ls", "grep", "touch"]) fs.symlinkSync("busybox", path.join(root, "bin", tool));
    for (const f of ["-/ready", "api/health", "health", "healthz"]) fs.writeFileSync(path.join(root, "www", f), "ok\n");
    fs.writeFileSync(path.join(root, "www", "metrics"), '# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 1\n');
    fs.chmodSync(path.join(root, "tmp"), 0o1777);
    execFileSync("tar", ["-C", root, "--owner=0", "--group=0", "-cf", tar, "bin", "www", "tmp"]);
    const serve = "httpd -p 9090 -h /www; httpd -p 9093 -h /www; httpd -p 3000 -h /www; httpd -f -p 8080 -h /www & trap 'exit 0' TERM; wait";
    const [repo, tag] = STANDIN_IMAGE.split(/:(?=[^:]+$)/);
    const q = new URLSearchParams([["fromSrc", "-"], ["repo", repo], ["tag", tag], ["changes", "ENV PATH=/bin"], ["changes", `ENTRYPOINT ["/bin/sh", "-c", ${JSON.stringify(serve)}, "standin"]`]]);
    const res = await api("POST", `/images/create?${q}`, fs.readFileSync(tar), { contentType: "application/x-tar" });
    if (/"error"/.test(res.body.toString("utf8"))) throw new Error(`import of ${STANDIN_IMAGE}: ${res.body.toString("utf8").slice(0, 300)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(tar, { force: true });
  }
}

/** Removes {@link STANDIN_IMAGE} (a container still using it keeps it: 409 is accepted). */
export async function removeMonitoringStandIn(): Promise<void> {
  await api("DELETE", `/images/${encodeURIComponent(STANDIN_IMAGE)}?force=true`, undefined, { allow: [404, 409] });
}

/** Fake pinned images for `monitoring.images` (the schema checks the form; the tests swap them for the stand-in). */
export function fakeMonitoringImages(roles: readonly string[]): Record<string, string> {
  const repos: Record<string, string> = { prometheus: "docker.io/prom/prometheus:v2.51.0", alertmanager: "docker.io/prom/alertmanager:v0.28.1", grafana: "docker.io/grafana/grafana:12.4.3", cadvisor: "gcr.io/cadvisor/cadvisor:v0.49.1" };
  return Object.fromEntries(roles.map((r, i) => [r, `${repos[r]}@sha256:${String(i + 1).repeat(64)}`]));
}

/** Whether an image reference is one of the set's (as {@link fakeMonitoringImages} names them). */
export const isMonitoringImage = (ref: unknown): boolean => /^(docker\.io\/(prom|grafana)|gcr\.io\/cadvisor)\//.test(String(ref));

/** The IPv4 answers of a busybox nslookup (after its Name: line, so not the resolver's own address). */
export function nslookupAnswers(out: string): string[] {
  const at = out.indexOf("Name:");
  return at < 0 ? [] : [...out.slice(at).matchAll(/\b(\d+\.\d+\.\d+\.\d+)\b/g)].map((m) => m[1]).sort();
}

/** Swaps every monitoring image of a synthesized stack (docker_image names, docker_service images) for the stand-in. */
export function withMonitoringStandIn(json: Json): Json {
  const copy = JSON.parse(JSON.stringify(json)) as Json;
  for (const img of Object.values((copy.resource?.docker_image ?? {}) as Record<string, Json>)) if (isMonitoringImage(img.name)) img.name = STANDIN_IMAGE;
  for (const svc of Object.values((copy.resource?.docker_service ?? {}) as Record<string, Json>)) if (isMonitoringImage(svc.task_spec.container_spec.image)) svc.task_spec.container_spec.image = STANDIN_IMAGE;
  return copy;
}
