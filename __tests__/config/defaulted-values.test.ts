import fc from "fast-check";
import { DefaultedValues } from "../../lib/config/defaulted-values";
import { DefaultRule, applyDefaults } from "../../lib/config/defaults";
import { pathKey } from "../../lib/config/yaml-source";

/**
 * The record keeps, per rule, only the bindings of its `*`s. It must answer exactly as a map from
 * every filled value's whole path to its rule (what it replaced) would: checked against such a
 * map, built from the same calls, on generated documents.
 */

/** The record applyDefaults fills, with beside it the map from every whole path to its rule. */
function recorded(doc: Record<string, unknown>, env: string, target: string): { values: DefaultedValues; oracle: Map<string, DefaultRule> } {
  const oracle = new Map<string, DefaultRule>();
  const original = DefaultedValues.prototype.applied;
  const applied = jest.spyOn(DefaultedValues.prototype, "applied").mockImplementation(function (this: DefaultedValues, rule, segs, bound) {
    let b = 0;
    const path = pathKey(segs.map((s) => (s === "*" ? bound[b++] : s)));
    if (b !== bound.length || oracle.has(path)) throw new Error(`${path}: ${bound.length} bindings for ${b} stars, or filled twice`);
    oracle.set(path, rule);
    original.call(this, rule, segs, bound);
  });
  try {
    return { values: applyDefaults(doc, env, target), oracle };
  } finally {
    applied.mockRestore();
  }
}

const serviceName = fc.constantFrom("web", "api", "db", "constructor", "toString", "s0");
const port = fc.record({ name: fc.constantFrom("http", "metrics", "grpc"), port: fc.integer({ min: 1, max: 65535 }), protocol: fc.option(fc.constantFrom("tcp", "udp"), { nil: undefined }) }, { requiredKeys: ["name", "port"] });
const service = fc.record(
  {
    image: fc.constant("ghcr.io/acme/web:1.0.0"),
    ports: fc.uniqueArray(port, { selector: (p) => p.name, maxLength: 3 }),
    connections: fc.array(fc.record({ to: serviceName, optional: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ["to"] }), { maxLength: 3 }),
    volumes: fc.uniqueArray(fc.record({ name: fc.constantFrom("data", "cache"), path: fc.constant("/data") }), { selector: (v) => v.name, maxLength: 2 }),
    health: fc.record({ http: fc.record({ path: fc.constant("/health"), port: fc.constant(8080) }) }),
    security: fc.record({ user: fc.constant("10001:10001"), privileged: fc.boolean() }, { requiredKeys: [] }),
    replicas: fc.integer({ min: 1, max: 5 }),
  },
  { requiredKeys: ["image"] },
);
const document = fc.record({ services: fc.dictionary(serviceName, service, { maxKeys: 4 }) });
const target = fc.constantFrom("docker", "kubernetes", "swarm");
const envName = fc.constantFrom("dev", "staging", "prod", "constructor");

/** Every path worth asking about: each filled one, each of its prefixes, and its siblings in the other services. */
function questions(oracle: ReadonlyMap<string, DefaultRule>, services: readonly string[]): (string | number)[][] {
  const out: (string | number)[][] = [];
  for (const key of oracle.keys()) {
    const segs = key.split(".");
    for (let n = 1; n <= segs.length; n++) out.push(segs.slice(0, n));
    if (segs[0] === "services") for (const s of [...services, "absent"]) out.push(["services", s, ...segs.slice(2)]);
    // List items asked for by number, as callers do for items without a name.
    out.push(segs.map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
  }
  return out;
}

describe("the record of defaulted values", () => {
  it("answers every path as a map from whole paths to rules would (generated documents, every target)", () => {
    fc.assert(
      fc.property(document, envName, target, (doc, env, tgt) => {
        const { values, oracle } = recorded(doc as Record<string, unknown>, env, tgt);
        expect(oracle.size).toBeGreaterThan(0);
        const wrong = questions(oracle, Object.keys(doc.services)).filter((q) => values.get(q) !== oracle.get(pathKey(q)));
        expect(wrong).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it("answers for a prefix of the segments when given a length", () => {
    const { values, oracle } = recorded({ services: { web: { image: "x" } } }, "prod", "kubernetes");
    const rule = oracle.get("services.web.security.user");
    expect(rule).toBeDefined();
    expect(values.get(["services", "web", "security", "user", "more", "segments"], 4)).toBe(rule);
    expect(values.get(["services", "web", "security", "user", "more"], 5)).toBeUndefined();
  });

  it("lets a value entered by path (a budget's) win over the rule that filled it first", () => {
    const { values } = recorded({ services: {} }, "staging", "kubernetes");
    const before = values.get(["limitRange", "cpu"]);
    expect(before?.path).toBe("limitRange.cpu");
    const budget: DefaultRule = { path: "limitRange.cpu", value: "50m", doc: "40% of prod's limitRange.cpu (budget)", where: "staging.yaml:3" };
    values.set(["limitRange", "cpu"], budget);
    expect(values.get(["limitRange", "cpu"])).toBe(budget);
    expect(values.get(["limitRange", "cpu", "x"], 2)).toBe(budget);
    expect(values.get(["limitRange", "memory"])?.path).toBe("limitRange.memory");
  });

  it("keeps the bindings of a rule with several stars apart (a name that reads as a JSON list is one name)", () => {
    const values = new DefaultedValues();
    const rule: DefaultRule = { path: "services.*.ports.*.protocol", value: "tcp", doc: "" };
    const segs = rule.path.split(".");
    values.applied(rule, segs, ["a", "b"]);
    expect(values.get(["services", "a", "ports", "b", "protocol"])).toBe(rule);
    expect(values.get(["services", "b", "ports", "a", "protocol"])).toBeUndefined();
    expect(values.get(["services", '["a","b"]', "ports", "b", "protocol"])).toBeUndefined();
    const one: DefaultRule = { path: "services.*.replicas", value: 1, doc: "" };
    values.applied(one, one.path.split("."), ['["a","b"]']);
    expect(values.get(["services", '["a","b"]', "replicas"])).toBe(one);
    expect(values.get(["services", "a", "replicas"])).toBeUndefined();
  });
});
