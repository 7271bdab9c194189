import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { ProxyPlan, ProxyRoute } from "../shared/proxy";
import { ProxyStance, ReleaseSet, proxySets, releaseSets, routedBySets, serviceRoutes, setHost, withTranslation } from "../shared/proxy-sets";
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

/**
 * How the proxy stands in front of a service on Docker, if it does: {@link proxyRouting} (`alias`
 * takes the name everywhere, `front` publishes), and where the service's clients dial a
 * servicePort other than the container port, it takes the name on the networks of those
 * connections (shared/proxy-sets.ts withTranslation): one proxy for both.
 */
export function dockerStance(env: Pick<EnvironmentModel, "connections">, svc: ServiceModel): ProxyStance | undefined {
  const routing = proxyRouting(svc);
  return withTranslation(env, svc, routing === "alias" ? { name: "everywhere" } : routing === "front" ? { front: true } : undefined);
}

/** Whether the proxy publishes a service's ports (its public blue-green, canary and rolling services). */
export function publishedByProxy(svc: ServiceModel): boolean {
  return svc.public && proxyRouting(svc) !== undefined;
}

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
 * a listener on its servicePort when other services connect to it (they address
 * `<svc>:<servicePort>`; the proxy forwards to the container port), else on its hostPort; a public
 * one is published on its hostPort unless the proxy only translates its ports (the containers
 * then publish, as without a proxy). The sets of a blue-green service: the live slot (100%); of a canary:
 * stable and canary by weight. A public blue-green or canary service also gets a preview listener
 * (the idle slot, or the canary alone) published on loopback at hostPort + docker.proxy.previewPortOffset.
 */
export function dockerProxyPlan(env: EnvironmentModel): DockerProxyPlan | undefined {
  const services = env.services.filter((s) => dockerStance(env, s) !== undefined);
  if (!services.length) return undefined;
  const o = dockerOptions(env);
  const routes: ProxyRoute[] = [];
  const publish: ProxyPublish[] = [];
  for (const svc of services) {
    // On one host a set's name resolves to each of its containers.
    const { live, preview } = proxySets(svc, (set) => set.replicas, undefined, dockerStance(env, svc)!.name !== undefined);
    const own = serviceRoutes(env, svc, { live, preview }, { publishes: proxyRouting(svc) !== undefined, previewAt: (hostPort) => hostPort + o.proxy.previewPortOffset });
    routes.push(...own.routes);
    for (const p of own.publish) publish.push({ listen: p.listen, hostPort: p.hostPort, service: svc.name, ip: p.preview ? PREVIEW_ADDRESS : o.publishAddress, protocol: "tcp" });
  }
  return { plan: { scope: `${env.app}-${env.name}`, routes }, publish, services };
}
