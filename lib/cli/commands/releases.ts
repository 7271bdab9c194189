import * as fs from "node:fs";
import { formatIssue, sortIssues, visibleLine } from "../../errors";
import { configErrors, validateDir } from "../../pipeline";
import { gitHead } from "../../policy/history";
import { RecordedRelease, readReleaseRecord, recordReleases } from "../../policy/release-record";
import { CliIO, EXIT, UsageError } from "../io";
import { isCalendarDate } from "../../model/calendar-date";
import { fsIssue, isFsError } from "../../config/fs-issue";
import { readConfigDir } from "../../config/load";
import { unknownEnvironments } from "./promote";

export const RELEASES_HELP = `Usage: envkit releases record --config DIR --env NAME [--commit SHA]
       envkit releases list --config DIR [--env NAME] [--format text|json]

The release record, DIR/releases.yaml, lists the releases that ran in each environment. Guardrail
ENVK-REL-001 accepts a release for an environment with "promotion.from: NAME" when NAME pins it
now, the record says NAME ran it, or git history shows NAME pinned it. The record needs no git
history, so shallow clones (CI's default checkout) and "git archive" copies validate too.

  record  appends the releases NAME pins now (run it in the deploy pipeline after a successful
          apply of NAME, then commit DIR/releases.yaml). Each entry gets today's date (UTC, or
          ENVKIT_TODAY) and the deployed commit: --commit SHA, else the checkout's HEAD when DIR is
          in a git checkout. Releases already recorded for NAME add nothing. Comments and layout
          of the file are kept; it is replaced atomically. Mutable releases ("latest", no tag)
          are refused, and nothing is written.
  list    prints the record (every environment, or only NAME).

Exit codes: 0 done (also when there was nothing new to record), 1 invalid config or record, 2 usage.`;

const COMMIT_RE = /^[0-9a-f]{7,64}$/;

function today(): string {
  return process.env.ENVKIT_TODAY ?? new Date().toISOString().slice(0, 10);
}

function printIssues(issues: Parameters<typeof sortIssues>[0], io: CliIO): number {
  for (const i of sortIssues(issues)) io.err(formatIssue(i));
  return EXIT.invalid;
}

function record(opts: { config: string; env?: string; commit?: string }, io: CliIO): number {
  if (!opts.env) throw new UsageError("releases record needs --env NAME (the environment that was just deployed)");
  if (opts.commit !== undefined && !COMMIT_RE.test(opts.commit)) throw new UsageError(`--commit must be a git commit id of 7 to 64 lowercase hex digits (got "${opts.commit}")`);
  const date = today();
  // An environment variable is input like the files (exit 1, as validate says it), not command-line usage.
  if (!isCalendarDate(date)) return printIssues([{ path: "ENVKIT_TODAY", message: `must be a real date "YYYY-MM-DD" (got ${JSON.stringify(date)}); the record's date is taken from it` }], io);
  // Only configuration errors stop a record: the deploy already happened, guardrails judged it before.
  const project = validateDir(opts.config, opts.env);
  const errors = configErrors(project);
  const env = project.environments.find((e) => e.model.name === opts.env);
  if (errors.length || !env) return printIssues(errors.length ? errors : [{ file: opts.config, path: "", message: `environment "${opts.env}" could not be resolved` }], io);
  const pins = env.model.services.map((s) => ({ service: s.name, release: s.version, ...env.provenance.locate(["release", s.name]) }));
  let recorded: ReturnType<typeof recordReleases>;
  try {
    recorded = recordReleases(opts.config, env.model.name, pins, { date, commit: opts.commit ?? gitHead(opts.config) });
  } catch (e) {
    // A full disk or a read-only folder: the record keeps its old content (the write is atomic).
    if (!isFsError(e)) throw e;
    return printIssues([fsIssue(e.path, e, "written", "it still holds its old content; check the folder's permissions and free space, then run envkit releases record again")], io);
  }
  const { file, added } = recorded;
  if (added.length === 0) {
    io.out(`nothing to record: ${file} already lists the ${pins.length} release(s) "${env.model.name}" runs`);
    return EXIT.ok;
  }
  io.out([`recorded in ${file}:`, ...added.map((a) => `  ${a.env} ${a.service} "${a.release}" (${a.recorded}${a.commit ? `, commit ${a.commit.slice(0, 12)}` : ""})`)].join("\n"));
  return EXIT.ok;
}

function list(opts: { config: string; env?: string; format?: string }, io: CliIO): number {
  const format = opts.format ?? "text";
  if (format !== "text" && format !== "json") throw new UsageError(`--format must be text or json (got "${format}")`);
  if (!fs.existsSync(opts.config) || !fs.statSync(opts.config).isDirectory()) {
    return printIssues([{ file: opts.config, path: "", message: "is not a folder; --config must name an application folder holding app.yaml and environments/<env>.yaml" }], io);
  }
  const loaded = readReleaseRecord(opts.config);
  if (loaded.issues.length) return printIssues(loaded.issues, io);
  const all = loaded.record?.environments ?? {};
  if (opts.env !== undefined && !Object.hasOwn(all, opts.env)) {
    // Not recorded: fine for an environment of the application (nothing deployed yet), a mistake otherwise.
    const read = readConfigDir(opts.config);
    const unknown = read.source ? unknownEnvironments(opts.config, { source: read.source, issues: read.issues }, [opts.env]) : [];
    if (unknown.length) return printIssues(unknown, io);
  }
  const envs = Object.keys(all).filter((e) => !opts.env || e === opts.env).sort();
  if (format === "json") {
    io.out(JSON.stringify({ file: loaded.file, environments: Object.fromEntries(envs.map((e) => [e, all[e]])) }, null, 2));
    return EXIT.ok;
  }
  if (!loaded.exists) {
    io.out(`no release record: ${loaded.file} does not exist; "envkit releases record --config ${opts.config} --env NAME" creates it after a deploy of NAME`);
    return EXIT.ok;
  }
  // Cells as printed (escapes included), so the columns line up.
  const rows = envs.flatMap((e) => Object.keys(all[e]).sort().flatMap((svc) => all[e][svc].map((r: RecordedRelease) => [e, svc, r.release, r.recorded, r.commit?.slice(0, 12) ?? "-"].map(visibleLine))));
  if (rows.length === 0) {
    io.out(`${loaded.file} records no release${opts.env ? ` for "${opts.env}"` : ""}`);
    return EXIT.ok;
  }
  const header = ["environment", "service", "release", "recorded", "commit"];
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  io.out([header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width[i]))).join("  ")).join("\n"));
  return EXIT.ok;
}

/** `envkit releases record|list`: maintains and shows the release record of an application folder. */
export function releasesCommand(opts: { action?: string; config: string; env?: string; commit?: string; format?: string }, io: CliIO): number {
  if (opts.action === "record") {
    if (opts.format !== undefined) throw new UsageError("--format applies to releases list only");
    return record(opts, io);
  }
  if (opts.action === "list") {
    if (opts.commit !== undefined) throw new UsageError("--commit applies to releases record only");
    return list(opts, io);
  }
  throw new UsageError(opts.action ? `unknown action "${opts.action}"; use record or list` : "releases needs an action: record or list");
}
