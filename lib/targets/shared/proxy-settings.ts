import { z } from "zod";
import type { DefaultRule } from "../../config/defaults";
import { parseImageRef } from "../../model/image-ref";
import { parseCpu, parseMemory } from "../../model/quantity";
import { Parsed } from "../../model/result";
import { DEFAULT_PROXY_IMAGE } from "./proxy";

/*
 * The `proxy` block every target with an envkit proxy accepts in its settings (`docker.proxy`,
 * `swarm.proxy`): written once, each target adds its own fields.
 */

/** A string checked by a model parser (its message says how to fix it). */
export const parsedString = (parse: (s: string) => Parsed<unknown>) =>
  z.string().check((ctx) => {
    const r = parse(ctx.value);
    if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
  });

/** An image reference pinned by digest (`repo:tag@sha256:…`): the proxy is never a moving tag. */
export const PinnedImage = parsedString((s) => {
  const r = parseImageRef(s);
  if (r.ok && !r.value.digest) return { ok: false, error: `"${s}" has no digest; pin the proxy image as repository:tag@sha256:<digest>, e.g. "${DEFAULT_PROXY_IMAGE}"` };
  return r;
});

/** The fields of the `proxy` block shared by every target. */
export const PROXY_SETTINGS = {
  /** HAProxy 2.x image, pinned by digest. @default "haproxy:2.6-alpine@sha256:e03315a0…" (HAProxy 2.6.8) */
  image: PinnedImage.optional(),
  /** CPU limit of the proxy. @default "500m" */
  cpuLimit: parsedString((s) => parseCpu(s)).optional(),
  /** Memory limit of the proxy. @default "128Mi" */
  memoryLimit: parsedString((s) => parseMemory(s)).optional(),
};

/** Defaults of the shared `proxy` fields (paths relative to the target's block). */
export const PROXY_DEFAULTS: readonly DefaultRule[] = [
  { path: "proxy.image", value: DEFAULT_PROXY_IMAGE, doc: "HAProxy 2.6.8 (haproxy:2.6-alpine), pinned by digest as docker-library/repo-info records it" },
  { path: "proxy.cpuLimit", value: "500m", doc: "half a core for the proxy: it forwards bytes, TLS stays in the services" },
  { path: "proxy.memoryLimit", value: "128Mi", doc: "HAProxy with one thread and 4096 connections fits in far less" },
];

/** The shared `proxy` settings, defaults applied. */
export interface ProxySettings {
  readonly image: string;
  readonly cpuLimit: string;
  readonly memoryLimit: string;
}

/** Fills the defaults of a target's `proxy` block (`defaults`: that target's rows, `proxy.`-prefixed). */
export function proxySettings<T extends ProxySettings>(own: unknown, defaults: readonly DefaultRule[]): T {
  const filled = Object.fromEntries(defaults.filter((d) => d.path.startsWith("proxy.")).map((d) => [d.path.slice("proxy.".length), d.value]));
  return { ...filled, ...((own as object | undefined) ?? {}) } as unknown as T;
}

/** The proxy's limits in canonical units (millicores, bytes); the schema already checked them. */
export function proxyLimits(s: ProxySettings, where: string): { cpuMillis: number; memoryBytes: number } {
  const cpu = parseCpu(s.cpuLimit);
  const memory = parseMemory(s.memoryLimit);
  if (!cpu.ok) throw new Error(`${where}.cpuLimit: ${cpu.error}`);
  if (!memory.ok) throw new Error(`${where}.memoryLimit: ${memory.error}`);
  return { cpuMillis: cpu.value, memoryBytes: memory.value };
}
