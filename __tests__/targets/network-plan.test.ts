import fc from "fast-check";
import { AppConfig } from "../../lib/config/schema";
import { parseCidr, overlaps } from "../../lib/model/cidr";
import { planNetworks, inRange } from "../../lib/targets/docker/network-plan";
import { formatIssue } from "../../lib/errors";
import { dockerEnv, model, resolve } from "../helpers";

/** An app of n services where service i talks to each service in `edges[i]`. */
function app(n: number, edges: number[][]): AppConfig {
  const services: AppConfig["services"] = {};
  for (let i = 0; i < n; i++) {
    services[`s${i}`] = {
      image: "acme/s",
      public: i === 0,
      ports: [{ name: "http", port: 8080 }],
      connections: [...new Set(edges[i] ?? [])].filter((j) => j !== i && j < n).map((j) => ({ to: `s${j}`, port: "http" })),
    };
  }
  return { name: "net", services };
}

describe("Docker network plan", () => {
  it("carves disjoint subnets inside the environment range, one per network, for any connection graph (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 4 }), { minLength: n, maxLength: n }))),
        fc.constantFrom("10.210.0.0/16", "10.210.0.0/20", "10.210.0.0/22"),
        ([n, edges], subnet) => {
          const m = model(app(n, edges), "dev", dockerEnv({ release: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, "1"])), network: { subnet } }));
          const { networks, error } = planNetworks(m);
          expect(error).toBeUndefined();
          const range = parseCidr(subnet);
          if (!range.ok) throw new Error(range.error);
          const cidrs = networks.map((x) => {
            const c = parseCidr(x.subnet);
            if (!c.ok) throw new Error(c.error);
            return c.value;
          });
          for (const c of networks) expect(inRange(range.value, c.subnet)).toBe(true);
          for (let i = 0; i < cidrs.length; i++) for (let j = i + 1; j < cidrs.length; j++) expect(overlaps(cidrs[i], cidrs[j])).toBe(false);
          // Every declared connection has a network both ends join; every service joins at least one.
          for (const c of m.connections) expect(networks.some((x) => x.members.has(c.from) && x.members.get(c.to)?.includes(c.to))).toBe(true);
          for (const s of m.services) expect(networks.some((x) => x.members.has(s.name))).toBe(true);
          // Two services share a network only if one declared a connection to the other, or both are public.
          for (const x of networks) {
            const members = [...x.members.keys()];
            if (x.purpose === "front") continue;
            expect(members.length).toBeLessThanOrEqual(2);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rejects a range that cannot hold the networks, at validation", () => {
    const r = resolve(app(3, [[1], [2]]), { dev: dockerEnv({ release: { s0: "1", s1: "1", s2: "1" }, network: { subnet: "10.210.0.0/28" } }) });
    expect(r.issues.map(formatIssue).join("\n")).toContain("network.subnet: 10.210.0.0/28 cannot hold 3 networks of at least /28; use a larger range (e.g. a /16)");
    expect(r.environments).toEqual([]);
  });
});
