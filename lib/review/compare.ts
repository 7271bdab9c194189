import { ResolvedEnvironment } from "../config/resolve";
import { ReleaseHistory } from "../policy/rule";
import { edges } from "./graph";
import { flatten } from "./flatten";

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
    for (const s of b.model.services) {
      const inA = a.model.services.find((x) => x.name === s.name)?.version;
      if (s.version !== inA && !history.releasesOf(a.model.name, s.name).has(s.version)) unpromoted.push({ service: s.name, release: s.version });
    }
  }
  return { a: a.model.name, b: b.model.name, differences, identical, edgesOnlyInA: ea.filter((e) => !eb.includes(e)), edgesOnlyInB: eb.filter((e) => !ea.includes(e)), unpromoted };
}

/** Markdown rendering of a comparison. */
export function comparisonMarkdown(c: Comparison): string {
  const cell = (v?: string): string => (v === undefined ? "—" : `\`${v.replace(/\|/g, "\\|")}\``);
  const out = [`## ${c.a} ↔ ${c.b}`, ""];
  if (c.unpromoted.length) {
    out.push(`> **Warning:** ${c.b} runs release(s) that ${c.a} never ran: ${c.unpromoted.map((u) => `${u.service} \`${u.release}\``).join(", ")}`, "");
  }
  out.push(`### ${c.differences.length} difference(s)`, "", `| setting | ${c.a} | ${c.b} |`, "|---|---|---|", ...c.differences.map((d) => `| ${d.path} | ${cell(d.a)} | ${cell(d.b)} |`), "");
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
