import fc from "fast-check";
import { AppConfig } from "../../lib/config/schema";
import { Cidr, parseCidr, overlaps } from "../../lib/model/cidr";
import { planNetworks, inRange, NetworkPlanInput, PlannedNetwork } from "../../lib/targets/shared/network-plan";
import { formatIssue } from "../../lib/errors";
import { dockerEnv, model, resolve } from "../helpers";

/**
 * An app of n services where service i talks to each service in `edges[i]`. Only connections to a
 * later service are kept: cycles are refused by the Docker adapter (start order), see
 * docker-start-order.test.ts.
 */
function app(n: number, edges: number[][]): AppConfig {
  const services: AppConfig["services"] = {};
  for (let i = 0; i < n; i++) {
    services[`s${i}`] = {
      image: "acme/s",
      public: i === 0,
      ports: [{ name: "http", port: 8080 }],
      connections: [...new Set(edges[i] ?? [])].filter((j) => j > i && j < n).map((j) => ({ to: `s${j}`, port: "http" })),
    };
  }
  return { name: "net", services };
}

const cidr = (text: string): Cidr => {
  const c = parseCidr(text);
  if (!c.ok) throw new Error(c.error);
  return c.value;
};

/** The plan's input built directly (no config resolution): fast enough for long sequences. */
function input(services: ReadonlySet<number>, edges: ReadonlySet<string>, subnet: string, replicas: (i: number) => number = () => 1): NetworkPlanInput {
  return {
    app: "net",
    name: "dev",
    subnet: cidr(subnet),
    services: [...services].sort((a, b) => a - b).map((i) => ({ name: `s${i}`, public: i % 4 === 0, replicas: replicas(i) })),
    connections: [...edges].sort().map((e) => {
      const [from, to] = e.split(">");
      return { from: `s${from}`, to: `s${to}` };
    }),
  };
}

/** Whether a network's home block overlaps the front block or another network's home. */
function contested(plan: readonly PlannedNetwork[], n: PlannedNetwork, range: Cidr): boolean {
  if (n.purpose === "front") return false;
  const home = cidr(n.home);
  const frontBlock = cidr(`${range.text.split("/")[0]}/${Math.max(24, range.prefix + 2)}`);
  return overlaps(home, frontBlock) || plan.some((o) => o !== n && o.purpose !== "front" && overlaps(home, cidr(o.home)));
}

/** Disjoint, inside the range, every connection and every service covered, pairs isolated. */
function expectSound(networks: readonly PlannedNetwork[], m: NetworkPlanInput): void {
  const range = m.subnet!;
  const cidrs = networks.map((x) => cidr(x.subnet));
  for (const c of networks) expect(inRange(range, c.subnet)).toBe(true);
  for (let i = 0; i < cidrs.length; i++) for (let j = i + 1; j < cidrs.length; j++) expect(overlaps(cidrs[i], cidrs[j])).toBe(false);
  for (const c of m.connections) expect(networks.some((x) => x.members.has(c.from) && x.members.get(c.to)?.includes(c.to))).toBe(true);
  for (const s of m.services) expect(networks.some((x) => x.members.has(s.name))).toBe(true);
  for (const x of networks) {
    if (x.purpose !== "front") expect(x.members.size).toBeLessThanOrEqual(2);
    // Room for every member container, the gateway, the network and broadcast addresses.
    const replicas = [...x.members.keys()].reduce((sum, name) => sum + m.services.find((s) => s.name === name)!.replicas, 0);
    expect(cidr(x.subnet).last - cidr(x.subnet).first + 1).toBeGreaterThanOrEqual(replicas + 3);
  }
}

/** One change to an app: add or remove a service (with its connections) or a connection. */
type Step = { kind: "addService" | "removeService"; i: number } | { kind: "addConnection" | "removeConnection"; from: number; to: number };

const N = 16;
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom("addService" as const, "removeService" as const), i: fc.integer({ min: 0, max: N - 1 }) }),
  fc.record({ kind: fc.constantFrom("addConnection" as const, "removeConnection" as const), from: fc.integer({ min: 0, max: N - 1 }), to: fc.integer({ min: 0, max: N - 1 }) }),
);

function apply(services: Set<number>, edges: Set<string>, s: Step): void {
  if ("i" in s) {
    if (s.kind === "addService") services.add(s.i);
    else {
      services.delete(s.i);
      for (const e of [...edges]) if (e.split(">").map(Number).includes(s.i)) edges.delete(e);
    }
  } else if (s.kind === "addConnection") {
    if (s.from !== s.to && services.has(s.from) && services.has(s.to)) edges.add(`${s.from}>${s.to}`);
  } else edges.delete(`${s.from}>${s.to}`);
}

describe("Docker network plan", () => {
  it("carves disjoint subnets inside the environment range, one per network, for any connection graph (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }))),
        fc.constantFrom("10.210.0.0/16", "10.210.0.0/20"),
        ([n, edges], subnet) => {
          const m = model(app(n, edges), "dev", dockerEnv({ release: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, "1"])), network: { subnet } }));
          const { networks, error } = planNetworks(m);
          expect(error).toBeUndefined();
          expectSound(networks, m);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("never renumbers a network that another network's home does not contest, across any sequence of added and removed services and connections (property)", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), fc.constantFrom("10.210.0.0/16", "10.210.0.0/20"), (steps, subnet) => {
        const services = new Set<number>([0, 1]);
        const edges = new Set<string>();
        const range = cidr(subnet);
        let before = planNetworks(input(services, edges, subnet));
        expect(before.error).toBeUndefined();
        for (const s of steps) {
          apply(services, edges, s);
          const m = input(services, edges, subnet);
          const after = planNetworks(m);
          expect(after.error).toBeUndefined();
          expectSound(after.networks, m);
          // An uncontested network sits at its home, which depends on nothing but its own purpose.
          for (const a of after.networks) if (a.purpose !== "front" && !contested(after.networks, a, range)) expect(a.subnet).toBe(a.home);
          for (const a of after.networks) {
            const b = before.networks.find((x) => x.purpose === a.purpose);
            if (!b) continue;
            expect(a.name).toBe(b.name);
            // The home is a function of the purpose, the size and the range only.
            expect(a.home).toBe(b.home);
            if (!contested(before.networks, b, range) && !contested(after.networks, a, range)) expect(a.subnet).toBe(b.subnet);
          }
          before = after;
        }
      }),
      { numRuns: 80 },
    );
  });

  it("keeps every existing network's subnet when one connection is added to a 100-service app (the renumbering that replaced 86 networks)", () => {
    const services = new Set(Array.from({ length: 100 }, (_, i) => i));
    const edges = new Set(Array.from({ length: 99 }, (_, i) => `${i}>${i + 1}`));
    const before = planNetworks(input(services, edges, "10.200.0.0/16"));
    edges.add("5>50");
    const after = planNetworks(input(services, edges, "10.200.0.0/16"));
    const range = cidr("10.200.0.0/16");
    const moved = before.networks.filter((b) => after.networks.find((a) => a.purpose === b.purpose)?.subnet !== b.subnet);
    // Only a network the new one's home contests could move; usually none does.
    for (const b of moved) expect(contested(after.networks, after.networks.find((a) => a.purpose === b.purpose)!, range) || contested(before.networks, b, range)).toBe(true);
    expect(moved.length).toBeLessThanOrEqual(1);
    expect(before.networks.length).toBe(100);
    expect(after.networks.length).toBe(101);
  });

  it("keeps the front network on the first /24 of the range whether the app has one public service or none", () => {
    const withPublic = planNetworks(input(new Set([0, 1]), new Set(["0>1"]), "10.210.0.0/16"));
    expect(withPublic.networks.find((n) => n.purpose === "front")!.subnet).toBe("10.210.0.0/24");
    // Without public services no front exists, and no other network takes its block either.
    const without = planNetworks(input(new Set([1, 2, 3]), new Set(["1>2", "2>3"]), "10.210.0.0/16"));
    expect(without.networks.some((n) => n.purpose === "front")).toBe(false);
    for (const n of without.networks) expect(overlaps(cidr(n.subnet), cidr("10.210.0.0/24"))).toBe(false);
  });

  it("sizes a connection network for both services' replicas (20 + 20 containers need a /26)", () => {
    const p = planNetworks(input(new Set([1, 2]), new Set(["1>2"]), "10.210.0.0/16", () => 20));
    expect(p.networks.find((n) => n.purpose === "s1-to-s2")!.subnet).toMatch(/\/26$/);
    expectSound(p.networks, input(new Set([1, 2]), new Set(["1>2"]), "10.210.0.0/16", () => 20));
  });

  it("rejects a range that cannot hold the networks, at validation", () => {
    const r = resolve(app(3, [[1], [2]]), { dev: dockerEnv({ release: { s0: "1", s1: "1", s2: "1" }, network: { subnet: "10.210.0.0/28" } }) });
    expect(r.issues.map(formatIssue).join("\n")).toContain(
      "network.subnet: 10.210.0.0/28 cannot hold this environment's networks: 3 networks (a /28 or larger each, besides the front) need more room than it has; use a larger range (e.g. a /23)",
    );
    expect(r.environments).toEqual([]);
  });

  it("rejects a range whose free blocks run out, naming the range and the fix", () => {
    // A /24: a /26 front and twelve /28 blocks left for twenty connection networks.
    const services = new Set(Array.from({ length: 21 }, (_, i) => i + 1));
    const edges = new Set(Array.from({ length: 20 }, (_, i) => `${i + 1}>${i + 2}`));
    const p = planNetworks(input(services, edges, "10.210.0.0/24"));
    expect(p.error).toBe("10.210.0.0/24 cannot hold this environment's networks: 21 networks (a /28 or larger each, besides the front) need more room than it has; use a larger range (e.g. a /21)");
    expect(p.networks).toEqual([]);
  });

  it("rejects more public containers than the front network holds", () => {
    const p = planNetworks(input(new Set([0, 4, 8]), new Set(), "10.210.0.0/28", () => 1));
    expect(p.error).toBe("10.210.0.0/28 cannot hold this environment's networks: the front network (the first /30 of the range) has room for 1 public containers, and 3 are needed; use a larger range (e.g. a /24)");
  });

  it("rejects more public containers than any front network holds, telling the user what to change", () => {
    const publicServices = new Set(Array.from({ length: 300 }, (_, i) => i * 4));
    const p = planNetworks(input(publicServices, new Set(), "10.0.0.0/8"));
    expect(p.error).toBe("the front network (a /24) holds at most 253 public containers, and 300 are needed; make some services non-public (or use fewer replicas of public services)");
  });
});
