import { createHash } from "node:crypto";
import { Cidr, formatIp } from "../../model/cidr";
import { ConnectionModel, EnvironmentModel, ServiceModel } from "../../model/environment";
import { scopedName } from "../../model/names";

/** One network of an environment (Docker and Swarm both carve theirs from `network.subnet`) and who joins it. */
export interface PlannedNetwork {
  /** Construct id suffix and name purpose, e.g. `front`, `api-to-db`. */
  readonly purpose: string;
  readonly name: string;
  readonly subnet: string;
  /**
   * The block this network's purpose hashes to (a function of the purpose, the range and the
   * network's size only). `subnet` equals it unless another network of the plan hashes to an
   * overlapping block (then both are placed by probing, see {@link planNetworks}).
   */
  readonly home: string;
  /** Internal networks have no route outside the host and cannot publish ports. */
  readonly internal: boolean;
  /** Service name → DNS aliases it answers to on this network. */
  readonly members: ReadonlyMap<string, readonly string[]>;
  /** The server of a client→server pair network (the member its client dials); absent on others. */
  readonly server?: string;
}

/** What the plan reads of an environment (tests build it directly). */
export type NetworkPlanInput = Pick<EnvironmentModel, "app" | "name" | "subnet"> & {
  readonly services: readonly (Pick<ServiceModel, "name" | "public" | "replicas"> & Partial<Pick<ServiceModel, "egress" | "runBefore" | "backup">>)[];
  readonly connections: readonly Pick<ConnectionModel, "from" | "to">[];
};

/** The backup job of a service, as a network member and a container name: `<service>-backup`. */
export function backupJobName(service: string): string {
  return `${service}-backup`;
}

/** Smallest block a network gets: a /28 (13 containers besides the gateway). */
const MIN_BLOCK = 16;
/** Probes a contested network tries (own-name hashes) before scanning the range in order. */
const PROBES = 32;

/** A 48-bit number from sha256(text): uniform, the same on every machine and Node version. */
function hash48(text: string): number {
  return parseInt(createHash("sha256").update(text).digest("hex").slice(0, 12), 16);
}

/** Addresses a network of `containers` members needs: network, gateway, broadcast and one each. */
function blockSize(containers: number): number {
  let size = MIN_BLOCK;
  while (size < containers + 3) size *= 2;
  return size;
}

/**
 * Plans the networks of a Docker environment so that undeclared traffic is impossible:
 * - `front`: public services only (not internal, so ports can be published);
 * - one internal network per declared client→server pair, joined by exactly those two, where the
 *   server answers to its service name;
 * - `<service>-egress`: not internal, joined by that service only, for each service that declares
 *   `egress` (the only way out of the environment besides `front`);
 * - a service with no network from the above gets its own internal network (never the default
 *   bridge).
 *
 * Subnets are placed so that changing the app does not renumber unrelated networks (a renumbered
 * network is replaced, and on a large app one new connection used to replace most of them):
 * - `front` always owns the first block of the range (a /24, or a quarter of a range smaller
 *   than a /22), whether or not there are public services, so it never moves.
 * - Every other network is sized for its members' containers (a /28, or larger for many
 *   replicas) and has a home block: sha256(purpose) modulo the blocks of that size in the range.
 *   A network whose home overlaps no other network's home (nor `front`) sits at its home, so its
 *   subnet depends on its purpose, its size and the range alone: adding or removing any other
 *   service or connection cannot move it.
 * - Networks whose homes overlap ("contested") are placed after all uncontested ones, in order
 *   of purpose, each at the first free block among hashes of its own purpose, then by scanning.
 *   Only contested networks can move when the app changes: when a network appears at (or leaves)
 *   a block they probed, or their home stops being contested. On a 100-service app with 198
 *   networks in a /16, 17 are contested and one added connection moves 0.05 networks on average
 *   (sequential carving moved 86).
 * Why not fully stable: any stateless placement in which no network ever moves must give each
 * network a block that depends on its own purpose alone (remove the others one by one), and
 * such hashes collide (birthday bound: ~90 networks in a /16 of /28s collide with probability
 * ~60%), so a collision must either fail or move something. Failing would refuse most large
 * apps; instead a moved network's containers are replaced with it (`replace_triggered_by` in
 * DockerEnvironment), so the apply still succeeds. Full stability needs remembered
 * assignments (state or a committed record), which this pure function does not have.
 * Size changes (a service's replicas crossing 13, 29, … containers per network) move that
 * service's networks, and the range itself moves everything.
 */
export function planNetworks(env: NetworkPlanInput, opts: { backups?: boolean; archiveNetworks?: boolean } = {}): { networks: PlannedNetwork[]; error?: string } {
  const specs: { purpose: string; internal: boolean; members: Map<string, string[]>; server?: string }[] = [];
  const publicServices = env.services.filter((s) => s.public);
  if (publicServices.length > 0) {
    specs.push({ purpose: "front", internal: false, members: new Map(publicServices.map((s) => [s.name, [s.name]])) });
  }
  const pairs = new Map<string, { client: string; server: string }>();
  for (const c of env.connections) pairs.set(`${c.from}-to-${c.to}`, { client: c.from, server: c.to });
  for (const key of [...pairs.keys()].sort()) {
    const { client, server } = pairs.get(key)!;
    specs.push({ purpose: key, internal: true, members: new Map([[client, []], [server, [server]]]), server });
  }
  for (const svc of env.services) {
    if ((svc.egress?.length ?? 0) > 0) specs.push({ purpose: `${svc.name}-egress`, internal: false, members: new Map([[svc.name, []]]) });
  }
  // A dump job (`backup` other than archive) reaches its database over a network of its own,
  // joined by the two of them only: `<service>-backup`, its member the job `<service>-backup`.
  // With `archiveNetworks` (Swarm, where a task without a network lands on the node's default
  // bridge), an archive job gets one too, joined by the job alone.
  const backupJobs = opts.backups ? env.services.filter((s) => s.backup && (opts.archiveNetworks || s.backup.method !== "archive")).map((s) => s.name) : [];
  const dumps = new Set(env.services.filter((s) => s.backup && s.backup.method !== "archive").map((s) => s.name));
  for (const svc of [...backupJobs].sort()) specs.push({ purpose: backupJobName(svc), internal: true, members: new Map([[backupJobName(svc), []], ...(dumps.has(svc) ? [[svc, [svc]] as [string, string[]]] : [])]) });
  const joined = new Set(specs.flatMap((s) => [...s.members.keys()]));
  for (const svc of env.services) {
    if (!joined.has(svc.name)) specs.push({ purpose: `${svc.name}-isolated`, internal: true, members: new Map([[svc.name, [svc.name]]]) });
  }

  const range = env.subnet!;
  const rangeSize = range.last - range.first + 1;
  const replicas = new Map([...env.services.map((s): [string, number] => [s.name, Math.max(0, s.replicas)]), ...backupJobs.map((j): [string, number] => [backupJobName(j), 1])]);
  const containersOf = (members: Map<string, string[]>): number => [...members.keys()].reduce((n, m) => n + (replicas.get(m) ?? 0), 0);
  const frontSize = Math.min(256, rangeSize / 4);
  const frontSpec = specs.find((s) => s.purpose === "front");
  const frontContainers = frontSpec ? containersOf(frontSpec.members) : 0;
  // The suggested range fits the front and leaves three quarters of the other blocks free, so few
  // homes are contested.
  const needed = Math.max(256, 4 * (frontContainers + 3)) + 4 * specs.filter((s) => s.purpose !== "front").reduce((sum, s) => sum + blockSize(containersOf(s.members)), 0);
  const suggested = Math.min(range.prefix - 1, 32 - Math.ceil(Math.log2(needed)));
  const full = (why: string): { networks: PlannedNetwork[]; error: string } => ({
    networks: [],
    error: `${range.text} cannot hold this environment's networks: ${why}; use a larger range (e.g. a /${suggested})`,
  });
  if (frontContainers + 3 > 256) {
    return { networks: [], error: `the front network (a /24) holds at most 253 public containers, and ${frontContainers} are needed; make some services non-public (or use fewer replicas of public services)` };
  }
  if (frontContainers + 3 > frontSize) {
    return full(`the front network (the first /${32 - Math.log2(frontSize)} of the range) has room for ${frontSize - 3} public containers, and ${frontContainers} are needed`);
  }

  interface Block { first: number; size: number }
  // Occupancy by /28 unit (blocks are aligned powers of two of at least a /28), so contest and
  // probe checks cost the few units of a block, not a scan of every network: a config with
  // thousands of networks stays linear.
  const unitsOf = (b: Block): number[] => Array.from({ length: b.size / MIN_BLOCK }, (_, i) => (b.first - range.first) / MIN_BLOCK + i);
  const front: Block = { first: range.first, size: frontSize };
  const frontUnits = Math.max(1, frontSize / MIN_BLOCK);
  const inFront = (b: Block): boolean => b.first < front.first + front.size;
  const rest = specs
    .filter((s) => s.purpose !== "front")
    .map((s) => {
      const size = blockSize(containersOf(s.members));
      const count = rangeSize / size;
      return { spec: s, size, count, home: { first: range.first + (hash48(s.purpose) % count) * size, size } };
    });
  const tooBig = rest.find((r) => r.count < 1);
  if (tooBig) return full(`network "${tooBig.spec.purpose}" needs a /${32 - Math.log2(tooBig.size)} for ${containersOf(tooBig.spec.members)} containers`);

  const homeCount = new Map<number, number>();
  for (const r of rest) for (const u of unitsOf(r.home)) homeCount.set(u, (homeCount.get(u) ?? 0) + 1);
  const placed = new Map<string, Block>();
  const taken = new Set<number>();
  for (let u = 0; u < frontUnits; u++) taken.add(u);
  const take = (purpose: string, b: Block): void => {
    placed.set(purpose, b);
    for (const u of unitsOf(b)) taken.add(u);
  };
  const contested: typeof rest = [];
  for (const r of rest) {
    if (inFront(r.home) || unitsOf(r.home).some((u) => homeCount.get(u)! > 1)) contested.push(r);
    else take(r.spec.purpose, r.home);
  }
  contested.sort((a, b) => (a.spec.purpose < b.spec.purpose ? -1 : 1));
  for (const r of contested) {
    const free = (index: number): Block | undefined => {
      const b = { first: range.first + index * r.size, size: r.size };
      return inFront(b) || unitsOf(b).some((u) => taken.has(u)) ? undefined : b;
    };
    let block: Block | undefined;
    for (let i = 1; i <= PROBES && !block; i++) block = free(hash48(`${r.spec.purpose}#${i}`) % r.count);
    const start = hash48(`${r.spec.purpose}#1`) % r.count;
    for (let i = 0; i < r.count && !block; i++) block = free((start + i) % r.count);
    if (!block) return full(`${specs.length} networks (a /28 or larger each, besides the front) need more room than it has`);
    take(r.spec.purpose, block);
  }

  const cidr = (b: Block): string => `${formatIp(b.first)}/${32 - Math.log2(b.size)}`;
  const homes = new Map(rest.map((r) => [r.spec.purpose, r.home]));
  const networks = specs.map((s) => {
    const block = s.purpose === "front" ? front : placed.get(s.purpose)!;
    return {
      purpose: s.purpose,
      name: scopedName(env.app, env.name, s.purpose),
      subnet: cidr(block),
      home: cidr(homes.get(s.purpose) ?? front),
      internal: s.internal,
      members: s.members,
      ...(s.server !== undefined && { server: s.server }),
    };
  });
  return { networks };
}

/** Whether a planned subnet lies inside the environment's range (used by tests and guards). */
export function inRange(outer: Cidr, subnetText: string): boolean {
  const [ip, p] = subnetText.split("/");
  const n = ip.split(".").reduce((a, o) => a * 256 + Number(o), 0);
  return n >= outer.first && n + 2 ** (32 - Number(p)) - 1 <= outer.last;
}

/**
 * Start-order cycles among connections: on Docker each client container is created only after
 * the containers of the servers it connects to are healthy (`depends_on` + `wait`), so a cycle of
 * connections (a → b → a) has no container that could start first. Returns one cycle per
 * strongly connected component, each as service names from the smallest name back to itself.
 */
export function startOrderCycles(env: Pick<NetworkPlanInput, "services" | "connections">): string[][] {
  const out = new Map<string, string[]>(env.services.map((s) => [s.name, []]));
  for (const c of env.connections) if (!out.get(c.from)?.includes(c.to)) out.get(c.from)?.push(c.to);
  // A job's dependants start after it (runBefore), so they are edges too.
  for (const s of env.services) for (const d of s.runBefore ?? []) if (!out.get(d)?.includes(s.name)) out.get(d)?.push(s.name);
  for (const list of out.values()) list.sort();
  const names = [...out.keys()].sort();
  // Tarjan's strongly connected components, iterative: a config may chain thousands of services,
  // deeper than the call stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (root: string): void => {
    const frames: { v: string; next: number }[] = [];
    const enter = (v: string): void => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      frames.push({ v, next: 0 });
    };
    enter(root);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      const edges = out.get(frame.v) ?? [];
      if (frame.next < edges.length) {
        const w = edges[frame.next++];
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v)!, index.get(w)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v)!, low.get(frame.v)!));
      if (low.get(frame.v) === index.get(frame.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.v);
        components.push(comp);
      }
    }
  };
  for (const v of names) if (!index.has(v)) visit(v);

  const cycles: string[][] = [];
  for (const comp of components) {
    const members = new Set(comp);
    const start = [...comp].sort()[0];
    if (comp.length === 1 && !out.get(start)!.includes(start)) continue;
    // Shortest way back to `start` inside the component (breadth first, names in order).
    const prev = new Map<string, string>();
    const queue = [start];
    let found = false;
    for (let head = 0; head < queue.length && !found; head++) {
      const v = queue[head];
      for (const w of out.get(v)!) {
        if (!members.has(w)) continue;
        if (w === start) {
          prev.set(start, v);
          found = true;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    const cycle = [start];
    for (let v = prev.get(start)!; v !== start; v = prev.get(v)!) cycle.unshift(v);
    cycle.unshift(start);
    cycles.push(cycle);
  }
  return cycles.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
