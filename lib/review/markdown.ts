import { DiffReport, EnvironmentChange, ResourceChange, counts } from "./stack-diff";

/** GitHub's limit for one comment body. */
export const GITHUB_COMMENT_LIMIT = 65536;

const SYMBOL: Record<ResourceChange["action"], string> = { create: "+", update: "~", replace: "±", delete: "−" };

function dataLossLines(report: DiffReport): string[] {
  const lines: string[] = [];
  for (const e of report.environments) {
    const lost = e.changes.filter((c) => c.dataLoss);
    if (e.status === "removed") {
      lines.push(`- **${e.env}: the whole environment is destroyed** (${e.changes.length} resources)${lost.length ? `, including ${lost.length} that hold data: ${lost.map((c) => `\`${c.name ?? c.address}\``).join(", ")}` : ""}.`);
    } else if (lost.length) {
      lines.push(`- **${e.env}:** ${lost.map((c) => `${c.action === "delete" ? "destroys" : "replaces"} \`${c.name ?? c.address}\` (${c.type})`).join("; ")}.`);
    }
  }
  return lines;
}

function mermaid(e: EnvironmentChange): string {
  const m = e.model!;
  const id = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_");
  const lines = ["```mermaid", "flowchart LR"];
  if (m.services.some((s) => s.public)) lines.push('  internet(("internet"))');
  for (const s of m.services) lines.push(`  ${id(s.name)}["${s.name}"]`);
  for (const s of m.services.filter((x) => x.public)) lines.push(`  internet --> ${id(s.name)}`);
  for (const c of m.connections) lines.push(`  ${id(c.from)} -->|${c.port}| ${id(c.to)}`);
  lines.push("```");
  return lines.join("\n");
}

const code = (v: string | undefined): string => (v === undefined ? "_(none)_" : `\`${v.length > 120 ? `${v.slice(0, 117)}...` : v}\``);

/** The `<details>` section of one environment; `compact` drops attribute lines. */
function section(e: EnvironmentChange, compact: boolean): string {
  const c = counts(e);
  const head = `${e.env}${e.target ? ` (${e.target})` : ""}: ${e.status === "removed" ? "environment removed, " : e.status === "added" ? "new environment, " : ""}${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to destroy`;
  const lines = ["<details>", `<summary>${head}</summary>`, ""];
  for (const r of e.changes) {
    lines.push(`- ${SYMBOL[r.action]} ${r.action} \`${r.address}\`${r.name ? ` (${r.name})` : ""}${r.dataLoss ? " **⚠ data loss**" : ""}${r.unknownType ? " _(replacement rules unknown for this type)_" : ""}`);
    if (compact || r.action === "create" || r.action === "delete") continue;
    for (const a of r.attributes) lines.push(`  - \`${a.path}\`: ${code(a.before)} → ${code(a.after)}${a.forcesReplacement ? " _(forces replacement)_" : ""}${a.notApplied && r.action === "update" ? ` _(planned in place, but the provider never applies it to the existing resource; to apply it: \`terraform apply -replace=${r.address}\`)_` : ""}`);
  }
  if (e.connectionsChanged && e.model) lines.push("", "Service connections after this change:", "", mermaid(e));
  lines.push("", "</details>", "");
  return lines.join("\n");
}

/**
 * The pull-request comment: a summary table across environments, then data-loss warnings, then
 * one collapsible section per changed environment (unchanged ones on one line). Never longer than
 * `maxChars`: when cut, a marker names what was left out and points to the JSON output.
 */
export function toMarkdown(report: DiffReport, maxChars = GITHUB_COMMENT_LIMIT): string {
  const changed = report.environments.filter((e) => e.status !== "unchanged");
  const unchanged = report.environments.filter((e) => e.status === "unchanged");
  const head: string[] = ["## envkit plan review", ""];
  if (changed.length === 0) {
    head.push(`No changes in ${report.environments.length} environment(s): ${report.environments.map((e) => e.env).join(", ") || "none"}.`);
    return fit(head.join("\n"), maxChars);
  }
  head.push("| environment | status | + create | ~ update | ± replace | − destroy |", "|---|---|---:|---:|---:|---:|");
  for (const e of report.environments) {
    const c = counts(e);
    head.push(`| ${e.env} | ${e.status} | ${c.create} | ${c.update} | ${c.replace} | ${c.delete} |`);
  }
  head.push("");
  const loss = dataLossLines(report);
  if (loss.length) head.push("> [!CAUTION]", "> **Data loss.** These changes destroy or replace resources that hold data:", ...loss.map((l) => `> ${l}`), "");
  if (unchanged.length) head.push(`Unchanged: ${unchanged.map((e) => e.env).join(", ")}.`, "");
  let body = `${head.join("\n")}\n`;
  const omitted: string[] = [];
  const compacted: string[] = [];
  const marker = (): string =>
    omitted.length || compacted.length
      ? `\n> ✂ Cut to stay within ${maxChars} characters: ${[compacted.length ? `attribute details of ${compacted.join(", ")}` : "", omitted.length ? `every detail of ${omitted.join(", ")}` : ""].filter(Boolean).join("; ")} left out. The full report is in the JSON output (\`envkit diff --format json\`).\n`
      : "";
  const reserve = 400 + changed.reduce((a, e) => a + e.env.length + 2, 0);
  for (const e of changed) {
    const full = section(e, false);
    if (body.length + full.length + reserve <= maxChars) {
      body += full;
      continue;
    }
    const compact = section(e, true);
    if (body.length + compact.length + reserve <= maxChars) {
      body += compact;
      compacted.push(e.env);
    } else {
      omitted.push(e.env);
    }
  }
  return fit(body + marker(), maxChars);
}

/** Hard guarantee of the cap, even for absurdly small limits. */
function fit(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const tail = "\n… (cut; see the JSON output)";
  return text.slice(0, Math.max(0, maxChars - tail.length)) + tail.slice(0, maxChars);
}
