import { EnvironmentModel, ReleaseModel, ServiceModel, idleSlot } from "../../model/environment";
import { canarySplit } from "../shared/capacity";
import { ProxyPlan, ProxyRoute, ProxySet } from "../shared/proxy";
import { dockerOptions } from "./options";

/*
 * Which containers a service runs on one Docker host under its delivery strategy, and which of
 * them the envkit proxy routes to. Pure (no provider classes): validation, the host budget and the
 * lowering read the same answers.
 */

/** A group of identical containers of one service: the whole service, a blue-green slot, the stable or the canary. */
export interface ContainerSet {
  /** `blue`/`green`/`stable`/`canary`, or undefined for a service with one set (recreate, rolling). */
  readonly name?: "blue" | "green" | "stable" | "canary";
  readonly release: ReleaseModel;
  readonly replicas: number;
  /**
   * How a release change replaces the set's containers: `surge` starts the new containers (named
   * by a hash of what forces replacement, `create_before_destroy`) and waits until they are
   * healthy before the old ones stop; `recreate` stops the old ones first (same names).
   */
  readonly replace: "surge" | "recreate";
}

/** Whether a service's containers can run next to their successors: not on one volume (stateful), not on a directly published port. */
function canSurge(svc: ServiceModel): boolean {
  return svc.kind === "stateless";
}

/**
 * The container sets of a service. recreate: one set, stopped before its successor starts (today's
 * behaviour). rolling: one set, surged — except a stateful service (two processes on one volume)
 * which rolls by recreating, like a StatefulSet's one-at-a-time without surge. blue-green: both
 * slots (the idle one with `idleReplicas`). canary: stable and canary, split as on every target
 * (shared/capacity.ts canarySplit); the proxy's weights give the exact traffic share anyway.
 */
export function containerSets(svc: ServiceModel): ContainerSet[] {
  const r = svc.rollout;
  const own: ReleaseModel = { image: svc.image, version: svc.version };
  const replace = r.strategy !== "recreate" && canSurge(svc) ? "surge" : "recreate";
  switch (r.strategy) {
    case "recreate":
    case "rolling":
      return [{ release: own, replicas: svc.replicas, replace }];
    case "blue-green":
      return (["blue", "green"] as const).map((slot) => ({ name: slot, release: r.slots[slot], replicas: slot === r.live ? svc.replicas : r.idleReplicas, replace }));
    case "canary": {
      // No canary in flight: only the stable set (same names, so a canary's start or end never renames it).
      if (!r.canary) return [{ name: "stable", release: own, replicas: svc.replicas, replace }];
      const split = canarySplit(svc.replicas, r.weight);
      return [
        { name: "stable", release: own, replicas: split.stable, replace },
        { name: "canary", release: r.canary, replicas: split.canary, replace },
      ];
    }
  }
}

/**
 * How the proxy reaches a service, if it does. `alias`: the proxy answers to the service's name on
 * every network the service is on, and the sets answer to `<svc>-<set>` (blue-green, canary).
 * `front`: a public rolling service keeps its alias; only its public ports move to the proxy, so
 * its containers no longer bind a host port and can overlap during a rolling update.
 */
export function proxyRouting(svc: ServiceModel): "alias" | "front" | undefined {
  if (svc.rollout.strategy === "blue-green" || svc.rollout.strategy === "canary") return "alias";
  if (svc.rollout.strategy === "rolling" && svc.public && svc.ports.length > 0 && canSurge(svc)) return "front";
  return undefined;
}

/** The DNS name a set answers to: the service's own for a single set, `<svc>-<set>` otherwise. */
export function setHost(svc: ServiceModel, set: ContainerSet): string {
  return set.name ? `${svc.name}-${set.name}` : svc.name;
}

/** A port the proxy publishes on the host. */
export interface ProxyPublish {
  readonly listen: number;
  readonly hostPort: number;
  readonly ip: string;
  readonly protocol: "tcp";
}

/** The Docker proxy of an environment: its configuration input and what it publishes. */
export interface DockerProxyPlan {
  readonly plan: ProxyPlan;
  readonly publish: readonly ProxyPublish[];
  /** Services the proxy routes to. */
  readonly services: readonly ServiceModel[];
}

/** Address preview ports listen on: loopback only, whatever docker.publishAddress says. */
export const PREVIEW_ADDRESS = "127.0.0.1";

/**
 * The proxy of a Docker environment, or undefined when no service needs it. Each routed port is
 * a listener on the service's own port when other services connect to it (they keep addressing
 * `<svc>:<port>`), else on its hostPort; a public one is published on its hostPort. The sets of a blue-green service: the live slot (100%); of a canary:
 * stable and canary by weight. A public blue-green or canary service also gets a preview listener
 * (the idle slot, or the canary alone) published on loopback at hostPort + docker.proxy.previewPortOffset.
 */
export function dockerProxyPlan(env: EnvironmentModel): DockerProxyPlan | undefined {
  const services = env.services.filter((s) => proxyRouting(s) !== undefined);
  if (!services.length) return undefined;
  const o = dockerOptions(env);
  const routes: ProxyRoute[] = [];
  const publish: ProxyPublish[] = [];
  for (const svc of services) {
    const sets = containerSets(svc);
    const servers = (s: ContainerSet): number => s.replicas;
    const r = svc.rollout;
    let live: ProxySet[];
    let preview: ProxySet | undefined;
    if (r.strategy === "blue-green") {
      const [on, off] = [sets.find((s) => s.name === r.live)!, sets.find((s) => s.name === idleSlot(r.live))!];
      live = [{ name: on.name!, host: setHost(svc, on), servers: servers(on), share: 100 }];
      if (off.replicas > 0) preview = { name: off.name!, host: setHost(svc, off), servers: servers(off), share: 100 };
    } else if (r.strategy === "canary") {
      const [stable, canary = { name: "canary" as const, release: { image: svc.image, version: svc.version }, replicas: 0, replace: "surge" as const }] = sets;
      // An empty set takes no share: the other set gets everything (weight 0 or 100).
      const weight = stable.replicas === 0 ? 100 : canary.replicas === 0 ? 0 : r.weight;
      live = [
        { name: "stable", host: setHost(svc, stable), servers: servers(stable), share: 100 - weight },
        { name: "canary", host: setHost(svc, canary), servers: servers(canary), share: weight },
      ];
      if (canary.replicas > 0) preview = { name: "canary", host: setHost(svc, canary), servers: servers(canary), share: 100 };
    } else {
      live = [{ name: "stable", host: svc.name, servers: servers(sets[0]), share: 100 }];
    }
    // Services connecting to it keep addressing <svc>:<port>; a public port nobody connects to
    // listens on its hostPort (unique on the host already), so many public services may use 8080.
    const addressed = !svc.public || env.connections.some((c) => c.to === svc.name);
    for (const p of svc.ports) {
      if (p.protocol !== "tcp") continue; // refused by validation; TCP mode only
      const listen = addressed ? p.port : p.hostPort;
      routes.push({ name: `${svc.name}-${p.name}`, service: svc.name, listen, port: p.port, sets: live });
      if (svc.public) publish.push({ listen, hostPort: p.hostPort, ip: o.publishAddress, protocol: "tcp" });
      if (svc.public && preview) {
        const at = p.hostPort + o.proxy.previewPortOffset;
        routes.push({ name: `${svc.name}-${p.name}-preview`, service: svc.name, listen: at, port: p.port, sets: [preview] });
        publish.push({ listen: at, hostPort: at, ip: PREVIEW_ADDRESS, protocol: "tcp" });
      }
    }
  }
  return { plan: { scope: `${env.app}-${env.name}`, routes }, publish, services };
}
