import * as fs from "node:fs";
import { ConfigIssue, EnvkitError, visibleText } from "../../errors";
import { toMarkdown, GITHUB_COMMENT_LIMIT } from "../../review/markdown";
import { planToReport } from "../../review/plan";
import { ParsedTexts, RefSynthesizer, readJsonFile, readOutputDir } from "../../review/sources";
import { DiffReport, diffOutputs } from "../../review/stack-diff";
import { truncateAtSections } from "../../review/truncate";
import { CliIO, EXIT, UsageError } from "../io";
import { reviewMeta } from "../../review/meta";
import { writeFileAtomically } from "../../config/atomic-write";
import { fsIssue, isFsError } from "../../config/fs-issue";

export const DIFF_HELP = `Usage: envkit diff --base A --head B [--config DIR] [--format markdown|json] [--max-chars N] [--max-bytes N] [--json-out FILE] [--commit SHA] [--run-url URL]
       envkit diff --plan plan.json [--env NAME] [--format markdown|json] [--max-chars N] [--max-bytes N]

Per environment: resources created, updated (attribute level), replaced and destroyed, and
environments added or removed — offline, from synthesized output, without credentials.

A and B are synthesized output folders (cdktf.out layout) or git refs of the repository envkit
runs in. A ref is synthesized with that ref's own application, once per run (base and head on the
same commit are synthesized once):
  - when the ref has the application folder --config DIR (app.yaml + environments/), that folder
    is synthesized with this envkit: configuration is data, no code of the ref runs;
  - otherwise, when the ref has a cdktf.json (in the current folder), its "app" command runs in a
    temporary worktree with $CDKTF_OUTDIR set; the ref's dependencies are installed (npm ci) only
    when its package-lock.json differs from this checkout's, else this checkout's node_modules is
    linked.
A ref is synthesized for review: configuration errors stop the diff, guardrail findings do not
(envkit policy reports them). In a shallow clone, fetch the base first (git fetch --deepen=N or
--unshallow; actions/checkout: fetch-depth: 0).

Replacement is classified from envkit's knowledge of each resource type; destroying or replacing
anything that holds data gets a loud warning. Sensitive values are masked.

With --plan, renders the JSON of "terraform show -json <planfile>" the same way (Terraform's own
actions are used).

Markdown never exceeds --max-chars (default ${GITHUB_COMMENT_LIMIT}, GitHub's comment limit); when cut,
a marker says what was left out. --max-bytes N cuts the markdown further, only at a section
boundary (never inside a code block or a collapsed section), with a notice naming what was left
out. JSON is the complete report; --json-out FILE writes it too, from the same run.

The header names the commit (--commit, default $GITHUB_SHA), the refs and the CI run (--run-url,
default built from $GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID; https only).

Exit codes: 0 report printed, 1 unreadable input or a ref that cannot be synthesized, 2 usage.`;

/** Options of {@link diffCommand}, as given on the command line. */
export interface DiffOptions {
  readonly base?: string;
  readonly head?: string;
  readonly plan?: string;
  readonly format?: string;
  readonly maxChars?: string;
  readonly maxBytes?: string;
  readonly jsonOut?: string;
  /** Commit shown in the report's header. @default GITHUB_SHA */
  readonly commit?: string;
  /** CI run linked from the report's header. @default from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID */
  readonly runUrl?: string;
  readonly config?: string;
  readonly env?: string;
  /** Tests only: installs a ref's dependencies instead of npm. */
  readonly install?: (projectDir: string, hasLock: boolean) => void;
}

export function diffCommand(opts: DiffOptions, io: CliIO): number {
  const format = opts.format ?? "markdown";
  if (format !== "markdown" && format !== "json") throw new UsageError(`--format must be markdown or json (got "${format}")`);
  const maxChars = opts.maxChars === undefined ? GITHUB_COMMENT_LIMIT : Number(opts.maxChars);
  if (!Number.isInteger(maxChars) || maxChars < 200) throw new UsageError(`--max-chars must be an integer of at least 200 (got "${opts.maxChars}")`);
  const maxBytes = opts.maxBytes === undefined ? undefined : Number(opts.maxBytes);
  if (maxBytes !== undefined && (!/^\d+$/.test(opts.maxBytes!) || maxBytes < 200)) throw new UsageError(`--max-bytes must be an integer of at least 200 (got "${opts.maxBytes}")`);
  if (opts.jsonOut !== undefined && opts.jsonOut === "") throw new UsageError("--json-out needs a file name");
  let report: DiffReport;
  if (opts.plan) {
    if (opts.base || opts.head) throw new UsageError("--plan cannot be combined with --base/--head");
    if (!fs.existsSync(opts.plan)) throw new EnvkitError([{ file: opts.plan, path: "", message: 'does not exist; create it with "terraform show -json plan.out > plan.json"' }]);
    // A plan holds sensitive values: a parse error names the file and position, never its text.
    const issues: ConfigIssue[] = [];
    const plan = readJsonFile(opts.plan, issues);
    if (plan === undefined) throw new EnvkitError(issues);
    report = { ...planToReport(plan, opts.env ?? "plan", opts.plan), meta: reviewMeta({ commit: opts.commit, runUrl: opts.runUrl }) };
  } else {
    if (!opts.base || !opts.head) throw new UsageError("diff needs --base and --head (or --plan)");
    const refs = new RefSynthesizer({ configDir: opts.config, log: (s) => io.err(s), install: opts.install });
    try {
      // One parse of each text for both sides: an unchanged environment is read and checked once.
      const parsed: ParsedTexts = new Map();
      // Both sides are read before either's problems are reported, so all of them come at once.
      const problems: ConfigIssue[] = [];
      const load = (spec: string) => {
        try {
          return readOutputDir(fs.existsSync(spec) && fs.statSync(spec).isDirectory() ? spec : refs.synthesize(spec).dir, parsed);
        } catch (e) {
          if (!(e instanceof EnvkitError)) throw e;
          // Both sides at one commit fail alike: each problem is said once.
          for (const i of e.issues) if (!problems.includes(i)) problems.push(i);
          return undefined;
        }
      };
      const base = load(opts.base);
      const head = load(opts.head);
      if (!base || !head) throw new EnvkitError(problems);
      report = diffOutputs(base, head, reviewMeta({ commit: opts.commit, base: opts.base, head: opts.head, runUrl: opts.runUrl }));
    } finally {
      refs.dispose();
    }
  }
  // Whole or not at all: a full disk left a cut-off report where the previous good one was.
  if (opts.jsonOut !== undefined) {
    try {
      // The same bytes as --format json prints (unshowable characters as JSON's own escapes).
      writeFileAtomically(opts.jsonOut, visibleText(`${JSON.stringify(report, null, 2)}\n`));
    } catch (e) {
      if (!isFsError(e)) throw e;
      const full = e.code === "ENOSPC" || e.code === "EDQUOT";
      throw new EnvkitError([fsIssue(opts.jsonOut, e, "written", `a previous report there is unchanged; ${full ? "free space or choose another --json-out" : "choose another --json-out (in a folder that exists and is writable)"}, then run envkit diff again`)]);
    }
  }
  if (format === "json") {
    io.out(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  const md = toMarkdown(report, maxChars);
  io.out(maxBytes === undefined ? md : truncateAtSections(md, maxBytes, { fullReport: opts.jsonOut ? `${opts.jsonOut} (the JSON report)` : undefined }));
  return EXIT.ok;
}
