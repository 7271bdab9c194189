import { ResolvedEnvironment } from "../config/resolve";
import { ReleaseHistory, historyRan } from "../policy/rule";
import { edges } from "./graph";
import { flatten } from "./flatten";
import { codeSpan, escapeMd } from "./md-text";

/**
 * A value as code in a table cell: a span no backtick inside can close, one line, pipes escaped
 * (GFM splits cells at a pipe even inside code). A value never reaches the comment as markdown or
 * HTML of its own.
 */
const tableCode = (v: string): string => codeSpan(v).replace(/\|/g, "\\|");

/** One effective setting that differs between two environments. */
export interface Difference {
  readonly path: string;
  readonly a?: string;
  readonly b?: string;
}

/** What differs and what is identical between two environments. */
export interface Comparison {
  readonly a: string;
  readonly b: string;
  readonly differences: readonly Difference[];
  readonly identical: readonly string[];
  readonly edgesOnlyInA: readonly string[];
  readonly edgesOnlyInB: readonly string[];
  /** Releases B runs that A (its predecessor) never ran. */
  readonly unpromoted: readonly { readonly service: string; readonly release: string }[];
}

/**
 * Compares two environments' effective configuration (after layering and defaults): replicas,
 * resources, releases, quotas, policy and suppressions, plus the connection graph.
 */
/** The elements of `list` not in `other` (a set lookup: environments have thousands of edges). */
function onlyIn(list: readonly string[], other: readonly string[]): string[] {
  const seen = new Set(other);
  return list.filter((e) => !seen.has(e));
}

export function compareEnvironments(a: ResolvedEnvironment, b: ResolvedEnvironment, history: ReleaseHistory): Comparison {
  const fa = flatten(a.model.effective);
  const fb = flatten(b.model.effective);
  const differences: Difference[] = [];
  const identical: string[] = [];
  for (const p of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
    if (fa.get(p) === fb.get(p)) identical.push(p);
    else differences.push({ path: p, a: fa.get(p), b: fb.get(p) });
  }
  const ea = edges(a.model);
  const eb = edges(b.model);
  const unpromoted: { service: string; release: string }[] = [];
  // B's predecessor is A when B declares promotion.from: A, or declares no order at all.
  if (!b.model.promotedFrom || b.model.promotedFrom === a.model.name) {
    const versionsOfA = new Map(a.model.services.map((x) => [x.name, x.version]));
    for (const s of b.model.services) {
      const inA = versionsOfA.get(s.name);
      if (s.version !== inA && !historyRan(history, a.model.name, s.name, s.version)) unpromoted.push({ service: s.name, release: s.version });
    }
  }
  return { a: a.model.name, b: b.model.name, differences, identical, edgesOnlyInA: onlyIn(ea, eb), edgesOnlyInB: onlyIn(eb, ea), unpromoted };
}

/** Markdown rendering of a comparison. */
export function comparisonMarkdown(c: Comparison): string {
  const cell = (v?: string): string => (v === undefined ? "—" : tableCode(v));
  const out = [`## ${c.a} ↔ ${c.b}`, ""];
  if (c.unpromoted.length) {
    out.push(`> **Warning:** ${c.b} runs release(s) that ${c.a} never ran: ${c.unpromoted.map((u) => `${escapeMd(u.service)} ${codeSpan(u.release)}`).join(", ")}`, "");
  }
  out.push(`### ${c.differences.length} difference(s)`, "", `| setting | ${c.a} | ${c.b} |`, "|---|---|---|", ...c.differences.map((d) => `| ${escapeMd(d.path)} | ${cell(d.a)} | ${cell(d.b)} |`), "");
  out.push("### Connections", "");
  if (!c.edgesOnlyInA.length && !c.edgesOnlyInB.length) out.push("Identical connection graphs.", "");
  else out.push(...c.edgesOnlyInA.map((e) => `- only in ${c.a}: ${e}`), ...c.edgesOnlyInB.map((e) => `- only in ${c.b}: ${e}`), "");
  const groups = new Map<string, number>();
  for (const p of c.identical) {
    const g = p.split(".").slice(0, p.startsWith("services.") ? 2 : 1).join(".");
    groups.set(g, (groups.get(g) ?? 0) + 1);
  }
  out.push(`### ${c.identical.length} identical setting(s)`, "", [...groups].map(([g, n]) => `${g} (${n})`).join(", "), "");
  return out.join("\n");
}

/** One effective setting that is not the same in every compared environment. */
export interface MatrixRow {
  readonly setting: string;
  /** Environment → value (JSON), `null` where the environment does not set it. */
  readonly values: Readonly<Record<string, unknown>>;
}

/** A connection that some compared environments allow and others do not. */
export interface MatrixEdge {
  /** `from->to:port`. */
  readonly edge: string;
  /** The environments that allow it. */
  readonly in: readonly string[];
}

/** What differs across N environments: one row per differing setting, one column per environment. */
export interface ComparisonMatrix {
  readonly environments: readonly string[];
  readonly rows: readonly MatrixRow[];
  /** Settings with the same value in every environment. */
  readonly identical: readonly string[];
  readonly edges: readonly MatrixEdge[];
  /** Releases an environment runs that the environment it is promoted from (`promotion.from`, when compared too) never ran. */
  readonly unpromoted: readonly { readonly env: string; readonly from: string; readonly service: string; readonly release: string }[];
}

/** Rows a reviewer reads first: where it runs, what it runs, how big, how strict; then the rest by name. */
const ROW_ORDER: readonly RegExp[] = [/^target$/, /^release\./, /^services\.[^.]+\.replicas$/, /^services\.[^.]+\.resources\./, /^policy\.enforcement$/, /^services\./, /^quota\./, /^policy\./];

function rowRank(setting: string): number {
  const i = ROW_ORDER.findIndex((r) => r.test(setting));
  return i < 0 ? ROW_ORDER.length : i;
}

/**
 * Compares N environments' effective configuration (after layering and defaults) as a matrix:
 * every setting whose value is not the same in all of them, the connections not allowed in all of
 * them, and, per environment that declares `promotion.from` one of the others, the releases that
 * one never ran (column order is not a promotion order: without a declaration nothing is flagged).
 */
export function compareMatrix(envs: readonly ResolvedEnvironment[], history: ReleaseHistory): ComparisonMatrix {
  const names = envs.map((e) => e.model.name);
  const flat = envs.map((e) => flatten(e.model.effective));
  const paths = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort((x, y) => rowRank(x) - rowRank(y) || (x < y ? -1 : x > y ? 1 : 0));
  const rows: MatrixRow[] = [];
  const identical: string[] = [];
  for (const p of paths) {
    // An explicit `null` (e.g. `backup: null`: removed in this environment) reads as not set; the
    // removed object's own keys are rows of their own.
    const vals = flat.map((f) => (f.get(p) === "null" ? undefined : f.get(p)));
    if (vals.every((v) => v === vals[0])) identical.push(p);
    else rows.push({ setting: p, values: Object.fromEntries(names.map((n, i) => [n, vals[i] === undefined ? null : (JSON.parse(vals[i]!) as unknown)])) });
  }
  const perEnv = envs.map((e) => new Set(edges(e.model)));
  const allEdges = [...new Set(perEnv.flatMap((s) => [...s]))].sort();
  const edgeRows = allEdges.filter((e) => !perEnv.every((s) => s.has(e))).map((edge) => ({ edge, in: names.filter((_, i) => perEnv[i].has(edge)) }));
  const unpromoted: { env: string; from: string; service: string; release: string }[] = [];
  envs.forEach((b) => {
    const declared = b.model.promotedFrom;
    const a = declared ? envs.find((e) => e.model.name === declared) : undefined;
    if (!a || a === b) return;
    for (const u of compareEnvironments(a, b, history).unpromoted) unpromoted.push({ env: b.model.name, from: a.model.name, ...u });
  });
  return { environments: names, rows, identical, edges: edgeRows, unpromoted };
}

/** Long image digests make a matrix unreadable: markdown shows 12 hex digits (JSON keeps them whole). */
const shortDigest = (s: string): string => s.replace(/@sha256:([a-f0-9]{12})[a-f0-9]{52}/g, "@sha256:$1…");

/** A table cell: the value as code (pipes escaped, digests shortened), or "—" when unset. */
function matrixCell(v: unknown): string {
  if (v === null || v === undefined) return "—";
  return tableCode(shortDigest(typeof v === "string" ? v : JSON.stringify(v)));
}

/** Markdown rendering of a matrix: one table of differing settings, one of connections. */
export function matrixMarkdown(m: ComparisonMatrix): string {
  const envs = m.environments;
  const header = (first: string): string[] => [`| ${first} | ${envs.join(" | ")} |`, `|---|${envs.map(() => "---").join("|")}|`];
  const out = [`## ${envs.join(" → ")}`, ""];
  if (m.unpromoted.length) {
    out.push("> [!WARNING]", "> Releases an environment runs that the environment it is promoted from never ran:", ...m.unpromoted.map((u) => `> - ${escapeMd(u.env)} runs ${escapeMd(u.service)} ${codeSpan(shortDigest(u.release))}, which ${escapeMd(u.from)} never ran`), "");
  }
  out.push(`### ${m.rows.length} setting(s) that differ`, "");
  if (m.rows.length) out.push(...header("setting"), ...m.rows.map((r) => `| ${escapeMd(r.setting)} | ${envs.map((e) => matrixCell(r.values[e])).join(" | ")} |`), "");
  else out.push(`Every setting is the same in ${envs.join(", ")}.`, "");
  out.push("### Connections", "");
  if (!m.edges.length) out.push("Identical connection graphs.", "");
  else out.push(...header("connection"), ...m.edges.map((e) => `| ${e.edge.replace("->", " → ")} | ${envs.map((n) => (e.in.includes(n) ? "✓" : "—")).join(" | ")} |`), "");
  const groups = new Map<string, number>();
  for (const p of m.identical) {
    const g = p.split(".").slice(0, p.startsWith("services.") ? 2 : 1).join(".");
    groups.set(g, (groups.get(g) ?? 0) + 1);
  }
  out.push(`### ${m.identical.length} setting(s) identical everywhere`, "", [...groups].map(([g, n]) => `${g} (${n})`).join(", ") || "none", "");
  return out.join("\n");
}
