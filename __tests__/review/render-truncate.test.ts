import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { sectionBoundaries, truncateAtSections } from "../../lib/review/truncate";

/*
 * Cutting a review to a byte budget only at section boundaries: the old workflow sliced the body
 * at 65,400 characters, which could end inside a code fence or a <details> block and swallow the
 * rest of the comment (and split a multi-byte character).
 */

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const parser = new MarkdownIt({ html: true });

/**
 * Whether a fence is left open, and the <details> depth at the end — judged by markdown-it (a
 * CommonMark parser, independent of truncate.ts's own line scan): an unclosed fence runs to the
 * end of the document without a closing marker line; <details> are counted outside fences.
 */
function structure(md: string): { openFence: boolean; details: number } {
  const lines = md.split("\n");
  let openFence = false;
  const inFence = new Set<number>();
  for (const t of parser.parse(md, {})) {
    if (t.type !== "fence" || !t.map) continue;
    for (let n = t.map[0]; n < t.map[1]; n++) inFence.add(n);
    const last = (lines[t.map[1] - 1] ?? "").trim();
    const closes = t.map[1] - t.map[0] > 1 && new RegExp(`^\\${t.markup[0]}{${t.markup.length},}$`).test(last);
    if (!closes) openFence = true;
  }
  let details = 0;
  lines.forEach((line, n) => {
    if (!inFence.has(n)) details += (line.match(/<details\b/g) ?? []).length - (line.match(/<\/details>/g) ?? []).length;
  });
  return { openFence, details };
}

const DOC = [
  "## envkit plan review",
  "",
  "| a | b |",
  "|---|---|",
  "| 1 | 2 |",
  "",
  "<details>",
  "<summary>staging: 1 to update</summary>",
  "",
  "## not a boundary (inside details)",
  "- ~ update `x`",
  "",
  "</details>",
  "",
  "```mermaid",
  "## not a boundary (inside a fence)",
  "flowchart LR",
  "```",
  "",
  "### Guardrails",
  "",
  "````text",
  "``` a fence inside a longer fence",
  "## still inside",
  "finding ".repeat(60),
  "````",
  "",
].join("\n");

describe("truncateAtSections", () => {
  it("the oracle itself sees an open fence and an open <details> (so the property can fail)", () => {
    expect(structure("## a\n```\ncode\n")).toEqual({ openFence: true, details: 0 });
    expect(structure("## a\n````\ncode\n```\n")).toEqual({ openFence: true, details: 0 });
    expect(structure("## a\n```\ncode\n```\n<details>\n")).toEqual({ openFence: false, details: 1 });
    expect(structure("```\n<details>\n```\n")).toEqual({ openFence: false, details: 0 });
  });

  it("returns a report that fits unchanged", () => {
    expect(truncateAtSections(DOC, bytes(DOC))).toBe(DOC);
  });

  it("never treats a heading inside a code fence or a <details> block as a boundary", () => {
    expect(sectionBoundaries(DOC).map((b) => b.title)).toEqual(["staging: 1 to update", "Guardrails"]);
  });

  it("cuts before the section that does not fit and names what was left out", () => {
    const budget = DOC.indexOf("### Guardrails") + 260;
    expect(bytes(DOC)).toBeGreaterThan(budget);
    const cut = truncateAtSections(DOC, budget, { fullReport: "the artifact" });
    expect(bytes(cut)).toBeLessThanOrEqual(budget);
    expect(cut).toContain("```mermaid");
    expect(cut).not.toContain("### Guardrails");
    expect(cut).toMatch(/1 section\(s\) left out: Guardrails\. The complete report is in the artifact\./);
    expect(structure(cut)).toEqual({ openFence: false, details: 0 });
  });

  it("counts bytes, not characters (a budget in characters would overflow with non-ASCII text)", () => {
    const wide = `## a\n\n${"é".repeat(300)}\n\n## b\n\n${"é".repeat(300)}\n`;
    const cut = truncateAtSections(wide, 900);
    expect(bytes(cut)).toBeLessThanOrEqual(900);
    expect(cut).toContain("section(s) left out: b");
  });

  it("falls back to the notice alone when not even the first section fits, still within the budget", () => {
    const cut = truncateAtSections(`## a\n\n${"x".repeat(5000)}\n`, 400);
    expect(bytes(cut)).toBeLessThanOrEqual(400);
    expect(cut).toContain("Cut at a section boundary");
    expect(truncateAtSections("x".repeat(5000), 10).length).toBeLessThanOrEqual(10);
  });

  it("property: any document of sections with fences and details, cut to any budget, fits and leaves nothing open", () => {
    const block = fc.oneof(
      fc.string({ maxLength: 80 }).map((t) => `## ${t.replace(/\n/g, " ")}\n\ntext ${t}\n`),
      fc.string({ maxLength: 200 }).map((t) => `\`\`\`text\n${t.replace(/`{3,}/g, "``")}\n## fake\n\`\`\`\n`),
      fc.string({ maxLength: 200 }).map((t) => `<details>\n<summary>s</summary>\n\n## fake\n${t.replace(/<\/?details/g, "")}\n\n</details>\n`),
      fc.constant("| a | b |\n|---|---|\n| 1 | 2 |\n"),
    );
    fc.assert(
      fc.property(fc.array(block, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 3000 }), (blocks, budget) => {
        const doc = `# title\n\n${blocks.join("\n")}`;
        const cut = truncateAtSections(doc, budget);
        expect(bytes(cut)).toBeLessThanOrEqual(Math.max(budget, bytes(doc) <= budget ? bytes(doc) : 0));
        const s = structure(cut);
        expect(s.openFence).toBe(false);
        expect(s.details).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
