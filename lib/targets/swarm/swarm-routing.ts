import { EnvironmentModel } from "../../model/environment";
import { ProxyPlan } from "../shared/proxy";
import { ProxyPublish, proxySets, routedBySets, serviceRoutes } from "../shared/proxy-sets";

/* Which Swarm services the envkit proxy routes, and how: pure (no provider classes), for validation and lowering. */

/** The Swarm proxy of an environment: its configuration input and what it publishes. */
export interface SwarmProxyPlan {
  readonly plan: ProxyPlan;
  readonly publish: readonly ProxyPublish[];
}

/**
 * The proxy plan of a Swarm environment, or undefined when no service is blue-green or canary
 * (a rolling service needs none on Swarm: the routing mesh sends connections to the tasks that
 * are running, and start-first updates keep one running). Each set is one Swarm service; the
 * proxy resolves `tasks.<alias>` (the tasks' own addresses, one server per task, as on Docker)
 * rather than the alias' virtual IP, so it health-checks and balances the tasks itself and needs
 * no IPVS path (measured: on this engine the virtual IP gave "No route to host" while
 * `tasks.<alias>` answered); no preview port (a published port
 * is open on every node): the idle slot answers to `<svc>-<slot>` on the service's networks.
 */
export function swarmProxyPlan(env: EnvironmentModel): SwarmProxyPlan | undefined {
  const services = env.services.filter(routedBySets);
  if (!services.length) return undefined;
  const all = services.map((svc) => serviceRoutes(env, svc, { live: proxySets(svc, (set) => set.replicas, (alias) => `tasks.${alias}`).live }));
  return { plan: { scope: `${env.app}-${env.name}`, routes: all.flatMap((r) => r.routes) }, publish: all.flatMap((r) => r.publish) };
}

