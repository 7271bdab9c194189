import { Cidr, formatIp } from "../../model/cidr";
import { EnvironmentModel } from "../../model/environment";
import { scopedName } from "../../model/names";

/** One Docker network of an environment and who joins it. */
export interface PlannedNetwork {
  /** Construct id suffix and name purpose, e.g. `front`, `api-to-db`. */
  readonly purpose: string;
  readonly name: string;
  readonly subnet: string;
  /** Internal networks have no route outside the host and cannot publish ports. */
  readonly internal: boolean;
  /** Service name → DNS aliases it answers to on this network. */
  readonly members: ReadonlyMap<string, readonly string[]>;
}

/**
 * Plans the networks of a Docker environment so that undeclared traffic is impossible:
 * - `front`: public services only (not internal, so ports can be published);
 * - one internal network per declared client→server pair, joined by exactly those two, where the
 *   server answers to its service name;
 * - a service with no network from the above gets its own internal network (never the default
 *   bridge).
 * Each network gets a /24 (or smaller, to fit) carved in order from the environment's range.
 */
export function planNetworks(env: EnvironmentModel): { networks: PlannedNetwork[]; error?: string } {
  const specs: { purpose: string; internal: boolean; members: Map<string, string[]> }[] = [];
  const publicServices = env.services.filter((s) => s.public);
  if (publicServices.length > 0) {
    specs.push({ purpose: "front", internal: false, members: new Map(publicServices.map((s) => [s.name, [s.name]])) });
  }
  const pairs = new Map<string, { client: string; server: string }>();
  for (const c of env.connections) pairs.set(`${c.from}-to-${c.to}`, { client: c.from, server: c.to });
  for (const key of [...pairs.keys()].sort()) {
    const { client, server } = pairs.get(key)!;
    specs.push({ purpose: key, internal: true, members: new Map([[client, []], [server, [server]]]) });
  }
  const joined = new Set(specs.flatMap((s) => [...s.members.keys()]));
  for (const svc of env.services) {
    if (!joined.has(svc.name)) specs.push({ purpose: `${svc.name}-isolated`, internal: true, members: new Map([[svc.name, [svc.name]]]) });
  }
  const subnet = env.subnet!;
  const bits = Math.max(0, Math.ceil(Math.log2(Math.max(1, specs.length))));
  const prefix = Math.max(subnet.prefix + bits, 24);
  if (prefix > 28) {
    return { networks: [], error: `${subnet.text} cannot hold ${specs.length} networks of at least /28; use a larger range (e.g. a /16)` };
  }
  const size = 2 ** (32 - prefix);
  const networks = specs.map((s, i) => ({
    purpose: s.purpose,
    name: scopedName(env.app, env.name, s.purpose),
    subnet: `${formatIp(subnet.first + i * size)}/${prefix}`,
    internal: s.internal,
    members: s.members,
  }));
  return { networks };
}

/** Whether a planned subnet lies inside the environment's range (used by tests and guards). */
export function inRange(outer: Cidr, subnetText: string): boolean {
  const [ip, p] = subnetText.split("/");
  const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  return n >= outer.first && n + 2 ** (32 - Number(p)) - 1 <= outer.last;
}
