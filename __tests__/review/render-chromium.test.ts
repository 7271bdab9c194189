import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import MarkdownIt from "markdown-it";
import { compareMatrix, matrixMarkdown } from "../../lib/review/compare";
import { toMarkdown } from "../../lib/review/markdown";
import { planToReport } from "../../lib/review/plan";
import { diffOutputs } from "../../lib/review/stack-diff";
import { truncateAtSections } from "../../lib/review/truncate";
import { releaseHistory } from "../../lib/policy/history";
import { REFERENCE_APP, referenceEnvironments, synthJson } from "../helpers";

/*
 * Review markdown as a reader sees it: rendered by a GFM renderer (markdown-it: tables and
 * strikethrough built in; raw HTML on, as GitHub allows <details>) and loaded into headless
 * Chromium (Debian's `chromium`), whose DOM is checked by a script running in the page. Skipped
 * loudly without Chromium (.ci/run installs it best-effort).
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function findChromium(): string | undefined {
  for (const c of [process.env.CHROMIUM, "chromium", "chromium-browser", "google-chrome"]) {
    if (!c) continue;
    const r = spawnSync(c, ["--version"], { encoding: "utf8", timeout: 30_000 });
    if (r.status === 0) return c;
  }
  return undefined;
}

const CHROMIUM = findChromium();
if (!CHROMIUM) process.stderr.write("*** SKIPPED: render-chromium tests: no chromium on PATH (apt-get install chromium; or set CHROMIUM=/path/to/chrome) ***\n");
const maybe = CHROMIUM ? describe : describe.skip;

/** What the page script measures in one rendered report. */
interface PageFacts {
  emptyItems: string[];
  blockquotes: string[];
  tables: { header: number; rows: number[] }[];
  unrenderedTables: string[];
  preWithStructure: string[];
  detailsWithoutSummary: number;
  headingsInsideDetails: string[];
  strayMarkup: string[];
  mermaidBlocks: number;
  text: string;
}

/** Runs in Chromium: facts about each <article>, written into the page as JSON. */
const PAGE_SCRIPT = `
const out = {};
for (const a of document.querySelectorAll("article")) {
  const own = (li) => [...li.childNodes].filter((n) => !(n.nodeType === 1 && /^(UL|OL)$/.test(n.tagName))).map((n) => n.textContent).join("").trim();
  const outsideCode = (el) => !el.closest("pre, code");
  out[a.dataset.case] = {
    emptyItems: [...a.querySelectorAll("li")].filter((li) => own(li) === "").map((li) => li.outerHTML.slice(0, 200)),
    blockquotes: [...a.querySelectorAll("blockquote")].map((b) => b.textContent.trim()),
    tables: [...a.querySelectorAll("table")].map((t) => ({ header: t.querySelectorAll("thead th").length, rows: [...t.querySelectorAll("tbody tr")].map((r) => r.children.length) })),
    unrenderedTables: [...a.querySelectorAll("p")].filter((p) => /^\\|.*\\|$/m.test(p.textContent)).map((p) => p.textContent.slice(0, 120)),
    preWithStructure: [...a.querySelectorAll("pre")].filter((p) => /<\\/?details|^#{1,6} |^\\| .* \\|$/m.test(p.textContent)).map((p) => p.textContent.slice(0, 120)),
    detailsWithoutSummary: [...a.querySelectorAll("details")].filter((d) => !(d.firstElementChild && d.firstElementChild.tagName === "SUMMARY")).length,
    headingsInsideDetails: [...a.querySelectorAll("details h1, details h2, details h3")].map((h) => h.textContent),
    strayMarkup: [...a.querySelectorAll("p, li, td, summary")].filter(outsideCode).map((e) => [...e.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("")).filter((t) => /\\*\\*|\\]\\(|&lt;|&gt;/.test(t)),
    mermaidBlocks: a.querySelectorAll("pre code.language-mermaid").length,
    text: a.textContent,
  };
}
const pre = document.createElement("pre");
pre.id = "facts";
pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
`;

const md = new MarkdownIt({ html: true, linkify: false });

/** Renders every case in one page, loads it in Chromium, and returns the page's facts per case. */
function renderInChromium(cases: Record<string, string>): Record<string, PageFacts> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-render-"));
  const body = Object.entries(cases).map(([name, text]) => `<article data-case="${name}">\n${md.render(text)}\n</article>`).join("\n");
  const file = path.join(dir, "page.html");
  fs.writeFileSync(file, `<!doctype html><html><head><meta charset="utf-8"><title>envkit review</title></head><body>\n${body}\n<script>${PAGE_SCRIPT}</script></body></html>`);
  try {
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    const dom = execFileSync(CHROMIUM!, ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", `--user-data-dir=${path.join(dir, "profile")}`, "--dump-dom", `file://${file}`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    const m = /<pre id="facts">([\s\S]*?)<\/pre>/.exec(dom);
    if (!m) throw new Error("the page script did not run (no facts in the dumped DOM)");
    const json = m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
    return JSON.parse(json) as Record<string, PageFacts>;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Fence lines per kind must pair up: an odd count means a block runs to the end of the comment. */
function unclosedFences(markdown: string): number {
  let open: string | undefined;
  for (const line of markdown.split("\n")) {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (!f) continue;
    if (open === undefined) open = f[1];
    else if (f[1][0] === open[0] && f[1].length >= open.length && line.trim() === f[1]) open = undefined;
  }
  return open === undefined ? 0 : 1;
}

maybe("review markdown rendered by a GFM renderer in headless Chromium", () => {
  // The reference app, synthesized in memory; the head removes test and renames dev's db volume
  // (a replacement of something that holds data).
  const envs = referenceEnvironments();
  const stacks = synthJson(envs);
  const base = new Map([...stacks].map(([env, json]) => [env, { json }]));
  const headDev = JSON.parse(JSON.stringify(stacks.get("dev"))) as Json;
  const volumes = headDev.resource.docker_volume as Record<string, Json>;
  const dbVolume = Object.keys(volumes).find((k) => String(volumes[k].name).includes("db"))!;
  volumes[dbVolume].name = `${String(volumes[dbVolume].name)}-renamed`;
  const head = new Map([...base].filter(([env]) => env !== "test").map(([env, v]) => [env, env === "dev" ? { json: headDev } : v]));
  const dataLoss = toMarkdown(diffOutputs(base, head));
  const plan = toMarkdown(planToReport(JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "plan", "staging-plan.json"), "utf8")), "staging"));
  const golden = fs.readFileSync(path.join(__dirname, "..", "fixtures", "golden", "diff.md"), "utf8");
  const cut = truncateAtSections(dataLoss, Math.floor(Buffer.byteLength(dataLoss) / 2), { fullReport: "the envkit-review artifact" });
  const matrix = matrixMarkdown(compareMatrix(envs, releaseHistory(REFERENCE_APP)));
  const cases = { dataLoss, plan, golden, cut, matrix };
  // Known-bad markdown, rendered in the same page: each check must catch its defect.
  const broken = {
    emptyBullet: "- + create `docker_container.web`\n- ~ update `x`\n",
    openFence: "## a\n\n```text\nfindings\n\n<details>\n<summary>s</summary>\n\n## b\n",
    brokenTable: "| a | b |\n| c | d |\n",
    noSummary: "<details>\n\n## inside\n\n</details>\n",
    strayBold: "** not bold**\n",
  };
  // In beforeAll, not here: a skipped describe still runs its body to collect the tests.
  let facts: Record<string, PageFacts> = {};
  beforeAll(() => {
    facts = renderInChromium({ ...cases, ...broken });
  });

  it.each(Object.keys(cases))("%s: has no empty bullet (a list item with no text of its own)", (name) => {
    expect(facts[name].emptyItems).toEqual([]);
  });

  it.each(Object.keys(cases))("%s: closes every code fence (nothing after it is swallowed into a code block)", (name) => {
    expect(unclosedFences(cases[name as keyof typeof cases])).toBe(0);
    expect(facts[name].preWithStructure).toEqual([]);
  });

  it.each(Object.keys(cases))("%s: renders every table (no row left as text, every row as wide as its header)", (name) => {
    expect(facts[name].unrenderedTables).toEqual([]);
    for (const t of facts[name].tables) for (const r of t.rows) expect(r).toBe(t.header);
  });

  it.each(Object.keys(cases))("%s: every collapsed section has its summary and holds no section heading", (name) => {
    expect(facts[name].detailsWithoutSummary).toBe(0);
    expect(facts[name].headingsInsideDetails).toEqual([]);
  });

  it.each(Object.keys(cases))("%s: leaves no markdown or HTML unrendered in the text (**, ](, escaped tags)", (name) => {
    expect(facts[name].strayMarkup).toEqual([]);
  });

  it("finds each defect it checks for in known-bad markdown (the checks can fail)", () => {
    expect(facts.emptyBullet.emptyItems.length).toBeGreaterThan(0);
    expect(unclosedFences(broken.openFence)).toBe(1);
    expect(facts.openFence.preWithStructure.length).toBe(1);
    expect(facts.brokenTable.unrenderedTables.length).toBe(1);
    expect(facts.noSummary.detailsWithoutSummary).toBe(1);
    expect(facts.noSummary.headingsInsideDetails).toEqual(["inside"]);
    expect(facts.strayBold.strayMarkup.length).toBe(1);
  });

  it("dataLoss: shows the data-loss banner as a GitHub alert (marker first in the quote) naming the destroyed environment", () => {
    const caution = facts.dataLoss.blockquotes.find((b) => b.startsWith("[!CAUTION]"));
    expect(caution).toBeDefined();
    expect(caution).toMatch(/test/);
    expect(caution).toMatch(/-renamed|db-data|data/);
    expect(facts.dataLoss.tables.length).toBeGreaterThan(0);
  });

  it("golden: renders its summary table and its diagram as a mermaid block", () => {
    expect(facts.golden.tables[0].header).toBeGreaterThanOrEqual(6);
    expect(facts.golden.mermaidBlocks).toBe((golden.match(/^```mermaid$/gm) ?? []).length);
    expect(facts.golden.blockquotes.some((b) => b.startsWith("[!CAUTION]"))).toBe(true);
  });

  it("cut: the report cut at half its size keeps the banner and ends with the cut notice", () => {
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(Math.floor(Buffer.byteLength(dataLoss) / 2));
    expect(facts.cut.blockquotes.some((b) => b.startsWith("[!CAUTION]"))).toBe(true);
    expect(facts.cut.blockquotes.some((b) => b.startsWith("[!NOTE]") && b.includes("Cut at a section boundary"))).toBe(true);
  });

  it("matrix: renders one table column per environment", () => {
    expect(facts.matrix.tables[0].header).toBe(envs.length + 1);
    expect(facts.matrix.text).toContain("kubernetes");
  });
});
