import { EnvironmentModel } from "../model/environment";

/** Mermaid node ids must be simple words. */
const id = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_");

/** A mermaid flowchart of services and their allowed connections (and the internet for public ones). */
export function toMermaid(env: EnvironmentModel): string {
  const lines = ["flowchart LR"];
  if (env.services.some((s) => s.public)) lines.push('  internet(("internet"))');
  for (const s of env.services) lines.push(`  ${id(s.name)}${s.kind === "stateful" ? `[("${s.name}")]` : `["${s.name}"]`}`);
  for (const s of env.services.filter((x) => x.public)) lines.push(`  internet -->|${s.ports.map((p) => p.port).join(",")}| ${id(s.name)}`);
  for (const c of env.connections) lines.push(`  ${id(c.from)} -->|${c.port}/${c.protocol}| ${id(c.to)}`);
  return lines.join("\n");
}

/** Graphviz dot of the same graph. */
export function toDot(env: EnvironmentModel): string {
  const q = (s: string): string => JSON.stringify(s);
  const lines = [`digraph ${q(`${env.app}-${env.name}`)} {`, "  rankdir=LR;"];
  if (env.services.some((s) => s.public)) lines.push('  internet [shape=doublecircle];');
  for (const s of env.services) lines.push(`  ${q(s.name)} [shape=${s.kind === "stateful" ? "cylinder" : "box"}];`);
  for (const s of env.services.filter((x) => x.public)) lines.push(`  internet -> ${q(s.name)} [label=${q(s.ports.map((p) => p.port).join(","))}];`);
  for (const c of env.connections) lines.push(`  ${q(c.from)} -> ${q(c.to)} [label=${q(`${c.port}/${c.protocol}`)}];`);
  lines.push("}");
  return lines.join("\n");
}

/** Edges as `from->to:port` strings, for comparing graphs. */
export function edges(env: Pick<EnvironmentModel, "connections">): string[] {
  return env.connections.map((c) => `${c.from}->${c.to}:${c.port}`).sort();
}
