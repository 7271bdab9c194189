import fc from "fast-check";
import { applyDefaults } from "../../lib/config/defaults";
import { layer } from "../../lib/config/merge";

// Arbitrary config-like documents: maps, named lists, plain lists and scalars.
const scalar = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean());
const key = fc.constantFrom("a", "b", "c", "d");
const name = fc.constantFrom("x", "y", "z");
const { doc } = fc.letrec((tie) => ({
  doc: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("map"), tie("named"), fc.array(scalar, { maxLength: 3 })),
  map: fc.dictionary(key, tie("doc"), { maxKeys: 3 }),
  named: fc.uniqueArray(fc.record({ name, v: tie("doc") }), { selector: (i) => i.name, minLength: 1, maxLength: 3 }),
}));

describe("layering (environment over application)", () => {
  it("an absent overlay leaves the base unchanged", () => {
    fc.assert(fc.property(doc, (base) => expect(layer(base, undefined)).toEqual(base)));
  });

  it("a scalar or plain list in the overlay replaces the base value", () => {
    fc.assert(
      fc.property(doc, fc.oneof(scalar, fc.array(scalar)), (base, over) => {
        expect(layer(base, over)).toEqual(over);
      }),
    );
  });

  it("maps merge by key: every key of either side is present, overlay values win for scalars", () => {
    fc.assert(
      fc.property(fc.dictionary(key, doc), fc.dictionary(key, scalar), (base, over) => {
        const out = layer(base, over) as Record<string, unknown>;
        expect(Object.keys(out).sort()).toEqual([...new Set([...Object.keys(base), ...Object.keys(over)])].sort());
        for (const k of Object.keys(over)) expect(out[k]).toEqual(over[k]);
        for (const k of Object.keys(base)) if (!(k in over)) expect(out[k]).toEqual(base[k]);
      }),
    );
  });

  it("named lists merge by name: base order kept, new names appended, matching items merged", () => {
    const base = [{ name: "http", port: 80 }, { name: "metrics", port: 9090 }];
    const over = [{ name: "metrics", port: 9100 }, { name: "admin", port: 81 }];
    expect(layer(base, over)).toEqual([{ name: "http", port: 80 }, { name: "metrics", port: 9100 }, { name: "admin", port: 81 }]);
  });

  it("named lists merge by name (property): names are the union, in base-then-overlay order", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ name, v: scalar }), { selector: (i) => i.name, minLength: 1 }),
        fc.uniqueArray(fc.record({ name, v: scalar }), { selector: (i) => i.name, minLength: 1 }),
        (base, over) => {
          const out = layer(base, over) as { name: string; v: unknown }[];
          const names = [...base.map((b) => b.name), ...over.map((o) => o.name).filter((n) => !base.some((b) => b.name === n))];
          expect(out.map((o) => o.name)).toEqual(names);
          for (const o of over) expect(out.find((x) => x.name === o.name)!.v).toEqual(o.v);
        },
      ),
    );
  });

  // Layers validated by the same schema have the same shape at every path; for such documents the
  // order of grouping does not matter. (With a type change at a path it can: a scalar then a map
  // replaces, a map then a map merges — fast-check found that counterexample.)
  const shaped = fc.record(
    {
      s: scalar,
      m: fc.dictionary(key, scalar, { maxKeys: 3 }),
      l: fc.uniqueArray(fc.record({ name, v: scalar }), { selector: (i) => i.name, minLength: 1, maxLength: 3 }),
      p: fc.array(scalar, { maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
  it("is associative for documents of the same shape: (a ⊕ b) ⊕ c equals a ⊕ (b ⊕ c)", () => {
    fc.assert(fc.property(shaped, shaped, shaped, (a, b, c) => expect(layer(layer(a, b), c)).toEqual(layer(a, layer(b, c)))));
  });

  it("never mutates its inputs", () => {
    fc.assert(
      fc.property(doc, doc, (a, b) => {
        const ca = structuredClone(a);
        const cb = structuredClone(b);
        layer(a, b);
        expect(a).toEqual(ca);
        expect(b).toEqual(cb);
      }),
    );
  });
});

describe("layering and defaults with keys that Object.prototype also has", () => {
  /** `{ [key]: value }` as an own property even for `__proto__` (as JSON.parse and YAML produce it). */
  const own = (key: string, value: unknown): Record<string, unknown> => JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(value)}}`) as Record<string, unknown>;

  it("an overlay key __proto__ absent from the base is added as an own key, not as the prototype", () => {
    const out = layer({ a: 1 }, own("__proto__", { x: 1 })) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["a", "__proto__"]);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("a base key __proto__ survives layering as a key and merges with the overlay's", () => {
    const out = layer(own("__proto__", { a: 1, b: 2 }), own("__proto__", { b: 3 })) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["__proto__"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")!.value).toEqual({ a: 1, b: 3 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("a __proto__ key in a nested map stays a key and pollutes nothing", () => {
    const out = layer({ services: {} }, { services: own("__proto__", { polluted: true }) }) as { services: Record<string, unknown> };
    expect(Object.keys(out.services)).toEqual(["__proto__"]);
    expect((out.services as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("an environment named constructor gets the mandatory default and no subnet (not Object's members)", () => {
    const doc: Record<string, unknown> = { services: {} };
    applyDefaults(doc, "constructor", "docker");
    expect((doc.policy as { enforcement: unknown }).enforcement).toBe("mandatory");
    expect((doc.network as { subnet?: unknown }).subnet).toBeUndefined();
  });

  it.each(["toString", "hasOwnProperty", "valueOf", "__proto__"])("an environment named %p gets the mandatory default", (name) => {
    const doc: Record<string, unknown> = { services: {} };
    applyDefaults(doc, name, "docker");
    expect((doc.policy as { enforcement: unknown }).enforcement).toBe("mandatory");
  });
});
