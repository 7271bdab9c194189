import { EnvironmentModel, ReleaseModel, ServiceModel, idleSlot } from "../../model/environment";
import { canarySplit } from "./capacity";
import { PlannedNetwork } from "./network-plan";
import { PROXY_HEALTH_PORT, ProxyPlan, ProxyRoute, ProxySet } from "./proxy";

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
 * The proxy's sets for a service's traffic and for its preview. blue-green: the live slot (100%),
 * preview the idle slot while it has replicas. canary: stable and canary by weight (an empty set
 * takes no share), preview the canary alone. One set otherwise. `servers` is how many addresses
 * a set's name resolves to; `hostOf` the name the proxy resolves for a set's alias.
 */
export function proxySets(svc: ServiceModel, servers: (set: ReleaseSet) => number, hostOf: (name: string) => string = (n) => n): { live: ProxySet[]; preview?: ProxySet } {
  const sets = releaseSets(svc);
  const r = svc.rollout;
  const of = (s: ReleaseSet, share: number): ProxySet => ({ name: s.name ?? "stable", host: hostOf(setHost(svc, s)), servers: s.replicas > 0 ? servers(s) : 0, share });
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
 * The proxy's listeners for one routed service. Each TCP port listens on the service's own port
 * when other services connect to it (they keep addressing `<svc>:<port>`), else on its hostPort
 * (unique on the host already, so many public services may use 8080); a public one is published
 * on its hostPort. With `previewAt`, a public service with a preview set also gets a preview
 * listener published at `previewAt(hostPort)`.
 */
export function serviceRoutes(
  env: Pick<EnvironmentModel, "connections">,
  svc: ServiceModel,
  sets: { live: ProxySet[]; preview?: ProxySet },
  previewAt?: (hostPort: number) => number,
): { routes: ProxyRoute[]; publish: ProxyPublish[] } {
  const routes: ProxyRoute[] = [];
  const publish: ProxyPublish[] = [];
  const addressed = !svc.public || env.connections.some((c) => c.to === svc.name);
  for (const p of svc.ports) {
    if (p.protocol !== "tcp") continue; // refused by the targets' validation: TCP mode only
    const listen = addressed ? p.port : p.hostPort;
    routes.push({ name: `${svc.name}-${p.name}`, service: svc.name, listen, port: p.port, sets: sets.live });
    if (svc.public) publish.push({ listen, hostPort: p.hostPort, preview: false });
    if (svc.public && sets.preview && previewAt) {
      const at = previewAt(p.hostPort);
      routes.push({ name: `${svc.name}-${p.name}-preview`, service: svc.name, listen: at, port: p.port, sets: [sets.preview] });
      publish.push({ listen: at, hostPort: at, preview: true });
    }
  }
  return { routes, publish };
}

/**
 * The networks the proxy joins and the names it answers to there: every network where a service
 * it routes by name (`alias`) is addressed, taking that name; the non-internal network of a
 * service it only publishes (`front`). `allow`: per routed service, the subnets of those
 * networks (its internal listeners accept nothing else, so the proxy, on several networks, opens
 * no path between services that declared none).
 */
export function proxyMembership(
  networks: readonly Pick<PlannedNetwork, "purpose" | "subnet" | "internal" | "members">[],
  how: (service: string) => "alias" | "front" | undefined,
): { joins: { purpose: string; aliases: string[] }[]; allow: Map<string, string[]> } {
  const joins: { purpose: string; aliases: string[] }[] = [];
  const allow = new Map<string, string[]>();
  for (const n of networks) {
    const addressed = [...n.members].filter(([m, aliases]) => (how(m) === "alias" ? aliases.length > 0 : how(m) === "front" && !n.internal));
    if (!addressed.length) continue;
    joins.push({ purpose: n.purpose, aliases: addressed.filter(([m]) => how(m) === "alias").flatMap(([, a]) => a) });
    for (const [m] of addressed) allow.set(m, [...(allow.get(m) ?? []), n.subnet]);
  }
  return { joins, allow };
}

/** The plan's routes with each internal (non-public) service's listeners limited to `allow`. */
export function withSourceLimits(plan: ProxyPlan, isPublic: (service: string) => boolean, allow: ReadonlyMap<string, readonly string[]>): ProxyPlan {
  return { ...plan, routes: plan.routes.map((r) => (isPublic(r.service) ? r : { ...r, allow: allow.get(r.service) ?? [] })) };
}

/** A problem with the proxy's listeners: the field to change and why. */
export interface ListenerProblem {
  readonly path: string[];
  readonly message: string;
}

/**
 * One HAProxy listens for every routed port (and preview): no two may share a port, none may
 * take the proxy's health port or exceed 65535, and only TCP can be proxied. `previewSetting`
 * names the target's preview offset setting, when it has one.
 */
export function proxyListenerProblems(services: readonly ServiceModel[], plan: ProxyPlan, previewSetting?: string[]): ListenerProblem[] {
  const out: ListenerProblem[] = [];
  for (const svc of services) {
    for (const p of svc.ports) {
      if (p.protocol !== "tcp") out.push({ path: ["services", svc.name, "ports", p.name, "protocol"], message: `"${p.protocol}": the envkit proxy in front of ${svc.rollout.strategy} services forwards TCP only; use rollout.strategy recreate (or rolling on Swarm) for a service with UDP ports` });
    }
  }
  const listeners = new Map<number, string>([[PROXY_HEALTH_PORT, "the proxy's own health check"]]);
  for (const r of plan.routes) {
    const rest = r.name.slice(r.service.length + 1);
    const preview = rest.endsWith("-preview");
    const portName = preview ? rest.slice(0, -"-preview".length) : rest;
    const what = preview ? `the preview of "${r.service}" port ${portName}` : `"${r.service}" port ${portName}`;
    const where = preview && previewSetting ? previewSetting : ["services", r.service, "ports", portName, "port"];
    const other = listeners.get(r.listen);
    if (r.listen > 65535) out.push({ path: where, message: `${what} would listen on ${r.listen}, above 65535; lower ${preview ? previewSetting?.join(".") : "the port"} or the hostPort` });
    else if (other) out.push({ path: where, message: `the envkit proxy would listen on ${r.listen} for ${what} and for ${other}; give one of them another ${preview ? previewSetting?.join(".") : "port (or hostPort)"}` });
    listeners.set(r.listen, what);
  }
  return out;
}
