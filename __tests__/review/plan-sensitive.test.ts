import fc from "fast-check";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { toMarkdown } from "../../lib/review/markdown";
import { SENSITIVE, SENSITIVE_CHANGED, maskChange, planToReport } from "../../lib/review/plan";
import { cli } from "../helpers";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/*
 * Terraform marks sensitivity per element: `after_sensitive: { command: [false, false, true] }`.
 * The attribute diff flattens plain lists to one leaf (`command`) and addresses lists of objects
 * by name (`spec.template.spec.container[api].env[DB_URL].value`), so masking by path missed such values and printed
 * them. These tests hold that no value Terraform marks sensitive reaches any output.
 */

const SECRETS = ["s3cr3t-list-element-old", "s3cr3t-list-element", "s3cr3t-map-value-old", "s3cr3t-map-value", "s3cr3t-nested-old", "s3cr3t-nested", "s3cr3t-unchanged", "s3cr3t-whole-object", "s3cr3t-name", "s3cr3t-created"];

const container = (token: string, url: string) => ({ name: "api", image: "ghcr.io/acme/api:2", command: ["run", "--token", token], env: [{ name: "LOG_LEVEL", value: "info" }, { name: "DB_URL", value: url }, { name: "KEPT", value: "s3cr3t-unchanged" }] });
const containerSensitivity = { command: [false, false, true], env: [{}, { value: true }, { value: true }] };

/** A plan whose secrets sit in a list element, a map value, a nested block, a whole object, a name and a new resource. */
const PLAN: Json = {
  format_version: "1.2",
  resource_changes: [
    {
      address: "kubernetes_deployment_v1.api",
      type: "kubernetes_deployment_v1",
      change: {
        actions: ["update"],
        before: { metadata: [{ name: "api", annotations: { note: "s3cr3t-whole-object" } }], spec: [{ replicas: "2", template: [{ spec: [{ container: [container("s3cr3t-list-element-old", "postgres://u:s3cr3t-nested-old@db")] }] }] }] },
        after: { metadata: [{ name: "api", annotations: { note: "s3cr3t-whole-object" } }], spec: [{ replicas: "3", template: [{ spec: [{ container: [container("s3cr3t-list-element", "postgres://u:s3cr3t-nested@db")] }] }] }] },
        before_sensitive: { metadata: [{ annotations: true }], spec: [{ template: [{ spec: [{ container: [containerSensitivity] }] }] }] },
        after_sensitive: { metadata: [{ annotations: true }], spec: [{ template: [{ spec: [{ container: [containerSensitivity] }] }] }] },
      },
    },
    {
      address: "kubernetes_config_map_v1.api",
      type: "kubernetes_config_map_v1",
      change: {
        actions: ["update"],
        before: { metadata: [{ name: "api-config" }], data: { LOG_LEVEL: "info", SESSION: "s3cr3t-map-value-old" } },
        after: { metadata: [{ name: "api-config" }], data: { LOG_LEVEL: "debug", SESSION: "s3cr3t-map-value" } },
        before_sensitive: { data: { SESSION: true } },
        after_sensitive: { data: { SESSION: true } },
      },
    },
    {
      address: "docker_container.named",
      type: "docker_container",
      change: { actions: ["update"], before: { name: "s3cr3t-name", memory: 256 }, after: { name: "s3cr3t-name", memory: 512 }, before_sensitive: { name: true }, after_sensitive: { name: true } },
    },
    {
      address: "kubernetes_secret_v1.new",
      type: "kubernetes_secret_v1",
      change: { actions: ["create"], before: null, after: { metadata: [{ name: "new" }], binary: { key: "s3cr3t-created" } }, before_sensitive: false, after_sensitive: { binary: true } },
    },
  ],
};

describe("diff --plan masks what Terraform marks sensitive, element by element", () => {
  const report = planToReport(PLAN, "staging");
  const byAddress = Object.fromEntries(report.environments[0].changes.map((c) => [c.address, c]));
  const attr = (address: string, p: string) => byAddress[address].attributes.find((a) => a.path === p);

  it("prints no secret of a list element, map value, nested block, whole object, name or new resource in markdown or JSON", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-plan-")), "plan.json");
    fs.writeFileSync(file, JSON.stringify(PLAN));
    const md = cli("diff", "--plan", file, "--env", "staging");
    const json = cli("diff", "--plan", file, "--env", "staging", "--format", "json");
    expect(md.code).toBe(0);
    expect(json.code).toBe(0);
    for (const out of [md.out, md.err, json.out, json.err, toMarkdown(report), JSON.stringify(report)]) {
      expect(SECRETS.filter((s) => out.includes(s))).toEqual([]);
    }
  });

  it("still reports a changed sensitive list element, masked on both sides", () => {
    expect(attr("kubernetes_deployment_v1.api", "spec.template.spec.container[api].command")).toMatchObject({ before: '["run","--token","(sensitive)"]', after: '["run","--token","(sensitive, changed)"]' });
  });

  it("still reports a changed sensitive value in a named nested block, and hides an unchanged one entirely", () => {
    expect(attr("kubernetes_deployment_v1.api", "spec.template.spec.container[api].env[DB_URL].value")).toMatchObject({ before: SENSITIVE, after: SENSITIVE_CHANGED });
    expect(attr("kubernetes_deployment_v1.api", "spec.template.spec.container[api].env[KEPT].value")).toBeUndefined();
    expect(attr("kubernetes_deployment_v1.api", "spec.replicas")).toMatchObject({ before: '"2"', after: '"3"' });
  });

  it("still reports a changed sensitive map value next to the visible ones", () => {
    expect(attr("kubernetes_config_map_v1.api", "data.SESSION")).toMatchObject({ before: SENSITIVE, after: SENSITIVE_CHANGED });
    expect(attr("kubernetes_config_map_v1.api", "data.LOG_LEVEL")).toMatchObject({ before: '"info"', after: '"debug"' });
  });

  it("does not use a sensitive name as the resource's readable name", () => {
    expect(byAddress["docker_container.named"].name).toBeUndefined();
    expect(attr("docker_container.named", "memory")).toMatchObject({ before: "256", after: "512" });
  });

  it("masks a resource marked sensitive as a whole attribute by attribute, keeping the attribute names", () => {
    const r = planToReport({ resource_changes: [{ address: "x.y", type: "x", change: { actions: ["update"], before: { a: "s3cr3t-1", b: "same" }, after: { a: "s3cr3t-2", b: "same" }, before_sensitive: true, after_sensitive: true } }] }, "e");
    expect(r.environments[0].changes[0].attributes).toEqual([{ path: "a", schemaPath: "a", before: SENSITIVE, after: SENSITIVE_CHANGED, forcesReplacement: false }]);
  });

  it("masks the whole value when the sensitivity tree does not fit its shape (fails closed)", () => {
    expect(maskChange({ k: "s3cr3t" }, { k: "s3cr3t" }, [true], [true])).toEqual([SENSITIVE, SENSITIVE]);
    expect(maskChange("s3cr3t-a", "s3cr3t-b", { x: true }, { x: true })).toEqual([SENSITIVE, SENSITIVE_CHANGED]);
    // Marked on one side only, with a tree that does not fit: both sides are masked whole.
    expect(maskChange(["s3cr3t"], ["s3cr3t"], { 0: true }, false)).toEqual([SENSITIVE, SENSITIVE]);
    expect(maskChange(["s3cr3t"], ["s3cr3t2"], false, { 0: true })).toEqual([SENSITIVE, SENSITIVE_CHANGED]);
  });

  it("is not fooled by attribute names that are also Object's own properties", () => {
    expect(maskChange({ constructor: "s3cr3t", toString: "v" }, { constructor: "s3cr3t2", toString: "v" }, { constructor: true }, { constructor: true })).toEqual([
      { constructor: SENSITIVE, toString: "v" },
      { constructor: SENSITIVE_CHANGED, toString: "v" },
    ]);
  });
});

// ---- property: random values and random sensitivity trees ---------------------------------

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const marksAny = (t: unknown): boolean => t === true || (Array.isArray(t) ? t.some(marksAny) : isObject(t) && Object.values(t).some(marksAny));
const fits = (v: unknown, t: unknown) => !marksAny(t) || (Array.isArray(v) && Array.isArray(t)) || (isObject(v) && isObject(t));

/** Replaces every leaf and object key of a value with a unique, unmistakable canary. */
function secretize(v: unknown, n: { i: number }): unknown {
  if (Array.isArray(v)) return v.map((x) => secretize(x, n));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([, x]) => [`SECRETKEY${n.i++}`, secretize(x, n)]));
  return `SECRET${n.i++}`;
}

/**
 * Plants canaries wherever the tree marks a value sensitive (the spec, written independently of
 * the implementation): `true` marks the value, containers are followed by index or key, and a
 * tree whose shape does not fit a value that it marks somewhere marks the whole value.
 */
function plant(v: unknown, t: unknown, n: { i: number }): unknown {
  if (t === true || !fits(v, t)) return secretize(v, n);
  if (!marksAny(t)) return v;
  if (Array.isArray(v)) return v.map((x, i) => plant(x, (t as unknown[])[i], n));
  return Object.fromEntries(Object.entries(v as Json).map(([k, x]) => [k, plant(x, Object.hasOwn(t as Json, k) ? (t as Json)[k] : undefined, n)]));
}

/**
 * Top level: a resource marked sensitive as a whole (or by a misshapen tree) keeps its attribute
 * names, which come from the provider schema, not from data.
 */
function plantResource(v: Json, t: unknown, n: { i: number }): unknown {
  return t === true || !fits(v, t) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, secretize(x, n)])) : plant(v, t, n);
}

const keys = (withName: boolean) => fc.constantFrom("a", "b", "image", "env", "value", "constructor", ...(withName ? ["name"] : []));
const leaf = fc.oneof(fc.stringMatching(/^[a-z0-9 .:-]{0,8}$/), fc.integer({ min: 0, max: 999 }), fc.boolean(), fc.constant(null));
const values = (withName: boolean) =>
  fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: "small" }, leaf, tie("list"), tie("object")),
    list: fc.array(tie("node"), { maxLength: 4 }),
    object: fc.dictionary(keys(withName), tie("node"), { maxKeys: 4, noNullPrototype: true }),
  }));

/** A sensitivity tree for a value: mostly shaped like it, sometimes `true`, sometimes misshapen. */
function sensitivityFor(v: unknown): fc.Arbitrary<unknown> {
  const flag = fc.boolean();
  if (Array.isArray(v)) return fc.oneof(flag, v.length ? fc.tuple(...v.map(sensitivityFor)) : fc.constant([]), fc.constant({ 0: true }));
  if (isObject(v)) {
    const shape = Object.fromEntries(Object.keys(v).map((k) => [k, sensitivityFor(v[k])]));
    return fc.oneof(flag, fc.record(shape, { requiredKeys: [] }), fc.constant([true]));
  }
  return fc.oneof({ weight: 4, arbitrary: flag }, { weight: 1, arbitrary: fc.constant({ x: true }) });
}

const side = (withName: boolean) => values(withName).object.chain((v) => sensitivityFor(v).map((t) => ({ v: v as Json, t })));
const ACTIONS = [["update"], ["create"], ["delete"], ["delete", "create"], ["create", "delete"]];

/** A one-resource plan with canaries planted in every sensitive value; `raw` is before/after without them. */
const plans = (withName: boolean) =>
  fc.tuple(side(withName), side(withName), fc.constantFrom(...ACTIONS)).map(([b, a, actions]) => {
    const n = { i: 0 };
    const create = actions[0] === "create" && actions.length === 1;
    const del = actions[0] === "delete" && actions.length === 1;
    const before = create ? null : plantResource(b.v, b.t, n);
    const after = del ? null : plantResource(a.v, a.t, n);
    // Through JSON, as `terraform show -json` output is read.
    return JSON.parse(JSON.stringify({ resource_changes: [{ address: "test_thing.r", type: "test_thing", change: { actions, before, after, before_sensitive: create ? false : b.t, after_sensitive: del ? false : a.t } }] })) as Json;
  });

describe("diff --plan masking (property)", () => {
  it("no value marked sensitive appears in the markdown or JSON report, for random values and sensitivity trees", () => {
    fc.assert(
      fc.property(plans(true), (plan) => {
        const report = planToReport(plan, "env");
        expect(toMarkdown(report, 10_000_000)).not.toContain("SECRET");
        expect(JSON.stringify(report)).not.toContain("SECRET");
      }),
      { numRuns: 400 },
    );
  });

  it("masking never hides that an update changed something", () => {
    fc.assert(
      fc.property(plans(false), (plan) => {
        const change = plan.resource_changes[0].change;
        fc.pre(change.actions.length === 1 && change.actions[0] === "update" && !isDeepStrictEqual(change.before, change.after));
        expect(planToReport(plan, "env").environments[0].changes[0].attributes.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });
});
