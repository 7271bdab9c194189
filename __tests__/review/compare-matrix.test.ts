import * as fs from "node:fs";
import * as path from "node:path";
import { compareCommand } from "../../lib/cli/commands/compare";
import { UsageError } from "../../lib/cli/io";
import { ComparisonMatrix, comparisonMarkdown, matrixMarkdown } from "../../lib/review/compare";
import { REFERENCE_APP, cli, copyReferenceApp, edit } from "../helpers";

/** `envkit compare` with N environments, called the way the CLI calls it. */
function compare(config: string, envs: string[], ...flags: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const opt = (name: string) => (flags.includes(name) ? flags[flags.indexOf(name) + 1] : undefined);
  const code = compareCommand({ config, envs, format: opt("--format"), maxBytes: opt("--max-bytes") }, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

type Matrix = ComparisonMatrix & { rows: { setting: string; values: Record<string, unknown> }[] };
const ALL = ["dev", "test", "staging", "prod"];

describe("envkit compare dev test staging prod (a matrix)", () => {
  const json = JSON.parse(compare(REFERENCE_APP, ALL, "--format", "json").out) as Matrix;
  const md = compare(REFERENCE_APP, ALL).out;
  const row = (s: string) => json.rows.find((r) => r.setting === s);

  it("has one column per environment, in the order given", () => {
    expect(json.environments).toEqual(ALL);
    expect(md).toContain("| setting | dev | test | staging | prod |");
    expect(md).toContain("## dev → test → staging → prod");
  });

  it("shows target, replicas, cpu, memory, release and enforcement per environment", () => {
    expect(row("target")?.values).toEqual({ dev: "docker", test: "docker", staging: "kubernetes", prod: "kubernetes" });
    expect(row("services.api.replicas")?.values).toEqual({ dev: 1, test: 1, staging: 2, prod: 3 });
    expect(row("services.api.resources.cpu")?.values.test).toBe("500m");
    expect(row("services.db.resources.memory")?.values.prod).toBe("4Gi");
    expect(row("policy.enforcement")?.values).toEqual({ dev: "advisory", test: "advisory", staging: expect.any(String), prod: "mandatory" });
    expect(String(row("release.api")?.values.prod)).toMatch(/^2\.4\.1@sha256:[a-f0-9]{64}$/);
    expect(md).toMatch(/^\| target \| `docker` \| `docker` \| `kubernetes` \| `kubernetes` \|$/m);
  });

  it("lists the reader's rows first: target, releases, replicas, resources before the rest", () => {
    const settings = json.rows.map((r) => r.setting);
    expect(settings[0]).toBe("target");
    expect(settings.indexOf("release.api")).toBeLessThan(settings.indexOf("services.api.replicas"));
    expect(settings.indexOf("services.api.replicas")).toBeLessThan(settings.indexOf("services.api.resources.cpu"));
    expect(settings.indexOf("services.api.resources.cpu")).toBeLessThan(settings.indexOf("backend.type"));
  });

  it("has a row only for settings that are not the same everywhere (one different environment is enough)", () => {
    expect(row("name")).toBeUndefined();
    expect(json.identical).toContain("name");
    // docker.publishAddress is set by test alone.
    expect(row("docker.publishAddress")?.values).toEqual({ dev: expect.anything(), test: "0.0.0.0", staging: null, prod: null });
    for (const r of json.rows) expect(new Set(ALL.map((e) => JSON.stringify(r.values[e]))).size).toBeGreaterThan(1);
  });

  it("renders every table row with one cell per environment (no broken table)", () => {
    const tableRows = md.split("\n").filter((l) => l.startsWith("| "));
    for (const l of tableRows) expect(l.replace(/\\\|/g, "").split("|").length).toBe(ALL.length + 3);
    // The settings table, then the connections that differ (the monitoring set's, in dev and test).
    const [settingsPart, connectionsPart = ""] = md.split("### Connections");
    expect(settingsPart.split("\n").filter((l) => l.startsWith("| ")).length).toBe(json.rows.length + 1);
    expect(connectionsPart.split("\n").filter((l) => l.startsWith("| ")).length).toBe(json.edges.length + 1);
  });

  it("shortens image digests in markdown only (JSON keeps them whole)", () => {
    expect(md).toMatch(/`2\.4\.1@sha256:[a-f0-9]{12}…`/);
    expect(md).not.toMatch(/sha256:[a-f0-9]{13}/);
  });

  it("keeps the columns in the order the user gives", () => {
    const r = JSON.parse(compare(REFERENCE_APP, ["prod", "dev", "test"], "--format", "json").out) as Matrix;
    expect(r.environments).toEqual(["prod", "dev", "test"]);
  });
});

describe("envkit compare: which environments", () => {
  it("compares every environment when none is named, each after the one it is promoted from", () => {
    const r = cli("compare", "--config", REFERENCE_APP, "--format", "json");
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as Matrix;
    expect([...m.environments].sort()).toEqual([...ALL, "swarm"].sort());
    expect(m.environments.indexOf("staging")).toBeLessThan(m.environments.indexOf("prod"));
  });

  it("keeps the two-environment form (differences and identical settings)", () => {
    const r = compare(REFERENCE_APP, ["staging", "prod"], "--format", "json");
    const c = JSON.parse(r.out);
    expect(c.a).toBe("staging");
    expect(c.differences.find((d: { path: string }) => d.path === "services.api.replicas")).toEqual({ path: "services.api.replicas", a: "2", b: "3" });
  });

  it("refuses a single environment (nothing to compare) as a usage error", () => {
    expect(() => compare(REFERENCE_APP, ["prod"])).toThrow(new UsageError('compare needs at least two environments (got only "prod"), or none for every environment'));
  });

  it("refuses an environment named twice", () => {
    expect(() => compare(REFERENCE_APP, ["dev", "prod", "dev"])).toThrow(/environment "dev" is named twice/);
  });

  it("names the unknown environment and the ones that exist", () => {
    const r = compare(REFERENCE_APP, ["dev", "qa", "prod"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`${REFERENCE_APP}: no environment "qa"; found: dev, prod, staging, swarm, test`);
  });

  it("refuses --max-bytes that is not a number", () => {
    expect(() => compare(REFERENCE_APP, ALL, "--max-bytes", "12k")).toThrow(/--max-bytes must be an integer of at least 200 \(got "12k"\)/);
  });
});

describe("envkit compare matrix: promotion and cutting", () => {
  it("flags, per environment, the releases its predecessor (promotion.from) never ran", () => {
    const dir = copyReferenceApp();
    fs.rmSync(path.join(dir, "releases.yaml"));
    const m = JSON.parse(compare(dir, ALL, "--format", "json").out) as Matrix;
    const prod = m.unpromoted.filter((u) => u.env === "prod");
    expect(prod.map((u) => [u.from, u.service])).toEqual([["staging", "api"], ["staging", "worker"]]);
    // Column order is not a promotion order: staging declares none, so nothing is flagged for it.
    expect(m.unpromoted.filter((u) => u.env !== "prod")).toEqual([]);
    expect(compare(dir, ALL).out).toMatch(/> - prod runs api `2\.4\.1@sha256:[a-f0-9]{12}…`, which staging never ran/);
  });

  it("escapes a pipe in a value so it cannot split the table", () => {
    const dir = copyReferenceApp();
    edit(path.join(dir, "environments", "test.yaml"), "    resources: { cpu: 500m, memory: 384Mi }", '    resources: { cpu: 500m, memory: 384Mi }\n    env: { LOG_LEVEL: "a|b" }');
    const r = compare(dir, ALL);
    if (r.code !== 0) throw new Error(r.err);
    const line = r.out.split("\n").find((l) => l.includes("a\\|b"));
    expect(line).toBeDefined();
    expect(line!.replace(/\\\|/g, "").split("|").length).toBe(ALL.length + 3);
  });

  const full = compare(REFERENCE_APP, ALL).out;
  const tableRows = (s: string) => s.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| setting"));

  it("--max-bytes one byte short of the report drops whole sections and stays under the budget", () => {
    const budget = Buffer.byteLength(full) - 1;
    const cut = compare(REFERENCE_APP, ALL, "--max-bytes", String(budget)).out;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(budget);
    expect(cut).toContain("✂ Cut at a section boundary");
    expect(cut).toContain("The complete report is in the JSON output (`envkit compare --format json`)");
    expect([0, tableRows(full).length]).toContain(tableRows(cut).length);
  });

  it("--max-bytes never leaves half a table: a budget inside it drops the table whole", () => {
    const budget = Buffer.byteLength(full.slice(0, full.indexOf("| services.api.replicas")));
    const cut = compare(REFERENCE_APP, ALL, "--max-bytes", String(budget)).out;
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(budget);
    expect(tableRows(cut)).toEqual([]);
    expect(cut).toMatch(/left out: \d+ setting\(s\) that differ/);
  });
});

describe("matrixMarkdown (rendering alone)", () => {
  const m: ComparisonMatrix = {
    environments: ["a", "b", "c"],
    rows: [{ setting: "services.x.env.K", values: { a: "p`q", b: null, c: 3 } }],
    identical: [],
    edges: [{ edge: "web->api:3000", in: ["a", "c"] }],
    unpromoted: [],
  };
  const md = matrixMarkdown(m);

  it("marks a connection allowed only in some environments per column", () => {
    expect(md).toContain("| web → api:3000 | ✓ | — | ✓ |");
  });

  it("never lets a backtick in a value close the code span: the value is shown as it is, in a longer fence", () => {
    expect(md).toContain("| services.x.env.K | ``p`q`` | — | `3` |");
  });

  it("keeps a hostile value inside its cell and its code span: backticks, pipes, a line feed, HTML", () => {
    const hostile = matrixMarkdown({ ...m, rows: [{ setting: "services.x.env.<b>K|</b>", values: { a: "a|b`c``d\n<img src=x onerror=alert(1)>", b: null, c: "3" } }] });
    const row = hostile.split("\n").find((l) => l.startsWith("| services"))!;
    expect(row).toBe("| services.x.env.&lt;b&gt;K\\|&lt;/b&gt; | ```a\\|b`c``d <img src=x onerror=alert(1)>``` | — | `3` |");
    // The table keeps its shape: the hostile row is one line with four cells.
    expect(row.split(/(?<!\\)\|/).length).toBe(6);
  });
});

describe("comparisonMarkdown (two environments, rendering alone)", () => {
  it("keeps a hostile value inside its cell and code span (a backtick closed the span and let raw HTML into the comment)", () => {
    const md = comparisonMarkdown({ a: "dev", b: "staging", differences: [{ path: "services.web.env.LOG_LEVEL", a: "a|b`c``d\n<img src=x onerror=alert(1)>", b: "info" }], identical: [], edgesOnlyInA: [], edgesOnlyInB: [], unpromoted: [] });
    expect(md).toContain("| services.web.env.LOG\\_LEVEL | ```a\\|b`c``d <img src=x onerror=alert(1)>``` | `info` |");
  });
});
