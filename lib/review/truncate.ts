/**
 * Cutting a markdown document to a byte budget without breaking it: only at section boundaries
 * (a heading or a `<details>` block that starts outside any code fence, `<details>` block or
 * blockquote), so a fence, a collapsible section or a table is never left open. The budget is in
 * UTF-8 bytes: a byte budget also bounds characters, so it holds whichever GitHub's 65,536 counts.
 */
import { visibleText } from "../errors";

/** Where a section may be cut, and the heading (or summary) that starts it. */
interface Boundary {
  /** Character offset of the line start. */
  readonly at: number;
  readonly title: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^#{1,6}\s+(.*)$/;
const DETAILS_OPEN = /<details\b/gi;
const DETAILS_CLOSE = /<\/details\s*>/gi;

/** Section starts of a markdown document, in order (the first line is never one: nothing before it). */
export function sectionBoundaries(markdown: string): Boundary[] {
  const out: Boundary[] = [];
  let fence: string | undefined;
  let details = 0;
  let at = 0;
  for (const line of markdown.split("\n")) {
    const start = at;
    at += line.length + 1;
    const f = FENCE.exec(line);
    if (fence !== undefined) {
      // A fence closes with the same character, at least as long, and nothing after it.
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && line.trim() === f[1]) fence = undefined;
      continue;
    }
    if (f) {
      // A fence is not a boundary of its own: it belongs to the heading or text before it.
      fence = f[1];
      continue;
    }
    const opens = (line.match(DETAILS_OPEN) ?? []).length;
    const closes = (line.match(DETAILS_CLOSE) ?? []).length;
    if (details === 0 && start > 0) {
      const h = HEADING.exec(line);
      if (h) out.push({ at: start, title: h[1].replace(/[`*_]/g, "").trim() });
      else if (opens > 0) out.push({ at: start, title: summaryOf(markdown, start) });
    }
    details = Math.max(0, details + opens - closes);
  }
  return out;
}

/** The `<summary>` text of the `<details>` block at `at` (first 80 characters), for the cut notice. */
function summaryOf(markdown: string, at: number): string {
  const m = /<summary>([\s\S]*?)<\/summary>/i.exec(markdown.slice(at, at + 2000));
  const text = (m?.[1] ?? "a collapsed section").replace(/<[^>]*>/g, "").trim();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

/** Options of {@link truncateAtSections}. */
export interface TruncateOptions {
  /** Where the complete report is, for the notice. @default "the JSON output (envkit diff --format json)" */
  readonly fullReport?: string;
}

/**
 * Returns `markdown` unchanged when it fits in `maxBytes` (UTF-8); otherwise the longest prefix
 * that ends at a section boundary, followed by a notice naming the sections left out. The result
 * never exceeds `maxBytes`; when not even the first section fits, it is the notice alone (cut to
 * the budget). It is measured and returned as printed, its unshowable characters escaped
 * ({@link visibleText}): an escape is longer than the character, and the CLI prints escapes.
 */
export function truncateAtSections(text: string, maxBytes: number, opts: TruncateOptions = {}): string {
  const markdown = visibleText(text);
  if (bytes(markdown) <= maxBytes) return markdown;
  const where = opts.fullReport ?? "the JSON output (`envkit diff --format json`)";
  const notice = (left: readonly Boundary[]): string => {
    const names = left.map((b) => b.title);
    let list = names.join("; ");
    if (list.length > 600) list = `${names.slice(0, 8).join("; ")}; and ${names.length - 8} more`;
    return `\n> [!NOTE]\n> ✂ Cut at a section boundary to stay within ${maxBytes} bytes; ${left.length} section(s) left out${list ? `: ${list}` : ""}. The complete report is in ${where}.\n`;
  };
  const boundaries = sectionBoundaries(markdown);
  for (let i = boundaries.length - 1; i >= 0; i--) {
    const head = markdown.slice(0, boundaries[i].at).replace(/\n+$/, "\n");
    const text = head + notice(boundaries.slice(i));
    if (bytes(text) <= maxBytes) return text;
  }
  const alone = notice([{ at: 0, title: "the whole report" }]).trimStart();
  if (bytes(alone) <= maxBytes) return alone;
  // An absurdly small budget: a plain line cut by characters (no markdown structure to break).
  let cut = `✂ Cut; see ${where}.`;
  while (bytes(cut) > maxBytes) cut = cut.slice(0, -1);
  return cut;
}
