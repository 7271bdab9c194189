import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { ProxyPlan, ProxyRoute } from "../shared/proxy";
import { ReleaseSet, proxySets, releaseSets, routedBySets, serviceRoutes, setHost } from "../shared/proxy-sets";
import { dockerOptions } from "./options";

/*
 * Which containers a service runs on one Docker host under its delivery strategy, and which of
 * them the envkit proxy routes to. Pure (no provider classes): validation, the host budget and the
 * lowering read the same answers.
 */

/** A release set (shared/proxy-sets.ts) and how its containers are replaced on one host. */
export interface ContainerSet extends ReleaseSet {
  /**
   * How a release change replaces the set's containers: `surge` starts the new containers (named
   * by a hash of what forces replacement, `create_before_destroy`) and waits until they are
   * healthy before the old ones stop; `recreate` stops the old ones first (same names).
   */
  readonly replace: "surge" | "recreate";
}

/**
 * The container sets of a service (shared/proxy-sets.ts releaseSets). recreate stops each
 * container before its successor starts (today's behaviour); every other strategy surges, except
 * on a stateful service: two processes on one volume corrupt it, so it rolls by recreating, like
 * a StatefulSet's one pod at a time without surge.
 */
export function containerSets(svc: ServiceModel): ContainerSet[] {
  const replace = svc.rollout.strategy !== "recreate" && svc.kind === "stateless" ? "surge" : "recreate";
  return releaseSets(svc).map((s) => ({ ...s, replace }));
}

/**
 * How the proxy reaches a service, if it does. `alias`: the proxy answers to the service's name on
 * every network the service is on, and the sets answer to `<svc>-<set>` (blue-green, canary).
 * `front`: a public rolling service keeps its alias; only its public ports move to the proxy, so
 * its containers no longer bind a host port and can overlap during a rolling update.
 */
export function proxyRouting(svc: ServiceModel): "alias" | "front" | undefined {
  if (routedBySets(svc)) return "alias";
  if (svc.rollout.strategy === "rolling" && svc.public && svc.ports.length > 0 && svc.kind === "stateless") return "front";
  return undefined;
}

export { setHost };

/** A port the proxy publishes on the host. */
export interface ProxyPublish {
  readonly listen: number;
  readonly hostPort: number;
  /** The service whose traffic it carries. */
  readonly service: string;
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
    // On one host a set's name resolves to each of its containers.
    const { live, preview } = proxySets(svc, (set) => set.replicas);
    const own = serviceRoutes(env, svc, { live, preview }, (hostPort) => hostPort + o.proxy.previewPortOffset);
    routes.push(...own.routes);
    for (const p of own.publish) publish.push({ listen: p.listen, hostPort: p.hostPort, service: svc.name, ip: p.preview ? PREVIEW_ADDRESS : o.publishAddress, protocol: "tcp" });
  }
  return { plan: { scope: `${env.app}-${env.name}`, routes }, publish, services };
}
