import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { ProxyPlan } from "../shared/proxy";
import { ProxyPublish, ProxyStance, proxySets, routedBySets, serviceRoutes, withTranslation } from "../shared/proxy-sets";

/* Which Swarm services the envkit proxy routes, and how: pure (no provider classes), for validation and lowering. */

/** The Swarm proxy of an environment: its configuration input and what it publishes. */
export interface SwarmProxyPlan {
  readonly plan: ProxyPlan;
  readonly publish: readonly ProxyPublish[];
}

/**
 * How the proxy stands in front of a Swarm service, if it does: it takes the name everywhere for a
 * blue-green or canary service (and publishes its ports), and on the networks of the connections
 * to a service whose clients dial a servicePort other than the container port (shared/proxy-sets.ts
 * withTranslation; the service keeps publishing its own ports).
 */
export function swarmStance(env: Pick<EnvironmentModel, "connections">, svc: ServiceModel): ProxyStance | undefined {
  return withTranslation(env, svc, routedBySets(svc) ? { name: "everywhere" } : undefined);
}

/**
 * The proxy plan of a Swarm environment, or undefined when no service is blue-green or canary and
 * none has its ports translated (a rolling service needs none on Swarm: the routing mesh sends
 * connections to the tasks that are running, and start-first updates keep one running). Each set is one Swarm service; the
 * proxy resolves `tasks.<alias>` (the tasks' own addresses, one server per task, as on Docker)
 * rather than the alias' virtual IP, so it health-checks and balances the tasks itself and needs
 * no IPVS path (measured: on this engine the virtual IP gave "No route to host" while
 * `tasks.<alias>` answered); no preview port (a published port
 * is open on every node): the idle slot answers to `<svc>-<slot>` on the service's networks.
 */
export function swarmProxyPlan(env: EnvironmentModel): SwarmProxyPlan | undefined {
  const services = env.services.filter((s) => swarmStance(env, s) !== undefined);
  if (!services.length) return undefined;
  const all = services.map((svc) => serviceRoutes(env, svc, { live: proxySets(svc, (set) => set.replicas, (alias) => `tasks.${alias}`).live }, { publishes: routedBySets(svc) }));
  return { plan: { scope: `${env.app}-${env.name}`, routes: all.flatMap((r) => r.routes) }, publish: all.flatMap((r) => r.publish) };
}

