import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { ConfigIssue, EnvkitError, formatIssue } from "../../lib/errors";
import { LineHunk, changedLines, MAX_CHANGED_LINES } from "../../lib/review/attr-diff";
import { toMarkdown } from "../../lib/review/markdown";
import { readJsonFile, readOutputDir } from "../../lib/review/sources";
import { StackModel, diffOutputs } from "../../lib/review/stack-diff";
import { mayMention, mentions, parseStack, rawBodyOf, resourcesOf } from "../../lib/review/stack-text";
import { REFERENCE_APP, cli } from "../helpers";

/*
 * The review cuts each canonical stack into resource bodies and parses only those it reads
 * (lib/review/stack-text.ts). These tests pin that the cut reads the same JSON as JSON.parse, that
 * anything not laid out canonically is parsed whole, that a broken body is an issue naming the
 * file and the resource, and that a review of cut stacks is the review of parsed ones.
 */

type Json = Record<string, unknown>;

// The serializer cdktf writes cdk.tf.json with (lib/synthesize/synthesizer.js), from cdktf's own dependencies.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stableStringify = require(require.resolve("json-stable-stringify", { paths: [path.dirname(require.resolve("cdktf"))] })) as (v: unknown, o: { space: number }) => string;
const canonical = (doc: unknown): string => stableStringify(doc, { space: 2 });

const FILE = "/out/stacks/dev/cdk.tf.json";
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

// Keys and strings that look like the canonical layout's own lines, escapes included.
const tricky = fc.constantFrom("__proto__", "\n      }", '": {', "\\", '"', "\u00e9\u4e2d", "\u2028", "${docker_network.n.name}", "\\u0041", "/");
const text = fc.oneof(fc.string(), tricky, fc.tuple(fc.string(), tricky, fc.string()).map((p) => p.join("")));
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: "small" }, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(text, tie("v"), { maxKeys: 3 })),
})).v;
const body = fc.dictionary(text, value, { maxKeys: 4 });
const stackDoc = fc.record({
  resource: fc.dictionary(fc.oneof(fc.constantFrom("docker_container", "kubernetes_deployment_v1"), text), fc.dictionary(text, body, { maxKeys: 4 }), { maxKeys: 3 }),
  terraform: fc.constant({ required_providers: { docker: { source: "kreuzwerker/docker", version: "3.6.2" } } }),
  output: fc.option(fc.dictionary(text, fc.record({ value: text })), { nil: undefined }),
  "//": fc.constant({ metadata: { version: "0.21.0" } }),
});

describe("cutting a canonical stack into resource bodies", () => {
  it("reads the same JSON as JSON.parse, for any stack cdktf's serializer writes (fast-check)", () => {
    fc.assert(
      fc.property(stackDoc, (doc) => {
        const bytes = Buffer.from(canonical(doc));
        const cut = parseStack(bytes, FILE) as Json;
        // Reading every resource (JSON.stringify reads them all) gives JSON.parse's document.
        expect(plain(cut)).toEqual(JSON.parse(bytes.toString("utf8")));
        // The layout was recognized: each non-empty-keyed body was left unparsed until read.
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it("leaves every body of a real synthesized stack unparsed until it is read", () => {
    const out = path.join(tmp("envkit-stack-text-"), "out");
    const r = cli("synth", "--config", REFERENCE_APP, "--out", out);
    expect(r.code).toBe(0);
    const file = path.join(out, "stacks", "staging", "cdk.tf.json");
    const bytes = fs.readFileSync(file);
    const doc = parseStack(bytes, file) as Json;
    const resources = [...resourcesOf(doc).values()];
    expect(resources.length).toBeGreaterThan(10);
    expect(resources.every((r) => r.raw !== undefined)).toBe(true);
    // Reading one parses that one only.
    const first = resources[0];
    expect(first.body).toEqual((JSON.parse(bytes.toString("utf8")) as { resource: Record<string, Json> }).resource[first.type][first.id]);
    expect(first.raw).toBeUndefined();
    expect(resources.slice(1).every((r) => r.raw !== undefined)).toBe(true);
    expect(plain(doc)).toEqual(JSON.parse(bytes.toString("utf8")));
  });

  it("parses anything else whole: minified, four-space indented, an inline empty body, no resources", () => {
    const doc = { resource: { docker_container: { a: { name: "x" }, b: {} } }, terraform: {} };
    for (const t of [JSON.stringify(doc), JSON.stringify(doc, null, 4), JSON.stringify(doc, null, 2), canonical({ terraform: {} })]) {
      const parsed = parseStack(Buffer.from(t), FILE) as Json;
      expect(plain(parsed)).toEqual(JSON.parse(t));
      const byId = (parsed.resource as Record<string, Json> | undefined)?.docker_container;
      if (byId) expect(rawBodyOf(byId, "a")).toBeUndefined();
    }
    expect(() => parseStack(Buffer.from("{\n  not json"), FILE)).toThrow(SyntaxError);
  });

  it("a body that is not JSON is an issue naming the file and the resource when read, never its text", () => {
    const good = canonical({ resource: { docker_container: { api: { env: ["DB_PASSWORD=hunter2"], name: "x" } } }, terraform: {} });
    const broken = Buffer.from(good.replace('"name": "x"', '"name": hunter2'));
    const doc = parseStack(broken, FILE) as { resource: Record<string, Json> };
    let issues: string[] = [];
    try {
      void doc.resource.docker_container.api;
    } catch (e) {
      expect(e).toBeInstanceOf(EnvkitError);
      issues = (e as EnvkitError).issues.map(formatIssue);
    }
    // The line of the bare word in the file (V8 gives no position for an unexpected token).
    const line = broken.toString("utf8").slice(0, broken.indexOf('"name": hunter2')).split("\n").length;
    expect(line).toBeGreaterThan(3);
    expect(issues).toEqual([`${FILE}:${line}: resource.docker_container.api: is not valid JSON; it is not a synthesized output (synthesize it again with envkit synth)`]);
    expect(issues.join("")).not.toContain("hunter2");
  });

  it("a body nesting deeper than the bound is refused when read, like a stack parsed whole", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 210; i++) deep = { a: deep };
    const doc = parseStack(Buffer.from(canonical({ resource: { t: { id: { deep } } }, terraform: {} })), FILE) as { resource: Record<string, Json> };
    expect(() => doc.resource.t.id).toThrow(EnvkitError);
    try {
      void doc.resource.t.id;
    } catch (e) {
      expect((e as EnvkitError).issues.map(formatIssue)).toEqual([`${FILE}: resource.t.id: is not a synthesized stack: this resource is nested deeper than 200 levels; synthesize it again with envkit synth`]);
    }
  });

  it("mentions() answers as JSON.stringify(body).includes() for needles inside one token, read from the bytes or not (fast-check)", () => {
    // What mentions() is asked: text without whitespace, quotes or punctuation; it quoted; an expression's start.
    const bare = fc.oneof(text, fc.constantFrom("docker_network.n", "A", "0", "\\u0041", "/", "\u00e9")).map((t) => t.replace(/[\s",:[\]{}]/g, "")).filter((t) => t.length > 0);
    const needle = fc.oneof(bare, bare.map((t) => `"${t}"`), bare.map((t) => `\${${t}`), fc.constantFrom('"replace_triggered_by"', "${docker_network.n."));
    fc.assert(
      fc.property(stackDoc, needle, (doc, needle) => {
        const cut = parseStack(Buffer.from(canonical(doc)), FILE) as Json;
        const parsed = JSON.parse(canonical(doc)) as Json;
        const eager = [...resourcesOf(parsed).values()].map((r) => JSON.stringify(r.body).includes(needle));
        const lazy = [...resourcesOf(cut).values()].map((r) => mentions(r, needle));
        expect(lazy).toEqual(eager);
        if (eager.some(Boolean)) expect(mayMention(cut, needle)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("mentions() on bytes that escape what JSON.stringify writes plainly", () => {
  it("a reference written with \\u or \\/ escapes is still found (the body is parsed for it)", () => {
    const t = canonical({ resource: { docker_container: { api: { mounts: [{ source: "${docker_volume.data.name}", target: "/data" }] } } }, terraform: {} });
    for (const escaped of [t.replace("${docker_volume", "\\u0024{docker_volume"), t.replace('"/data"', '"\\/data"')]) {
      const [r] = resourcesOf(parseStack(Buffer.from(escaped), FILE) as Json).values();
      expect(r.raw).toBeDefined();
      expect(mentions(r, "${docker_volume.data.")).toBe(true);
      expect(mentions(r, "/data")).toBe(true);
    }
  });
});

describe("a review of cut stacks is the review of parsed ones", () => {
  const out = path.join(tmp("envkit-stack-text-ref-"), "out");
  const synth = cli("synth", "--config", REFERENCE_APP, "--out", out);
  if (synth.code !== 0) throw new Error(synth.err);
  const envs = fs.readdirSync(path.join(out, "stacks")).sort();
  const docs = new Map(envs.map((e) => [e, JSON.parse(fs.readFileSync(path.join(out, "stacks", e, "cdk.tf.json"), "utf8")) as Json]));
  const model = (e: string): StackModel => JSON.parse(fs.readFileSync(path.join(out, "stacks", e, "envkit-model.json"), "utf8")) as StackModel;

  /** Writes `docs` as an output folder the way cdktf writes it. */
  function write(edited: Map<string, Json>): string {
    const dir = tmp("envkit-stack-text-head-");
    for (const [e, doc] of edited) {
      fs.mkdirSync(path.join(dir, "stacks", e), { recursive: true });
      fs.writeFileSync(path.join(dir, "stacks", e, "cdk.tf.json"), canonical(doc));
      fs.copyFileSync(path.join(out, "stacks", e, "envkit-model.json"), path.join(dir, "stacks", e, "envkit-model.json"));
    }
    return dir;
  }

  // An edit: change, add or remove a leaf somewhere in a resource, or drop/duplicate a resource.
  const edit = fc.record({ env: fc.constantFrom(...envs), pick: fc.nat(), leaf: fc.nat(), kind: fc.constantFrom("set", "drop-resource", "copy-resource", "drop-leaf"), v: fc.oneof(fc.string(), fc.integer(), fc.constant("line one\nline two")) });

  function apply(e: { env: string; pick: number; leaf: number; kind: string; v: unknown }, into: Map<string, Json>): void {
    const doc = into.get(e.env)!;
    const res = doc.resource as Record<string, Record<string, Json>>;
    const all = Object.entries(res).flatMap(([t, byId]) => Object.keys(byId).map((id) => [t, id] as const));
    const [t, id] = all[e.pick % all.length];
    if (e.kind === "drop-resource") delete res[t][id];
    else if (e.kind === "copy-resource") res[t][`${id}_copy`] = JSON.parse(JSON.stringify(res[t][id])) as Json;
    else {
      // Walk to a leaf holder.
      let node: Json = res[t][id];
      for (let i = 0; i < 6; i++) {
        const keys = Object.keys(node).filter((k) => typeof node[k] === "object" && node[k] !== null);
        if (keys.length === 0) break;
        const next = node[keys[(e.leaf >> i) % keys.length]];
        const inner = Array.isArray(next) ? next[0] : next;
        if (typeof inner !== "object" || inner === null || Array.isArray(inner)) break;
        node = inner as Json;
      }
      const keys = Object.keys(node);
      if (e.kind === "drop-leaf" && keys.length > 0) delete node[keys[e.leaf % keys.length]];
      else node[keys.length > 0 ? keys[e.leaf % keys.length] : "added"] = e.v;
    }
  }

  it("the same report, markdown and JSON, for random edits of the reference app's stacks (fast-check)", () => {
    const baseLazy = readOutputDir(out);
    const baseEager = new Map(envs.map((e) => [e, { json: JSON.parse(JSON.stringify(docs.get(e))) as Json, model: model(e) }]));
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const head = new Map(envs.map((e) => [e, JSON.parse(JSON.stringify(docs.get(e))) as Json]));
        for (const e of edits) apply(e, head);
        const headLazy = readOutputDir(write(head));
        const headEager = new Map(envs.map((e) => [e, { json: JSON.parse(canonical(head.get(e))) as Json, model: model(e) }]));
        const lazy = diffOutputs(baseLazy, headLazy);
        const eager = diffOutputs(baseEager, headEager);
        expect(JSON.stringify(lazy)).toBe(JSON.stringify(eager));
        expect(toMarkdown(lazy)).toBe(toMarkdown(eager));
      }),
      { numRuns: 40 },
    );
  });
});

describe("a multi-line string shows the lines that changed", () => {
  // Few distinct lines: many equal lines on both sides, so the diff has real choices to make.
  const lines = fc.array(fc.constantFrom("a", "b", "c", "", "  expr: up == 0", "\u00e9"), { maxLength: 40 });

  /** `before` with every hunk applied. */
  function apply(before: readonly string[], hunks: readonly LineHunk[]): string[] {
    const out: string[] = [];
    let at = 0;
    for (const h of hunks) {
      out.push(...before.slice(at, h.line - 1));
      expect(before.slice(h.line - 1, h.line - 1 + h.removed.length)).toEqual(h.removed);
      out.push(...h.added);
      at = h.line - 1 + h.removed.length;
    }
    return [...out, ...before.slice(at)];
  }

  it("the hunks turn the old value into the new one, in order, each naming its old line (fast-check)", () => {
    fc.assert(
      fc.property(lines, lines, (b, a) => {
        const c = changedLines(b.join("\n"), a.join("\n"))!;
        const listed = c.hunks.reduce((n, h) => n + h.removed.length + h.added.length, 0);
        expect(listed).toBeLessThanOrEqual(MAX_CHANGED_LINES);
        if (c.more === undefined) expect(apply(b.join("\n").split("\n"), c.hunks)).toEqual(a.join("\n").split("\n"));
        else expect(listed).toBe(MAX_CHANGED_LINES);
        for (let i = 1; i < c.hunks.length; i++) expect(c.hunks[i].line).toBeGreaterThan(c.hunks[i - 1].line);
        if (b.join("\n") === a.join("\n")) expect(c.hunks).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it("three values changed ten lines apart in a 583-line file are three one-line hunks, not one block of 21", () => {
    const before = Array.from({ length: 583 }, (_x, i) => `line ${i + 1}: threshold 134217728`);
    const after = before.map((l, i) => ([218, 228, 238].includes(i) ? l.replace("134217728", "201326592") : l));
    const c = changedLines(before.join("\n"), after.join("\n"))!;
    expect(c.hunks).toEqual([219, 229, 239].map((line) => ({ line, removed: [`line ${line}: threshold 134217728`], added: [`line ${line}: threshold 201326592`] })));
    expect(c.more).toBeUndefined();
  });

  it("the review of a changed rules file names the line and shows it, not two equal prefixes", () => {
    const rules = (threshold: number) => ["groups:", ...Array.from({ length: 200 }, (_x, i) => `  - alert: A${i}\n    expr: up == ${i === 150 ? threshold : 0}`)].join("\n");
    const dir = (threshold: number) => {
      const d = tmp("envkit-stack-text-rules-");
      fs.mkdirSync(path.join(d, "stacks", "prod"), { recursive: true });
      fs.writeFileSync(path.join(d, "stacks", "prod", "cdk.tf.json"), canonical({ resource: { kubernetes_config_map_v1: { rules: { data: { "rules.yml": rules(threshold) }, metadata: [{ name: "rules" }] } } }, terraform: {} }));
      return d;
    };
    const md = toMarkdown(diffOutputs(readOutputDir(dir(0)), readOutputDir(dir(1))));
    expect(md).toContain("`data.rules.yml`: line 303 changed");
    expect(md).toContain("-     expr: up == 0\n    +     expr: up == 1");
  });
});


describe("a stack that is not valid JSON: where, never what", () => {
  const file = (text: string): string => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "envkit-badjson-")), "cdk.tf.json");
    fs.writeFileSync(f, text);
    return f;
  };
  const issuesOf = (text: string): string[] => {
    const issues: ConfigIssue[] = [];
    const f = file(text);
    expect(readJsonFile(f, issues, undefined, (b) => parseStack(b, f))).toBeUndefined();
    return issues.map((i) => formatIssue(i).slice(f.length));
  };
  const TAIL = "; it is not a synthesized output (synthesize it again with envkit synth)";

  it("names the resource and the column of an error in a minified stack", () => {
    const text = '{"resource":{"docker_container":{"api":{"name":"x" "image":"hunter2"}}}}';
    const issues = issuesOf(text);
    expect(issues).toEqual([`:1: resource.docker_container.api: is not valid JSON at column ${text.indexOf('"image"') + 1}${TAIL}`]);
    expect(issues.join("")).not.toContain("hunter2");
  });

  it("names the resource a cut-off file ends in, and says it ends too early", () => {
    expect(issuesOf('{"resource":{"docker_container":{"api":{"name":"x"')).toEqual([`:1: resource.docker_container.api: is not valid JSON at column 51 (it ends too early: a cut-off write?)${TAIL}`]);
    // The canonical layout too (the cut fails, the whole text is parsed and fails where it ends).
    const canonicalText = canonical({ resource: { kubernetes_deployment_v1: { web: { metadata: [{ name: "web" }] } } }, terraform: {} });
    const cut = issuesOf(canonicalText.slice(0, canonicalText.indexOf('"web"') + 5));
    expect(cut).toEqual([expect.stringMatching(/^:\d+: resource\.kubernetes_deployment_v1\.web: is not valid JSON \(it ends too early: a cut-off write\?\)/)]);
  });

  it("locates an unexpected token, which V8 reports without a position, and never quotes it", () => {
    // A bare word in a minified stack: the column and the resource.
    const minified = '{"resource":{"docker_container":{"api":{"name":hunter2}}}}';
    expect(issuesOf(minified)).toEqual([`:1: resource.docker_container.api: is not valid JSON at column ${minified.indexOf("hunter2") + 1}${TAIL}`]);
    // A merge-conflict marker outside the resources of a canonical stack: its line.
    const good = canonical({ resource: { kubernetes_deployment_v1: { web: { metadata: [{ name: "web" }] } } }, terraform: { required_providers: {} } });
    const outside = good.indexOf('    "required_providers"');
    const conflictedTop = `${good.slice(0, outside)}<<<<<<< HEAD\n${good.slice(outside)}`;
    const top = issuesOf(conflictedTop);
    expect(top).toEqual([`:${conflictedTop.slice(0, outside).split("\n").length}: is not valid JSON${TAIL}`]);
    // Inside a resource body, which the review parses when it reads it: its line, and the resource.
    const at = good.indexOf('          "name": "web"');
    const conflicted = `${good.slice(0, at)}<<<<<<< HEAD\n${good.slice(at)}`;
    const doc = parseStack(Buffer.from(conflicted), FILE) as { resource: Record<string, Json> };
    let issues: string[] = [];
    try {
      void doc.resource.kubernetes_deployment_v1.web;
    } catch (e) {
      issues = (e as EnvkitError).issues.map(formatIssue);
    }
    expect(issues).toEqual([`${FILE}:${conflicted.slice(0, at).split("\n").length}: resource.kubernetes_deployment_v1.web: is not valid JSON; it is not a synthesized output (synthesize it again with envkit synth)`]);
    expect([...top, ...issues].join("")).not.toMatch(/HEAD|<</);
  });

  it("names no resource outside the resources, or when a name is not a Terraform identifier (it could be data)", () => {
    expect(issuesOf('{"terraform":{"a":1,}}')).toEqual([`:1: is not valid JSON at column ${'{"terraform":{"a":1,}}'.indexOf(",}") + 2}${TAIL}`]);
    const text = '{"resource":{"t":{"hunter2 is the password":{"a":1 "b":2}}}}';
    const secretName = issuesOf(text);
    // The column of the unexpected `"` (1-based).
    expect(secretName).toEqual([`:1: is not valid JSON at column ${text.indexOf('"b"') + 1}${TAIL}`]);
    expect(secretName.join("")).not.toContain("hunter2");
  });
});

describe("a review reports every broken stack and resource body at once", () => {
  const output = (files: Record<string, string>): string => {
    const d = tmp("envkit-broken-");
    for (const [env, text] of Object.entries(files)) {
      fs.mkdirSync(path.join(d, "stacks", env), { recursive: true });
      fs.writeFileSync(path.join(d, "stacks", env, "cdk.tf.json"), text);
    }
    return d;
  };
  const stack = (image: string) => canonical({ resource: { kubernetes_deployment_v1: { api: { image }, web: { image } } }, terraform: {} });
  const errLines = (r: { err: string }) => r.err.split("\n").filter((l) => l.includes("cdk.tf.json"));

  it("every changed body that is not JSON, in every environment, not only the first met", () => {
    const base = output({ prod: stack("a"), staging: stack("a") });
    const bare = (text: string) => text.replace(/"image": "b"/g, '"image": hunter2');
    const head = output({ prod: bare(stack("b")), staging: bare(stack("b")).replace('"image": hunter2', '"image": "b"') });
    const r = cli("diff", "--base", base, "--head", head);
    expect(r.code).not.toBe(0);
    const lines = errLines(r);
    expect(lines).toEqual([
      expect.stringMatching(/prod\/cdk\.tf\.json:\d+: resource\.kubernetes_deployment_v1\.api: is not valid JSON/),
      expect.stringMatching(/prod\/cdk\.tf\.json:\d+: resource\.kubernetes_deployment_v1\.web: is not valid JSON/),
      expect.stringMatching(/staging\/cdk\.tf\.json:\d+: resource\.kubernetes_deployment_v1\.web: is not valid JSON/),
    ]);
    expect(r.err).not.toContain("hunter2");
  });

  it("a broken file on each side: both, before any diff", () => {
    const base = output({ prod: stack("a"), staging: "{\n  hunter2\n}\n" });
    const head = output({ prod: "{\n  <<<<<<< HEAD\n}\n", staging: stack("a") });
    const r = cli("diff", "--base", base, "--head", head);
    expect(r.code).not.toBe(0);
    // Issues are sorted by file, and the two temporary folders' names are random: any order.
    const lines = errLines(r);
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(expect.arrayContaining([expect.stringContaining(`${base}/stacks/staging/cdk.tf.json:2: is not valid JSON`), expect.stringContaining(`${head}/stacks/prod/cdk.tf.json:2: is not valid JSON`)]));
    expect(r.err).not.toMatch(/hunter2|HEAD/);
  });
});
