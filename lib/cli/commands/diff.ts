import * as fs from "node:fs";
import { ConfigIssue, EnvkitError } from "../../errors";
import { toMarkdown, GITHUB_COMMENT_LIMIT } from "../../review/markdown";
import { planToReport } from "../../review/plan";
import { readJsonFile, readOutputDir, synthesizeRef } from "../../review/sources";
import { DiffReport, diffOutputs } from "../../review/stack-diff";
import { CliIO, EXIT, UsageError } from "../io";

export const DIFF_HELP = `Usage: envkit diff --base A --head B [--format markdown|json] [--max-chars N] [--config DIR]
       envkit diff --plan plan.json [--env NAME] [--format markdown|json] [--max-chars N]

Per environment: resources created, updated (attribute level), replaced and destroyed, and
environments added or removed — offline, from synthesized output, without credentials.
A and B are synthesized output folders (cdktf.out layout) or git refs; a ref is synthesized in a
temporary worktree with that ref's own code and the application folder --config (default
examples/reference-app). Replacement is classified from envkit's knowledge of each resource type;
destroying or replacing anything that holds data gets a loud warning. Sensitive values are masked.

With --plan, renders the JSON of "terraform show -json <planfile>" the same way (Terraform's own
actions are used).

Markdown never exceeds --max-chars (default ${GITHUB_COMMENT_LIMIT}, GitHub's comment limit); when cut,
a marker says what was left out. JSON is the complete report.

Exit codes: 0 report printed, 1 unreadable input, 2 usage.`;

export function diffCommand(opts: { base?: string; head?: string; plan?: string; format?: string; maxChars?: string; config?: string; env?: string }, io: CliIO): number {
  const format = opts.format ?? "markdown";
  if (format !== "markdown" && format !== "json") throw new UsageError(`--format must be markdown or json (got "${format}")`);
  const maxChars = opts.maxChars === undefined ? GITHUB_COMMENT_LIMIT : Number(opts.maxChars);
  if (!Number.isInteger(maxChars) || maxChars < 200) throw new UsageError(`--max-chars must be an integer of at least 200 (got "${opts.maxChars}")`);
  let report: DiffReport;
  if (opts.plan) {
    if (opts.base || opts.head) throw new UsageError("--plan cannot be combined with --base/--head");
    if (!fs.existsSync(opts.plan)) throw new EnvkitError([{ file: opts.plan, path: "", message: 'does not exist; create it with "terraform show -json plan.out > plan.json"' }]);
    // A plan holds sensitive values: a parse error names the file and position, never its text.
    const issues: ConfigIssue[] = [];
    const plan = readJsonFile(opts.plan, issues);
    if (plan === undefined) throw new EnvkitError(issues);
    report = planToReport(plan, opts.env ?? "plan", opts.plan);
  } else {
    if (!opts.base || !opts.head) throw new UsageError("diff needs --base and --head (or --plan)");
    const cleanups: (() => void)[] = [];
    try {
      const load = (spec: string) => {
        if (fs.existsSync(spec) && fs.statSync(spec).isDirectory()) return readOutputDir(spec);
        const r = synthesizeRef(spec, opts.config ?? "examples/reference-app", (s) => io.err(s));
        cleanups.push(r.cleanup);
        return readOutputDir(r.dir);
      };
      report = diffOutputs(load(opts.base), load(opts.head));
    } finally {
      for (const c of cleanups) c();
    }
  }
  io.out(format === "json" ? JSON.stringify(report, null, 2) : toMarkdown(report, maxChars));
  return EXIT.ok;
}
