import fc from "fast-check";
import { ConnectionModel, EnvironmentModel, ServiceModel } from "../../lib/model/environment";
import { indexOf } from "../../lib/model/environment-index";

// Only the fields the index reads; names from a small alphabet so that lookups hit, miss and repeat.
const name = fc.constantFrom("a", "b", "c", "d", "e", "constructor", "__proto__");
const model = fc.record({
  services: fc.array(fc.record({ name, tag: fc.nat() }), { maxLength: 8 }),
  connections: fc.array(fc.record({ from: name, to: name, port: fc.nat() }), { maxLength: 12 }),
});
type Mini = { services: { name: string; tag: number }[]; connections: { from: string; to: string; port: number }[] };
const asModel = (m: Mini) => m as unknown as EnvironmentModel;

describe("indexOf: lookups by name over an environment model", () => {
  it("answers exactly what find and filter over the model's lists answer, in the model's order", () => {
    fc.assert(
      fc.property(model, fc.array(name, { minLength: 1, maxLength: 10 }), (m, asked) => {
        const index = indexOf(asModel(m));
        for (const n of asked) {
          expect(index.service(n)).toBe(m.services.find((s) => s.name === n) as unknown as ServiceModel | undefined);
          expect(index.connectionsTo(n)).toEqual(m.connections.filter((c) => c.to === n) as unknown as ConnectionModel[]);
          expect(index.connectionsFrom(n)).toEqual(m.connections.filter((c) => c.from === n) as unknown as ConnectionModel[]);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("is built once per model object and reads only the lists it is asked about", () => {
    const m = { services: [{ name: "a" }], connections: [{ from: "a", to: "b", port: 1 }] };
    expect(indexOf(asModel(m as unknown as Mini))).toBe(indexOf(asModel(m as unknown as Mini)));
    // A caller that holds only the connections (the proxy's routing) can still ask about them.
    expect(indexOf({ connections: m.connections } as unknown as EnvironmentModel).connectionsTo("b")).toHaveLength(1);
  });
});
