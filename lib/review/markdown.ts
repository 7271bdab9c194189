import { changedMermaid } from "./graph";
import { codeSpan, escapeMd } from "./md-text";
import { visibleText } from "../errors";

export { codeSpan, escapeMd } from "./md-text";
import { AttributeChange, DiffReport, EnvironmentChange, LineHunk, ResourceChange, ReviewMeta, SettingChange, counts, summarize } from "./stack-diff";

/** GitHub's limit for one comment body. */
export const GITHUB_COMMENT_LIMIT = 65536;

/*
 * Consequences, failures and banners are markdown written by envkit (lib/review/consequences.ts,
 * settings-diff.ts), with every value from a stack in a code span (md-text.ts).
 * GitHub-safe by construction: no line starts with a list marker after a bullet ("- + create"
 * renders as an empty nested bullet), text from stacks is escaped (GFM inline syntax, HTML) or put
 * in code spans whose fence is longer than any backtick run inside, and fenced blocks are only
 * ever cut whole.
 */

const SYMBOL: Record<ResourceChange["action"], string> = { create: "+", update: "~", replace: "±", delete: "−", move: "→" };

const MAX_VALUE = 200;
const value = (v: string | undefined): string => (v === undefined ? "_(none)_" : codeSpan(v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 3)}...` : v));

/** A fenced block whose fence no line inside can close. */
function fenced(lang: string, body: readonly string[], indent: string): string[] {
  const longest = Math.max(2, ...body.map((l) => (l.match(/`+/g) ?? []).reduce((m, r) => Math.max(m, r.length), 0)));
  const fence = "`".repeat(longest + 1);
  return [`${indent}${fence}${lang}`, ...body.map((l) => `${indent}${l.replace(/\r?\n/g, " ")}`), `${indent}${fence}`];
}

const SEVERITY_ICON: Record<SettingChange["severity"], string> = { caution: "⚠", warning: "⚠", note: "ℹ" };

function settingLine(s: SettingChange): string[] {
  const lines = [`- ${SEVERITY_ICON[s.severity]} ${codeSpan(s.address)} ${s.action === "create" ? "added" : s.action === "delete" ? "removed" : "changed"}${s.banner ? `: **${s.banner}**` : ""}`];
  for (const a of s.attributes) lines.push(...attributeLines(a, false));
  return lines;
}

function attributeLines(a: AttributeChange, compactNotes: boolean): string[] {
  const note = a.forcesReplacement ? " _(forces replacement)_" : a.notApplied ? " _(planned in place, never applied)_" : "";
  if (a.element) {
    const head = `  - ${codeSpan(a.path)} ${a.element === "added" ? "added" : "removed"}${note}`;
    const v = a.element === "added" ? a.after : a.before;
    return v === undefined || compactNotes ? [head] : [head, "", ...fenced("diff", [`${a.element === "added" ? "+" : "-"} ${v}`], "    "), ""];
  }
  if (a.added || a.removed) {
    const body = [...(a.removed ?? []).map((x) => `- ${x}`), ...(a.added ?? []).map((x) => `+ ${x}`)];
    return [`  - ${codeSpan(a.path)}: ${body.length} element(s) changed${note}`, "", ...fenced("diff", body, "    "), ""];
  }
  if (a.lines) {
    const { hunks, more } = a.lines;
    // Where, in old line numbers: "line 12", "lines 12–14", up to five places, then a count.
    const span = (h: LineHunk): string => (h.removed.length > 1 ? `${h.line}–${h.line + h.removed.length - 1}` : String(h.line));
    const places = hunks.slice(0, 5).map(span);
    const single = hunks.length === 1 && hunks[0].removed.length <= 1;
    const where = `${single ? "line" : "lines"} ${places.join(", ")}${hunks.length > 5 ? ` and ${hunks.length - 5} more place(s)` : ""}`;
    const body = [
      ...hunks.flatMap((h) => [...(hunks.length > 1 ? [`@@ line ${h.line} @@`] : []), ...h.removed.map((x) => `- ${x}`), ...h.added.map((x) => `+ ${x}`)]),
      ...(more ? [`… ${more} more changed line(s): the JSON report has both values whole`] : []),
    ];
    return [`  - ${codeSpan(a.path)}: ${where} changed${note}`, "", ...fenced("diff", body, "    "), ""];
  }
  return [`  - ${codeSpan(a.path)}: ${value(a.before)} → ${value(a.after)}${note}`];
}

function resourceLines(r: ResourceChange, compact: boolean): string[] {
  const tags = [r.dataLoss ? "**⚠ data loss**" : "", r.failures?.length ? "**⛔ apply will fail**" : "", r.unknownType ? "_(replacement rules unknown for this type)_" : "", r.drift ? "_(changed outside Terraform)_" : ""].filter(Boolean).join(" ");
  const lines = [`- ${codeSpan(SYMBOL[r.action])} ${r.action} ${codeSpan(r.address)}${r.name ? ` (${escapeMd(r.name)})` : ""}${r.movedFrom ? ` moved from ${codeSpan(r.movedFrom)}` : ""}${tags ? ` ${tags}` : ""}`];
  for (const f of r.failures ?? []) lines.push(`  - ⛔ ${f}`);
  if (compact) return lines;
  for (const c of r.consequences ?? []) lines.push(`  - ↳ ${c}`);
  if (r.action === "create" || r.action === "delete") return lines;
  for (const a of r.attributes) lines.push(...attributeLines(a, false));
  return lines;
}

function cautionLines(report: DiffReport): string[] {
  const lines: string[] = [];
  for (const e of report.environments) {
    const env = escapeMd(e.env);
    const lost = e.changes.filter((c) => c.dataLoss);
    if (e.status === "removed") {
      lines.push(`- **${env}: the whole environment is destroyed** (${e.changes.length} resources)${lost.length ? `, including ${lost.length} that hold data: ${lost.map((c) => codeSpan(c.name ?? c.address)).join(", ")}` : ""}.`);
    } else if (lost.length) {
      lines.push(`- **${env}:** ${lost.map((c) => `${c.action === "delete" ? "destroys" : "replaces"} ${codeSpan(c.name ?? c.address)} (${codeSpan(c.type)})`).join("; ")}: data loss.`);
    }
    for (const c of e.changes) for (const f of c.failures ?? []) lines.push(`- **${env}:** ${codeSpan(c.name ?? c.address)}: ${f}.`);
    for (const s of e.settings ?? []) if (s.severity === "caution" && s.banner) lines.push(`- **${env}:** ${codeSpan(s.address)} ${s.banner}.`);
  }
  return lines;
}

/** The header line: commit, refs and CI run, when known. */
function metaLine(meta: ReviewMeta | undefined): string[] {
  if (!meta) return [];
  const parts: string[] = [];
  if (meta.commit) parts.push(`commit ${codeSpan(meta.commit.slice(0, 12))}`);
  if (meta.base || meta.head) parts.push(`${codeSpan(meta.base ?? "?")} → ${codeSpan(meta.head ?? "?")}`);
  if (meta.runUrl && /^https:\/\/[^\s()<>]+$/.test(meta.runUrl)) parts.push(`[CI run](${meta.runUrl})`);
  return parts.length ? [parts.join(" · "), ""] : [];
}

/** The `<details>` section of one environment; `compact` drops attribute lines. */
function section(e: EnvironmentChange, compact: boolean): string {
  const c = counts(e);
  const head = `${e.env}${e.target ? ` (${e.target})` : ""}: ${e.status === "removed" ? "environment removed, " : e.status === "added" ? "new environment, " : ""}${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to destroy${c.move ? `, ${c.move} to move` : ""}${e.settings?.length ? `, ${e.settings.length} setting(s) changed` : ""}`;
  const html = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const lines = ["<details>", `<summary>${html(head)}</summary>`, ""];
  if (e.settings?.length) {
    lines.push("**Settings**", "");
    for (const s of e.settings) lines.push(...settingLine(s));
    lines.push("");
  }
  if (e.changes.length) {
    if (e.settings?.length) lines.push("**Resources**", "");
    for (const r of e.changes) lines.push(...resourceLines(r, compact));
  }
  if (e.drift?.length) {
    lines.push("", "**Changed outside Terraform** (found by refreshing; the plan above already accounts for it)", "");
    for (const r of e.drift) lines.push(...resourceLines(r, compact));
  }
  lines.push("", "</details>", "");
  return lines.join("\n");
}

/** One diagram for every environment whose connections changed the same way. */
function diagrams(report: DiffReport): string {
  const groups = new Map<string, EnvironmentChange[]>();
  for (const e of report.environments) {
    if (!e.connectionsChanged || !e.model) continue;
    const key = JSON.stringify([e.model.services.map((s) => s.name), e.model.connections, e.edgesAdded, e.edgesRemoved]);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const out: string[] = [];
  for (const envs of groups.values()) {
    const e = envs[0];
    out.push("", `Service connections after this change (${envs.map((x) => escapeMd(x.env)).join(", ")}; new connections thick, removed ones dashed):`, "", ...fenced("mermaid", changedMermaid(e.model!, e.edgesAdded ?? [], e.edgesRemoved ?? []).split("\n"), ""), "");
  }
  return out.join("\n");
}

/**
 * The pull-request comment: header (commit, refs, CI run), a summary table across environments,
 * then cautions (data loss, applies that will fail, state that moves, another cluster), one
 * collapsible section per changed environment (unchanged ones on one line), and one connection
 * diagram. Never longer than `maxChars`: when cut, whole sections are left out and a marker names
 * them and points to the JSON output.
 */
export function toMarkdown(report: DiffReport, maxChars = GITHUB_COMMENT_LIMIT): string {
  const changed = report.environments.filter((e) => e.status !== "unchanged");
  const unchanged = report.environments.filter((e) => e.status === "unchanged");
  const head: string[] = ["## envkit plan review", "", ...metaLine(report.meta)];
  if (changed.length === 0) {
    head.push(`No changes in ${report.environments.length} environment(s): ${report.environments.map((e) => escapeMd(e.env)).join(", ") || "none"}.`);
    return fit(visibleText(head.join("\n")), maxChars);
  }
  const summary = report.summary ?? summarize(report.environments);
  const moveCol = summary.counts.move > 0;
  head.push(`| environment | status | + create | ~ update | ± replace | − destroy |${moveCol ? " → move |" : ""} settings |`, `|---|---|---:|---:|---:|---:|${moveCol ? "---:|" : ""}---:|`);
  for (const e of report.environments) {
    const c = counts(e);
    head.push(`| ${escapeMd(e.env)} | ${e.status} | ${c.create} | ${c.update} | ${c.replace} | ${c.delete} |${moveCol ? ` ${c.move} |` : ""} ${e.settings?.length ?? 0} |`);
  }
  head.push("");
  const cautions = cautionLines(report);
  if (cautions.length) head.push("> [!CAUTION]", "> **Read before merging.** These changes lose data, fail at apply, or move state or the target:", ...cautions.map((l) => `> ${l}`), "");
  if (unchanged.length) head.push(`Unchanged: ${unchanged.map((e) => escapeMd(e.env)).join(", ")}.`, "");
  // Measured as printed: every part with its unshowable characters escaped (an escape is up to 12
  // characters for one), or a stack full of them would push the comment past the cap.
  let body = visibleText(`${head.join("\n")}\n`);
  const omitted: string[] = [];
  const compacted: string[] = [];
  const marker = (): string =>
    omitted.length || compacted.length
      ? `\n> ✂ Cut to stay within ${maxChars} characters: ${[compacted.length ? `attribute details of ${compacted.join(", ")}` : "", omitted.length ? `every detail of ${omitted.join(", ")}` : ""].filter(Boolean).join("; ")} left out. The full report is in the JSON output (\`envkit diff --format json\`).\n`
      : "";
  const graph = visibleText(diagrams(report));
  const reserve = 400 + changed.reduce((a, e) => a + e.env.length + 2, 0);
  for (const e of changed) {
    const full = visibleText(section(e, false));
    if (body.length + full.length + reserve + graph.length <= maxChars) {
      body += full;
      continue;
    }
    const compact = visibleText(section(e, true));
    if (body.length + compact.length + reserve + graph.length <= maxChars) {
      body += compact;
      compacted.push(escapeMd(e.env));
    } else {
      omitted.push(escapeMd(e.env));
    }
  }
  if (graph && body.length + graph.length + reserve <= maxChars) body += graph;
  return fit(body + visibleText(marker()), maxChars);
}

/** Hard guarantee of the cap, even for absurdly small limits: cut at a line, never inside a fence. */
function fit(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const tail = "\n… (cut; see the JSON output)";
  const budget = Math.max(0, maxChars - tail.length);
  let kept = 0;
  let open = false;
  let pos = 0;
  for (const line of text.split("\n")) {
    const end = pos + line.length;
    if (end > budget) break;
    if (/^\s*```/.test(line)) open = !open;
    if (!open) kept = end;
    pos = end + 1;
  }
  return (text.slice(0, kept) + tail).slice(0, maxChars);
}
