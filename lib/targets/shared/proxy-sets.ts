import { EnvironmentModel, ReleaseModel, ServiceModel, idleSlot } from "../../model/environment";
import { canarySplit } from "./capacity";
import { PlannedNetwork } from "./network-plan";
import { PROXY_HEALTH_PORT, ProxyPlan, ProxyRoute, ProxySet } from "./proxy";
import { indexOf } from "../../model/environment-index";

/*
 * The release sets a delivery strategy runs, and how the envkit proxy shares a service's traffic
 * between them: the same on every target that routes through the proxy (Docker, Swarm).
 */

/** Names of the sets a service runs under blue-green or canary. */
export type SetName = "blue" | "green" | "stable" | "canary";

/** A group of identical replicas of one service: the whole service, a blue-green slot, the stable or the canary. */
export interface ReleaseSet {
  /** `blue`/`green`/`stable`/`canary`, or undefined for a service with one set (recreate, rolling). */
  readonly name?: SetName;
  readonly release: ReleaseModel;
  readonly replicas: number;
}

/**
 * The release sets of a service. recreate and rolling: the service itself. blue-green: both
 * slots (the idle one with `idleReplicas`). canary: stable and canary split as on every target
 * (capacity.ts canarySplit), or the stable alone with no canary in flight (same name, so a canary's
 * start or end never renames the stable).
 */
export function releaseSets(svc: ServiceModel): ReleaseSet[] {
  const r = svc.rollout;
  const own: ReleaseModel = { image: svc.image, version: svc.version };
  switch (r.strategy) {
    case "recreate":
    case "rolling":
      return [{ release: own, replicas: svc.replicas }];
    case "blue-green":
      return (["blue", "green"] as const).map((slot) => ({ name: slot, release: r.slots[slot], replicas: slot === r.live ? svc.replicas : r.idleReplicas }));
    case "canary": {
      if (!r.canary) return [{ name: "stable", release: own, replicas: svc.replicas }];
      const split = canarySplit(svc.replicas, r.weight);
      return [
        { name: "stable", release: own, replicas: split.stable },
        { name: "canary", release: r.canary, replicas: split.canary },
      ];
    }
  }
}

/** Whether the proxy routes a service by taking over its name (blue-green and canary). */
export function routedBySets(svc: ServiceModel): boolean {
  return svc.rollout.strategy === "blue-green" || svc.rollout.strategy === "canary";
}

/** The DNS name a set answers to: the service's own for a single set, `<svc>-<set>` otherwise. */
export function setHost(svc: ServiceModel, set: Pick<ReleaseSet, "name">): string {
  return set.name ? `${svc.name}-${set.name}` : svc.name;
}

/**
 * The DNS name a set's containers answer to where the proxy answers to the service's name:
 * `<svc>-<set>`, and `<svc>-stable` for a service with one set (recreate, rolling) whose ports
 * the proxy translates.
 */
export function upstreamHost(svc: ServiceModel, set: Pick<ReleaseSet, "name">): string {
  return `${svc.name}-${set.name ?? "stable"}`;
}

/** The ports clients dial at another number than the container's (`servicePort` ≠ `port`). */
export function translatedPorts(svc: ServiceModel): ServiceModel["ports"] {
  return svc.ports.filter((p) => p.servicePort !== p.port);
}

/**
 * Whether the envkit proxy answers for a service to translate its ports: some port's servicePort
 * differs from the container port and some service connects to it. Nothing between two
 * containers translates ports, so the proxy takes the service's name on its connections'
 * networks, listens on each servicePort and forwards to the container port. With no connection
 * no client dials the servicePort, and nothing is needed.
 */
export function translatesPorts(env: Pick<EnvironmentModel, "connections">, svc: ServiceModel): boolean {
  return translatedPorts(svc).length > 0 && indexOf(env).connectionsTo(svc.name).length > 0;
}

/**
 * The proxy's sets for a service's traffic and for its preview. blue-green: the live slot (100%),
 * preview the idle slot while it has replicas. canary: stable and canary by weight (an empty set
 * takes no share), preview the canary alone. One set otherwise. `servers` is how many addresses
 * a set's name resolves to; `hostOf` the name the proxy resolves for a set's alias. `byName`: the
 * proxy answers to the service's name, so the sets answer to {@link upstreamHost} (else, a
 * service the proxy only publishes, to {@link setHost}).
 */
export function proxySets(svc: ServiceModel, servers: (set: ReleaseSet) => number, hostOf: (name: string) => string = (n) => n, byName = true): { live: ProxySet[]; preview?: ProxySet } {
  const sets = releaseSets(svc);
  const r = svc.rollout;
  const of = (s: ReleaseSet, share: number): ProxySet => ({ name: s.name ?? "stable", host: hostOf(byName ? upstreamHost(svc, s) : setHost(svc, s)), servers: s.replicas > 0 ? servers(s) : 0, share });
  if (r.strategy === "blue-green") {
    const on = sets.find((s) => s.name === r.live)!;
    const off = sets.find((s) => s.name === idleSlot(r.live))!;
    return { live: [of(on, 100)], preview: off.replicas > 0 ? of(off, 100) : undefined };
  }
  if (r.strategy === "canary") {
    const stable = sets[0];
    const canary = sets[1];
    if (!canary || canary.replicas === 0) return { live: [of(stable, 100)] };
    const weight = stable.replicas === 0 ? 100 : r.weight;
    return { live: [of(stable, 100 - weight), of(canary, weight)], preview: of(canary, 100) };
  }
  return { live: [of(sets[0], 100)] };
}

/** A port the proxy publishes: where it listens and the host port, and whether it is a preview. */
export interface ProxyPublish {
  readonly listen: number;
  readonly hostPort: number;
  readonly preview: boolean;
}

/**
 * The proxy's listeners for one routed service. Each TCP port listens on the port clients dial,
 * its servicePort, when other services connect to it (they address `<svc>:<servicePort>`), else on
 * its hostPort (unique on the host already, so many public services may use 8080), and forwards
 * to the container port. `publishes`: the proxy publishes the public service's ports (on its
 * hostPort); with `previewAt`, a public service with a preview set also gets a preview listener
 * published at `previewAt(hostPort)`. A service the proxy only translates publishes its own ports.
 */
export function serviceRoutes(
  env: Pick<EnvironmentModel, "connections">,
  svc: ServiceModel,
  sets: { live: ProxySet[]; preview?: ProxySet },
  opts: { readonly publishes: boolean; readonly previewAt?: (hostPort: number) => number },
): { routes: ProxyRoute[]; publish: ProxyPublish[] } {
  const routes: ProxyRoute[] = [];
  const publish: ProxyPublish[] = [];
  const publishes = opts.publishes && svc.public;
  const addressed = !publishes || indexOf(env).connectionsTo(svc.name).length > 0;
  for (const p of svc.ports) {
    if (p.protocol !== "tcp") continue; // refused by the targets' validation: TCP mode only
    const listen = addressed ? p.servicePort : p.hostPort;
    routes.push({ name: `${svc.name}-${p.name}`, service: svc.name, listen, port: p.port, sets: sets.live });
    if (publishes) publish.push({ listen, hostPort: p.hostPort, preview: false });
    if (publishes && sets.preview && opts.previewAt) {
      const at = opts.previewAt(p.hostPort);
      routes.push({ name: `${svc.name}-${p.name}-preview`, service: svc.name, listen: at, port: p.port, sets: [sets.preview] });
      publish.push({ listen: at, hostPort: at, preview: true });
    }
  }
  return { routes, publish };
}

/**
 * How the proxy stands in front of one service. `name`: where it answers to the service's name —
 * on every network where the service is addressed (blue-green, canary: the sets answer to
 * `<svc>-<set>` everywhere), or only on the networks of the connections to it (`clients`: port
 * translation; elsewhere, e.g. a backup job's network, the containers keep the name). `front`: it
 * joins the service's non-internal network to publish its ports.
 */
export interface ProxyStance {
  readonly name?: "everywhere" | "clients";
  readonly front?: boolean;
}

/** The stance that takes a service's name where its clients dial it, added to a strategy's. */
export function withTranslation(env: Pick<EnvironmentModel, "connections">, svc: ServiceModel, stance: ProxyStance | undefined): ProxyStance | undefined {
  if (!translatesPorts(env, svc) || stance?.name === "everywhere") return stance;
  return { ...stance, name: "clients" };
}

/** Whether the proxy answers to `member`'s name on network `n` (by its stance there). */
export function takesName(n: Pick<PlannedNetwork, "members" | "server">, member: string, stance: ProxyStance | undefined): boolean {
  if ((n.members.get(member)?.length ?? 0) === 0) return false;
  return stance?.name === "everywhere" || (stance?.name === "clients" && n.server === member);
}

/**
 * The networks the proxy joins and the names it answers to there (by each service's
 * {@link ProxyStance}): every network where it takes a service's name, and the non-internal
 * network of a service it publishes (`front`). `allow`: per routed service, the subnets of those
 * networks (its internal listeners accept nothing else, so the proxy, on several networks, opens
 * no path between services that declared none).
 */
export function proxyMembership(
  networks: readonly Pick<PlannedNetwork, "purpose" | "subnet" | "internal" | "members" | "server">[],
  how: (service: string) => ProxyStance | undefined,
): { joins: { purpose: string; aliases: string[] }[]; allow: Map<string, string[]> } {
  const joins: { purpose: string; aliases: string[] }[] = [];
  const allow = new Map<string, string[]>();
  for (const n of networks) {
    const named = [...n.members].filter(([m]) => takesName(n, m, how(m)));
    const addressed = [...n.members].filter(([m]) => takesName(n, m, how(m)) || (how(m)?.front === true && !n.internal));
    if (!addressed.length) continue;
    joins.push({ purpose: n.purpose, aliases: named.flatMap(([, a]) => a) });
    for (const [m] of addressed) allow.set(m, [...(allow.get(m) ?? []), n.subnet]);
  }
  return { joins, allow };
}

/** The plan's routes with the listeners of each service the proxy does not publish limited to `allow`. */
export function withSourceLimits(plan: ProxyPlan, published: (service: string) => boolean, allow: ReadonlyMap<string, readonly string[]>): ProxyPlan {
  return { ...plan, routes: plan.routes.map((r) => (published(r.service) ? r : { ...r, allow: allow.get(r.service) ?? [] })) };
}

/** A problem with the proxy's listeners: the field to change and why. */
export interface ListenerProblem {
  readonly path: string[];
  readonly message: string;
}

/**
 * One HAProxy listens for every routed port (and preview): none may take the proxy's health port
 * or exceed 65535, and only TCP can be proxied. Two routes may share a port only when both belong
 * to different services the proxy does not publish (`published`): each is then reached on
 * networks of its own, and the connection's destination picks it (shared/proxy.ts). `byStrategy`:
 * whether the proxy is in front of a service for its rollout (else only for its servicePorts).
 * `previewSetting` names the target's preview offset setting, when it has one.
 */
export function proxyListenerProblems(
  services: readonly ServiceModel[],
  plan: ProxyPlan,
  opts: { readonly published: (service: string) => boolean; readonly byStrategy: (svc: ServiceModel) => boolean; readonly previewSetting?: string[] },
): ListenerProblem[] {
  const out: ListenerProblem[] = [];
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const svc of services) {
    const translated = translatedPorts(svc)[0];
    for (const p of svc.ports) {
      if (p.protocol === "tcp") continue;
      const why = opts.byStrategy(svc)
        ? `the envkit proxy in front of ${svc.rollout.strategy} services forwards TCP only; use rollout.strategy recreate (or rolling on Swarm) for a service with UDP ports`
        : `the envkit proxy answers for "${svc.name}" (its clients dial port ${translated.name} at servicePort ${translated.servicePort}, the container listens on ${translated.port}) and forwards TCP only; set servicePort equal to port for every port of a service with UDP ports`;
      out.push({ path: ["services", svc.name, "ports", p.name, "protocol"], message: `"${p.protocol}": ${why}` });
    }
  }
  const previewSetting = opts.previewSetting;
  const listeners = new Map<number, { what: string; route?: ProxyRoute }[]>([[PROXY_HEALTH_PORT, [{ what: "the proxy's own health check" }]]]);
  for (const r of plan.routes) {
    const rest = r.name.slice(r.service.length + 1);
    const preview = rest.endsWith("-preview");
    const portName = preview ? rest.slice(0, -"-preview".length) : rest;
    const port = byName.get(r.service)?.ports.find((p) => p.name === portName);
    const dialled = !preview && port !== undefined && port.servicePort !== port.port && r.listen === port.servicePort;
    const what = preview ? `the preview of "${r.service}" port ${portName}` : `"${r.service}" port ${portName}`;
    const where = preview && previewSetting ? previewSetting : ["services", r.service, "ports", portName, dialled ? "servicePort" : "port"];
    const fix = preview ? previewSetting?.join(".") : dialled ? "servicePort" : "port (or hostPort)";
    const shares = (o: ProxyRoute | undefined): boolean => o !== undefined && o.service !== r.service && !opts.published(o.service) && !opts.published(r.service);
    const other = (listeners.get(r.listen) ?? []).find((o) => !shares(o.route));
    if (r.listen > 65535) out.push({ path: where, message: `${what} would listen on ${r.listen}, above 65535; lower ${preview ? previewSetting?.join(".") : "the port"} or the hostPort` });
    else if (other?.route?.service === r.service && !preview && !other.route.name.endsWith("-preview")) out.push({ path: where, message: `clients of "${r.service}" would dial ${r.listen} for port ${portName} and for ${other.what.slice(r.service.length + 3)}; give one of them another servicePort` });
    else if (other) out.push({ path: where, message: `the envkit proxy would listen on ${r.listen} for ${what} and for ${other.what}; give one of them another ${fix}` });
    listeners.set(r.listen, [...(listeners.get(r.listen) ?? []), { what, route: r }]);
  }
  return out;
}
