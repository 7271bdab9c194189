import { EnvironmentModel } from "../model/environment";

/**
 * Mermaid node ids must be simple words. A service name (a DNS label: letters, digits, "-", never
 * ending in "-") maps to one that never ends in "_"; the nodes envkit adds (the internet, egress
 * destinations) end in "_", so no service can share a node with them, nor two destinations whose
 * names differ only in punctuation.
 */
const id = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_");
const INTERNET = "internet_";
const egressId = (i: number): string => `egress_${i + 1}_`;

/** A mermaid flowchart of services and their allowed connections (and the internet for public ones). */
export function toMermaid(env: EnvironmentModel): string {
  const lines = ["flowchart LR"];
  if (env.services.some((s) => s.public)) lines.push(`  ${INTERNET}(("internet"))`);
  for (const s of env.services) lines.push(`  ${id(s.name)}${s.kind === "stateful" ? `[("${s.name}")]` : s.kind === "job" || s.kind === "cronjob" ? `{{"${s.name}"}}` : `["${s.name}"]`}`);
  for (const s of env.services.filter((x) => x.public)) lines.push(`  ${INTERNET} -->|${s.ports.map((p) => p.port).join(",")}| ${id(s.name)}`);
  for (const c of env.connections) lines.push(`  ${id(c.from)} -->|${c.port}/${c.protocol}| ${id(c.to)}`);
  // Jobs run before their dependants; egress leaves the application.
  for (const s of env.services) for (const d of s.runBefore ?? []) lines.push(`  ${id(s.name)} -.->|before| ${id(d)}`);
  [...egressTargets(env)].forEach(([dest, from], i) => {
    lines.push(`  ${egressId(i)}(("${dest.replace(/"/g, "_")}"))`);
    for (const [svc, port] of from) lines.push(`  ${id(svc)} -->|${port}| ${egressId(i)}`);
  });
  return lines.join("\n");
}

/** Graphviz dot of the same graph. */
export function toDot(env: EnvironmentModel): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [`digraph ${q(`${env.app}-${env.name}`)} {`, "  rankdir=LR;"];
  // The internet and egress destinations are nodes of their own (ids ending in "_", which no service has), labelled.
  if (env.services.some((s) => s.public)) lines.push(`  ${INTERNET} [shape=doublecircle, label="internet"];`);
  for (const s of env.services) lines.push(`  ${q(s.name)} [shape=${s.kind === "stateful" ? "cylinder" : s.kind === "job" || s.kind === "cronjob" ? "hexagon" : "box"}];`);
  for (const s of env.services.filter((x) => x.public)) lines.push(`  ${INTERNET} -> ${q(s.name)} [label=${q(s.ports.map((p) => p.port).join(","))}];`);
  for (const c of env.connections) lines.push(`  ${q(c.from)} -> ${q(c.to)} [label=${q(`${c.port}/${c.protocol}`)}];`);
  for (const s of env.services) for (const d of s.runBefore ?? []) lines.push(`  ${q(s.name)} -> ${q(d)} [style=dashed, label="before"];`);
  [...egressTargets(env)].forEach(([dest, from], i) => {
    lines.push(`  ${egressId(i)} [shape=doublecircle, label=${q(dest)}];`);
    for (const [svc, port] of from) lines.push(`  ${q(svc)} -> ${egressId(i)} [label=${q(port)}];`);
  });
  lines.push("}");
  return lines.join("\n");
}

/** Destinations outside the application (host, else cidr) → [service, "port/protocol"] pairs. */
function egressTargets(env: EnvironmentModel): Map<string, [string, string][]> {
  const out = new Map<string, [string, string][]>();
  for (const s of env.services) {
    for (const e of s.egress ?? []) {
      const dest = e.host ?? e.cidr ?? "outside";
      out.set(dest, [...(out.get(dest) ?? []), [s.name, `${e.port}/${e.protocol}`]]);
    }
  }
  return out;
}

/** Edges as `from->to:port` strings, for comparing graphs. */
export function edges(env: Pick<EnvironmentModel, "connections">): string[] {
  return env.connections.map((c) => `${c.from}->${c.to}:${c.port}`).sort();
}

/** The parts of a service graph {@link changedMermaid} draws (the envkit-model.json sidecar shape). */
export interface GraphShape {
  readonly services: readonly { readonly name: string; readonly public: boolean; readonly kind?: string }[];
  readonly connections: readonly { readonly from: string; readonly to: string; readonly port: number }[];
}

/**
 * A mermaid flowchart of the head graph with what changed marked: new connections thick and green
 * and labelled "new", removed ones (drawn from `removed`, `from->to:port`) dashed, red and labelled
 * "removed". Names are quoted labels, so nothing in them is mermaid syntax.
 */
export function changedMermaid(g: GraphShape, added: readonly string[], removed: readonly string[]): string {
  const label = (s: string): string => s.replace(/["<>&|]/g, "_");
  const lines = ["flowchart LR"];
  const names = new Set(g.services.map((s) => s.name));
  const parse = (e: string): { from: string; to: string; port: string } => {
    const m = /^(.*)->(.*):(\d+)$/.exec(e)!;
    return { from: m[1], to: m[2], port: m[3] };
  };
  for (const r of removed.map(parse)) for (const n of [r.from, r.to]) names.add(n);
  if (g.services.some((s) => s.public)) lines.push(`  ${INTERNET}(("internet"))`);
  for (const n of [...names]) {
    const s = g.services.find((x) => x.name === n);
    lines.push(`  ${id(n)}${s?.kind === "stateful" ? `[("${label(n)}")]` : `["${label(n)}"]`}`);
  }
  const styles: string[] = [];
  let link = 0;
  for (const s of g.services.filter((x) => x.public)) {
    lines.push(`  ${INTERNET} --> ${id(s.name)}`);
    link++;
  }
  for (const c of g.connections) {
    const isNew = added.includes(`${c.from}->${c.to}:${c.port}`);
    lines.push(isNew ? `  ${id(c.from)} ==>|"${c.port} (new)"| ${id(c.to)}` : `  ${id(c.from)} -->|${c.port}| ${id(c.to)}`);
    if (isNew) styles.push(`  linkStyle ${link} stroke:#1a7f37,stroke-width:3px`);
    link++;
  }
  for (const r of removed.map(parse)) {
    lines.push(`  ${id(r.from)} -.->|"${r.port} (removed)"| ${id(r.to)}`);
    styles.push(`  linkStyle ${link} stroke:#cf222e,stroke-dasharray:4`);
    link++;
  }
  return [...lines, ...styles].join("\n");
}
