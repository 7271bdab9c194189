import * as fs from "node:fs";
import * as path from "node:path";
import type { Node, Pair, Scalar, YAMLMap } from "yaml";
import { yamlPackage } from "../../config/yaml-package";
import { fsIssue, isFsError, loadConfigDir, readConfigDir, readConfigFile } from "../../config/load";
import { ConfigSource, ResolvedEnvironment } from "../../config/resolve";
import { didYouMean } from "../../config/suggest";
import { lineAt, parseYaml } from "../../config/yaml-source";
import { ConfigIssue, EnvkitError, formatIssue, sortIssues } from "../../errors";
import { PromotionHistory, releaseHistory } from "../../policy/history";
import { soakMs } from "../../policy/promotion";
import { writeFileAtomically } from "../../config/atomic-write";
import { SlotName, idleSlot, serviceReleases } from "../../model/environment";
import { isCalendarDate } from "../../model/calendar-date";
import { monitoringSetNames } from "../../targets/registry";
import { CliIO, EXIT, UsageError } from "../io";

export const PROMOTE_HELP = `Usage: envkit promote --config DIR --from SOURCE --to TARGET [SERVICE…] [--dry-run]
                      [--format text|markdown|json] [--force-unrecorded]

Copies the release (tag@digest) each named service runs in SOURCE (every service of the
application by default) into the release: map of environments/TARGET.yaml. The monitoring set's
services (monitoring.stack: true) are not promoted: their images are monitoring.images settings,
and naming one is refused. Only those value lines change: comments, key
order, quoting, blank lines and flow or block layout stay as they were. A service missing from
TARGET's release: map is added after its last entry (and a missing release: map after target:),
quoted like the entries already there. The file is replaced atomically (a temporary file in the
same folder, then a rename; its mode is kept): it holds the old bytes or the new, never half.

Refused, with nothing written (one line each, file:line):
  - a release without a digest in SOURCE (a tag can be re-pushed);
  - a release that never ran in SOURCE: neither DIR/releases.yaml records it nor git history
    shows SOURCE pinning it (--force-unrecorded promotes it anyway, with a warning, e.g. from a
    "git archive" copy without a record);
  - TARGET's promotion.from naming an environment other than SOURCE;
  - TARGET's promotion.soak not yet elapsed since SOURCE got the release: from the release
    record's day (counted from the end of that day, UTC), else from the oldest commit that pinned
    it in SOURCE (the merge; the deploy came later). A release with neither is refused. The
    clock is the system's, or ENVKIT_NOW (an ISO 8601 time) for a reproducible run;
  - an unknown service name.

Rollout strategies in TARGET (see "envkit rollout"): a blue-green service gets the release in
its idle slot (services.<svc>.rollout.slots.<idle>), so the promotion is tested under
<svc>-preview before "envkit rollout --switch" makes it live; a service whose live slot already
runs it is unchanged. SOURCE's release is what takes its traffic: release.<svc>, its live slot,
or its canary's stable. A service running a canary in TARGET is refused (finish the canary
first: its stable would change under it).

Prints the release change per service (old → new, unchanged ones listed as such): --format text
(default), markdown (a table for the pull request body) or json. Run "envkit validate" next,
then commit the file.

Options:
  --dry-run           print the change, write nothing
  --force-unrecorded  promote releases no record or history shows running in SOURCE

Exit codes: 0 promoted (or nothing to change), 1 refused or invalid config, 2 usage.`;

/** One release to set in the target file. */
export interface ReleaseUpdate {
  readonly service: string;
  readonly release: string;
}

/** One service's outcome. */
export interface PromotedRelease {
  readonly service: string;
  /** TARGET's release before (undefined: it had none). */
  readonly old?: string;
  readonly new: string;
  readonly status: "changed" | "added" | "unchanged";
  /** blue-green in TARGET: the idle slot that got the release (`envkit rollout --switch` makes it live). */
  readonly slot?: SlotName;
}

type Edit = { start: number; end: number; text: string };

const refuse = (file: string, line: number | undefined, at: string, message: string): EnvkitError => new EnvkitError([{ file, line, path: at, message }]);

/** A scalar in the style of `like` (double quotes unless single or plain fit), so the new line reads like the old one. */
function render(value: string, like: Scalar.Type | undefined): string {
  if (like === yamlPackage().Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  if (like === yamlPackage().Scalar.PLAIN) {
    // Plain only when it reads back as this very string ("1.10" would become a number, "@…" is not allowed plain).
    try {
      if (!/[#\s]/.test(value) && (yamlPackage().parse(`k: ${value}`) as { k?: unknown })?.k === value) return value;
    } catch {
      // Not valid plain: quote it.
    }
  }
  return JSON.stringify(value);
}

function lineEnd(text: string, at: number): number {
  const nl = text.indexOf("\n", at);
  if (nl < 0) return text.length;
  return text[nl - 1] === "\r" ? nl - 1 : nl;
}

function column(text: string, at: number): number {
  return at - (text.lastIndexOf("\n", at - 1) + 1);
}

function keyName(pair: Pair): unknown {
  return yamlPackage().isScalar(pair.key) ? pair.key.value : pair.key;
}

/** Order-insensitive deep equality of parsed YAML data (maps compared by key). */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * Sets `release.<service>` in an environment file's text for each update, editing the text at the
 * value's source range only: every other byte stays as it was. A missing entry is added after the
 * map's last entry (block: a new line at the entries' indentation; flow: `, svc: "…"` before `}`),
 * a missing `release:` map after the `target:` line (or at the end). Values keep the quoting of
 * the value they replace (new ones: of the map's first value; double quotes by default). Refuses
 * (an {@link EnvkitError} naming `file:line`) what it cannot edit in place: aliases, anchored or
 * block scalars, a `release:` that is not a map. The result is parsed again and must hold exactly
 * the old data with the new releases.
 */
export function setReleases(text: string, updates: readonly ReleaseUpdate[], file = "<environment file>"): string {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = text.slice(bom.length);
  const eol = body.includes("\r\n") ? "\r\n" : "\n";
  const doc = yamlPackage().parseDocument(body, { uniqueKeys: true });
  const lineOf = (offset: number) => body.slice(0, offset).split("\n").length;
  if (doc.errors.length) throw refuse(file, undefined, "", "is not valid YAML; fix it (envkit validate names the problem) before promoting");
  const root = doc.contents;
  if (!yamlPackage().isMap(root) || root.flow) throw refuse(file, undefined, "", "is not a block map of settings; envkit promote edits environment files written as `key: value` lines");
  const edits: Edit[] = [];
  const releasePair = root.items.find((p) => keyName(p) === "release");
  const value = releasePair?.value as Node | null | undefined;
  const missing = updates.filter((u) => !(yamlPackage().isMap(value) && value.items.some((p) => keyName(p) === u.service)));
  if (!releasePair || (yamlPackage().isScalar(value) && value.value === null && value.range![0] === value.range![1])) {
    // No map yet: a block, indented like the file's other nested maps (2 spaces by default).
    const nested = root.items.map((p) => p.value as unknown).find((v): v is YAMLMap => yamlPackage().isMap(v) && !v.flow && v.items.length > 0);
    const indent = nested ? " ".repeat(column(body, (nested.items[0].key as Node).range![0])) : "  ";
    const lines = missing.map((u) => `${indent}${u.service}: ${render(u.release, undefined)}`);
    if (releasePair) {
      const at = lineEnd(body, (releasePair.key as Node).range![1]);
      edits.push({ start: at, end: at, text: `${eol}${lines.join(eol)}` });
    } else {
      const target = root.items.find((p) => keyName(p) === "target");
      const after = target ? lineEnd(body, (target.value as Node | null)?.range?.[1] ?? (target.key as Node).range![1]) : body.length;
      const lead = after === body.length && body.length > 0 && !body.endsWith("\n") ? eol : "";
      const block = `release:${eol}${lines.join(eol)}`;
      edits.push(after === body.length ? { start: after, end: after, text: `${lead}${block}${eol}` } : { start: after, end: after, text: `${eol}${block}` });
    }
  } else if (yamlPackage().isMap(value)) {
    const firstValue = value.items.map((p) => p.value).find((v): v is Scalar => yamlPackage().isScalar(v));
    for (const u of updates) {
      const pair = value.items.find((p) => keyName(p) === u.service);
      if (!pair) continue;
      const node = pair.value as Node | null;
      const where = lineOf((pair.key as Node).range![0]);
      if (yamlPackage().isAlias(node)) throw refuse(file, where, `release.${u.service}`, "is an alias (*name); write the release itself there, then promote");
      if (!yamlPackage().isScalar(node) || !node.range) throw refuse(file, where, `release.${u.service}`, 'is not a string; write it as "<tag>@sha256:<digest>"');
      if (node.anchor) throw refuse(file, where, `release.${u.service}`, `carries the anchor &${node.anchor}, which other values may repeat; remove the anchor, then promote`);
      if (node.type === yamlPackage().Scalar.BLOCK_FOLDED || node.type === yamlPackage().Scalar.BLOCK_LITERAL) throw refuse(file, where, `release.${u.service}`, 'is a block scalar (| or >); write it on one line, e.g. "2.4.1@sha256:…"');
      if (node.value === u.release) continue;
      edits.push({ start: node.range[0], end: node.range[1], text: render(u.release, node.type) });
    }
    if (missing.length) {
      const style = firstValue?.type;
      if (value.flow) {
        const items = missing.map((u) => `${u.service}: ${render(u.release, style)}`).join(", ");
        const last = value.items[value.items.length - 1];
        const lastEnd = last ? ((last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1]) : undefined;
        if (lastEnd !== undefined) edits.push({ start: lastEnd, end: lastEnd, text: `, ${items}` });
        else edits.push({ start: value.range![0] + 1, end: value.range![0] + 1, text: ` ${items} ` });
      } else {
        const last = value.items[value.items.length - 1];
        const indent = " ".repeat(column(body, (value.items[0].key as Node).range![0]));
        const at = lineEnd(body, (last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1]);
        edits.push({ start: at, end: at, text: missing.map((u) => `${eol}${indent}${u.service}: ${render(u.release, style)}`).join("") });
      }
    }
  } else {
    throw refuse(file, lineOf((releasePair.key as Node).range![0]), "release", "is not a map of service: release; write it as `release:` followed by `  <service>: \"<tag>@sha256:…\"` lines");
  }
  let out = body;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  // The edit must change exactly the releases: parse both and compare.
  const expected = structuredClone((doc.toJS() ?? {}) as Record<string, unknown>);
  const rel = (expected.release && typeof expected.release === "object" ? expected.release : (expected.release = {})) as Record<string, unknown>;
  for (const u of updates) rel[u.service] = u.release;
  const again = parseYaml(file, out);
  if (!again.doc || !sameData(again.doc.data, expected)) throw new Error(`envkit promote produced an edit of ${file} that changes more than the releases; nothing was written`);
  return bom + out;
}

/** One edit of an environment file: set a scalar that is there, or remove a key with its value. */
export type YamlEdit = { readonly set: readonly string[]; readonly value: string | number } | { readonly remove: readonly string[] };

/** The first anchor (`&name`) on `node` or anywhere inside it, or undefined. */
function anchorWithin(node: unknown): string | undefined {
  const y = yamlPackage();
  let found: string | undefined;
  const look = (n: unknown): void => {
    if (found || !n || typeof n !== "object") return;
    if ((y.isScalar(n) || y.isMap(n) || y.isSeq(n)) && n.anchor) found = n.anchor;
    if (!y.isMap(n) && !y.isSeq(n)) return;
    for (const item of n.items as unknown[]) {
      if (y.isPair(item)) {
        look(item.key);
        look(item.value);
      } else look(item);
    }
  };
  look(node);
  return found;
}

/** Why a block carrying anchor `&name` is not edited in place. */
const sharedBlock = (name: string): string =>
  `carries the anchor &${name}, which other values may repeat (*${name}): an edit here would change them too; write this block out in full without the anchor (and each *${name} as its own block), then run the command again`;

/**
 * Applies `edits` to an environment file's text in place, like {@link setReleases}: a set replaces
 * only the scalar's source range (keeping its quoting), a remove drops the key's lines (block) or
 * its `key: value` item and one comma (flow). Every other byte stays. Refuses (an
 * {@link EnvkitError} naming `file:line`) a path the file does not hold, aliases, anchors and
 * block scalars; the result must parse to exactly the old data with the edits applied.
 */
export function editYaml(text: string, edits: readonly YamlEdit[], file = "<environment file>"): string {
  const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
  const body = text.slice(bom.length);
  const doc = yamlPackage().parseDocument(body, { uniqueKeys: true });
  const lineOf = (offset: number) => body.slice(0, offset).split("\n").length;
  if (doc.errors.length) throw refuse(file, undefined, "", "is not valid YAML; fix it (envkit validate names the problem) before editing it");
  /** The pair at `segs` and the map holding it. */
  const find = (segs: readonly string[]): { map: YAMLMap; pair: Pair } => {
    let node: unknown = doc.contents;
    let pair: Pair | undefined;
    let map: YAMLMap | undefined;
    segs.forEach((seg, i) => {
      const at = segs.slice(0, i).join(".");
      if (yamlPackage().isAlias(node)) throw refuse(file, pair ? lineOf((pair.key as Node).range![0]) : undefined, at, "is an alias (*name); write the value itself there");
      if (!yamlPackage().isMap(node)) throw refuse(file, pair ? lineOf((pair.key as Node).range![0]) : undefined, at || segs.join("."), `is not a map, so ${segs.join(".")} cannot be edited there`);
      // An anchored block is shared with every alias of it: an edit inside would change those too.
      if (i > 0 && node.anchor) throw refuse(file, pair ? lineOf((pair.key as Node).range![0]) : undefined, at, sharedBlock(node.anchor));
      map = node;
      pair = node.items.find((p) => keyName(p) === seg);
      if (!pair) throw refuse(file, undefined, segs.slice(0, i + 1).join("."), `is not set in this file (perhaps in app.yaml); write it in ${file} first`);
      node = pair.value;
    });
    return { map: map!, pair: pair! };
  };
  const changes: Edit[] = [];
  const expected = structuredClone((doc.toJS() ?? {}) as Record<string, unknown>);
  for (const e of edits) {
    const segs = "set" in e ? e.set : e.remove;
    const { map, pair } = find(segs);
    const at = segs.join(".");
    const keyStart = (pair.key as Node).range![0];
    const node = pair.value as Node | null;
    let parent = expected as Record<string, unknown>;
    for (const seg of segs.slice(0, -1)) parent = parent[seg] as Record<string, unknown>;
    if ("set" in e) {
      const where = lineOf(keyStart);
      if (yamlPackage().isAlias(node)) throw refuse(file, where, at, "is an alias (*name); write the value itself there");
      if (!yamlPackage().isScalar(node) || !node.range) throw refuse(file, where, at, "is not a single value; write it as one, then run the command again");
      if (node.anchor) throw refuse(file, where, at, `carries the anchor &${node.anchor}, which other values may repeat; remove the anchor first`);
      if (node.type === yamlPackage().Scalar.BLOCK_FOLDED || node.type === yamlPackage().Scalar.BLOCK_LITERAL) throw refuse(file, where, at, "is a block scalar (| or >); write it on one line");
      parent[segs[segs.length - 1]] = e.value;
      if (node.value === e.value) continue;
      changes.push({ start: node.range[0], end: node.range[1], text: typeof e.value === "number" ? String(e.value) : render(e.value, node.type) });
      continue;
    }
    // Removing a block removes any anchor inside it too, which an alias elsewhere may repeat.
    const anchor = anchorWithin(node);
    if (anchor) throw refuse(file, lineOf(keyStart), at, sharedBlock(anchor));
    delete parent[segs[segs.length - 1]];
    let end = node?.range?.[1] ?? (pair.key as Node).range![1];
    while (end > keyStart && /\s/.test(body[end - 1])) end--;
    if (map.flow) {
      // `a: 1, b: 2`: drop the item and the comma after it, else the one before it.
      const after = /^\s*,\s*/.exec(body.slice(end));
      if (after) changes.push({ start: keyStart, end: end + after[0].length, text: "" });
      else {
        const before = /,\s*$/.exec(body.slice(0, keyStart));
        changes.push({ start: before ? keyStart - before[0].length : keyStart, end, text: "" });
      }
    } else {
      // The key's first line to the last line of its value, with the line break.
      const start = body.lastIndexOf("\n", keyStart - 1) + 1;
      const stop = lineEnd(body, end);
      const next = body.startsWith("\r\n", stop) ? stop + 2 : body[stop] === "\n" ? stop + 1 : stop;
      changes.push({ start, end: next, text: "" });
    }
  }
  let out = body;
  for (const c of [...changes].sort((a, b) => b.start - a.start)) out = out.slice(0, c.start) + c.text + out.slice(c.end);
  const again = parseYaml(file, out);
  if (!again.doc || !sameData(again.doc.data, expected)) throw new Error(`envkit produced an edit of ${file} that changes more than ${edits.map((e) => ("set" in e ? e.set : e.remove).join(".")).join(", ")}; nothing was written`);
  return bom + out;
}

/**
 * Writes `next` over `file` atomically (its old bytes `raw` are the guard): an fs failure is one
 * issue saying the file still holds its old content, returned rather than thrown.
 */
export function writeEnvironmentFile(file: string, next: string, raw: string, what: string, retry: string): ConfigIssue | undefined {
  try {
    writeFileAtomically(file, next, raw);
    return undefined;
  } catch (e) {
    if (!isFsError(e)) throw e;
    return fsIssue(file, e, "written", `it still holds its old content (${what}); check the folder's permissions and free space, then run ${retry} again`);
  }
}

/** Prints issues sorted, one `file:line: path: message` line each, and gives the exit code. */
export function issuePrinter(io: CliIO): (issues: readonly ConfigIssue[]) => number {
  return (issues) => {
    for (const i of sortIssues(issues)) io.err(formatIssue(i));
    return EXIT.invalid;
  };
}

/**
 * An issue for each of `wanted` that is not an environment of the application — or, when its file
 * is there but could not be read (a YAML syntax error), that file's own issues, which are why
 * (before, a broken prod.yaml was reported only as `no environment "prod"`).
 */
export function unknownEnvironments(config: string, read: { readonly source: ConfigSource; readonly issues: readonly ConfigIssue[] }, wanted: readonly string[]): ConfigIssue[] {
  const names = [...read.source.environments.keys()];
  return wanted
    .filter((n) => !read.source.environments.has(n))
    .flatMap((n) =>
      read.source.unreadable?.has(n)
        ? read.issues.filter((i) => i.file !== undefined && [`${n}.yaml`, `${n}.yml`].includes(path.basename(i.file)) && path.basename(path.dirname(i.file)) === "environments")
        : [{ file: path.join(config, "environments"), path: "", message: `no environment "${n}"${didYouMean(n, names)}; environments: ${names.join(", ")}` }],
    );
}

function now(): number {
  const given = process.env.ENVKIT_NOW;
  if (given === undefined) return Date.now();
  // ISO 8601 only: Date.parse also reads "0" or "Dec 3" (as years 2000 and 2001).
  const iso = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/.test(given) && isCalendarDate(given.slice(0, 10));
  const t = iso ? Date.parse(given) : NaN;
  // An environment variable is input (exit 1, like a bad ENVKIT_TODAY), not command-line usage.
  if (Number.isNaN(t)) throw new EnvkitError([{ path: "ENVKIT_NOW", message: `must be an ISO 8601 time such as "2026-12-01T12:00:00Z" (got ${JSON.stringify(given)}); promotion.soak is judged against it` }]);
  return t;
}

function duration(ms: number): string {
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return h >= 48 ? `${Math.floor(h / 24)}d ${h % 24}h` : `${h}h ${m}m`;
}

const digestOf = (release: string) => /@(sha256:[a-f0-9]{64})$/.exec(release)?.[1];

/** Whether `history` shows `env` running `release` of `service` (exactly, or the same digest under that name). */
function ran(history: PromotionHistory, env: string, service: string, release: string): boolean {
  const seen = history.releasesOf(env, service);
  return seen.has(release) || [...seen].some((r) => digestOf(r) === digestOf(release));
}

function renderText(from: string, to: string, file: string, rows: readonly PromotedRelease[]): string {
  const width = Math.max(...rows.map((r) => r.service.length));
  const slot = (r: PromotedRelease) => (r.slot ? `  (idle slot ${r.slot}; envkit rollout --env ${to} --service ${r.service} --switch makes it live)` : "");
  const lines = rows.map((r) => `  ${r.service.padEnd(width)}  ${r.status === "unchanged" ? `unchanged  ${r.new}` : `${r.old ?? "(none)"} → ${r.new}${slot(r)}`}`);
  return [`promote ${from} → ${to} (${file}):`, ...lines].join("\n");
}

function renderMarkdown(from: string, to: string, file: string, rows: readonly PromotedRelease[], forced: boolean): string {
  const code = (s: string) => `\`${s}\``;
  const changed = rows.filter((r) => r.status !== "unchanged").length;
  return [
    `### Promote ${code(from)} → ${code(to)}`,
    "",
    `${changed} of ${rows.length} release(s) change in ${code(file)}; ${forced ? `promoted with --force-unrecorded: not every release is known to have run in ${code(from)}` : `each ran in ${code(from)} first`}.`,
    "",
    `| Service | ${code(to)} before | ${code(to)} after |`,
    "|---|---|---|",
    ...rows.map((r) => `| ${r.service}${r.slot ? ` (idle slot ${r.slot})` : ""} | ${r.old ? code(r.old) : "_(none)_"} | ${r.status === "unchanged" ? "unchanged" : code(r.new)} |`),
  ].join("\n");
}

function envFile(env: ResolvedEnvironment): string {
  return env.source.file;
}

/**
 * `envkit promote`: copies releases from one environment file to the next, judged by the release
 * record and git history, and writes the target file atomically.
 */
export function promoteCommand(opts: { config: string; from: string; to: string; services: readonly string[]; format?: string; dryRun?: boolean; forceUnrecorded?: boolean }, io: CliIO): number {
  const format = opts.format ?? "text";
  if (!["text", "markdown", "json"].includes(format)) throw new UsageError(`--format must be text, markdown or json (got "${format}")`);
  if (opts.from === opts.to) throw new UsageError(`--from and --to are both "${opts.from}"; promote copies releases from one environment to another`);
  const note = (line: string) => (format === "text" ? io.out(line) : io.err(line));
  const fail = issuePrinter(io);
  const read = readConfigDir(opts.config);
  if (!read.source) return fail(read.issues);
  const unknownEnv = unknownEnvironments(opts.config, { source: read.source, issues: read.issues }, [opts.from, opts.to]);
  if (unknownEnv.length) return fail(unknownEnv);
  const resolved = new Map<string, ResolvedEnvironment>();
  const problems: ConfigIssue[] = [];
  for (const name of [opts.from, opts.to]) {
    const r = loadConfigDir(opts.config, name);
    // Only the two environments (and app.yaml) matter; another environment's problems do not stop a promotion.
    const concerned = new Set([path.join(opts.config, "app.yaml"), read.source.environments.get(name)!.file]);
    problems.push(...r.issues.filter((i) => i.severity !== "warning" && (!i.file || concerned.has(i.file)) && !problems.some((p) => formatIssue(p) === formatIssue(i))));
    const env = r.environments.find((e) => e.model.name === name);
    if (env) resolved.set(name, env);
  }
  if (problems.length || resolved.size < 2) return fail(problems.length ? problems : [{ file: opts.config, path: "", message: `environments "${opts.from}" and "${opts.to}" could not be resolved; run envkit validate` }]);
  const source = resolved.get(opts.from)!;
  const target = resolved.get(opts.to)!;
  const file = envFile(target);

  const refusals: ConfigIssue[] = [];
  const warnings: string[] = [];
  const declared = target.model.promotedFrom;
  if (declared !== undefined && declared !== opts.from) {
    refusals.push({ file, line: lineAt(target.source, ["promotion", "from"]), path: "promotion.from", message: `"${opts.to}" is promoted from "${declared}", not "${opts.from}"; run envkit promote --from ${declared} --to ${opts.to}, or change promotion.from` });
  }
  // The monitoring set's images are settings of each environment (monitoring.images), not releases.
  const monitoring = monitoringSetNames(source.model);
  const all = source.model.services.map((s) => s.name).filter((n) => !monitoring.has(n));
  const wanted = opts.services.length ? [...new Set(opts.services)] : all;
  const targetMonitoring = monitoringSetNames(target.model);
  for (const name of wanted.filter((n) => monitoring.has(n))) {
    const images = ["monitoring", "images", name];
    const only = `promote only the application's services (${all.join(", ") || "none"})`;
    refusals.push(
      targetMonitoring.has(name)
        ? {
            file,
            line: lineAt(target.source, images) ?? lineAt(target.source, ["monitoring"]),
            path: images.join("."),
            message: `"${name}" is part of "${opts.from}"'s monitoring set, whose image is monitoring.images.${name}, not a release; change monitoring.images.${name} in ${file} (or the file it extends) to the image "${opts.from}" runs, and ${only}`,
          }
        : { file: source.provenance.locate(images).file ?? envFile(source), line: source.provenance.locate(images).line, path: images.join("."), message: `"${name}" is part of "${opts.from}"'s monitoring set (its image is monitoring.images.${name}), not a release, and "${opts.to}" runs no ${name}: there is nothing to promote; ${only}` },
    );
  }
  for (const name of wanted.filter((n) => !all.includes(n) && !monitoring.has(n))) {
    refusals.push({ file: path.join(opts.config, "app.yaml"), line: lineAt(read.source.app, ["services"]), path: "services", message: `no service "${name}"${didYouMean(name, all)}; services: ${all.join(", ")}` });
  }
  const history = releaseHistory(opts.config);
  const soakText = (target.model.effective as { promotion?: { soak?: string } }).promotion?.soak;
  const soak = soakMs(soakText);
  const clock = soak !== undefined ? now() : 0;
  const rows: PromotedRelease[] = [];
  for (const name of wanted.filter((n) => all.includes(n))) {
    const svc = source.model.services.find((s) => s.name === name)!;
    // What takes traffic in SOURCE: its release, its live slot, or its stable (never a canary in trial).
    const release = svc.version;
    const pinnedAt = serviceReleases(svc)[0].path;
    const at = source.provenance.locate(pinnedAt.split("."));
    const where = { file: at.file ?? envFile(source), line: at.line, path: pinnedAt };
    if (!svc.image.digest) {
      refusals.push({ ...where, message: `"${release}" has no digest; promote only "<tag>@sha256:<digest>": a tag can be re-pushed, so "${opts.to}" might not get the image that ran in "${opts.from}"` });
      continue;
    }
    if (!ran(history, opts.from, name, release)) {
      const sources = history.searched?.length ? `searched: ${history.searched.join(", ")}` : "no release record and no git history";
      if (opts.forceUnrecorded) warnings.push(formatIssue({ ...where, severity: "warning", message: `"${release}" is promoted although nothing shows it ran in "${opts.from}" (${sources}; --force-unrecorded)` }));
      else refusals.push({ ...where, message: `"${release}" never ran in "${opts.from}" as far as envkit can tell (${sources}); deploy it there and run "envkit releases record --config ${opts.config} --env ${opts.from}", or pass --force-unrecorded` });
    }
    const into = target.model.services.find((s) => s.name === name);
    let old = into?.version;
    let slot: SlotName | undefined;
    const r = into?.rollout;
    if (r?.strategy === "blue-green" && r.slots[r.live].version !== release) {
      // The idle slot gets the release; switching traffic to it is a separate, revertible change.
      slot = idleSlot(r.live);
      old = r.slots[slot].version;
    } else if (r?.strategy === "canary" && r.canary && old !== release) {
      const c = lineAt(target.source, ["services", name, "rollout", "canary"]);
      refusals.push({ file, line: c, path: `services.${name}.rollout.canary`, message: `"${name}" runs a canary (${r.canary.version} at ${r.weight}%) in "${opts.to}", and promoting would change its stable under it; finish it first (envkit rollout --env ${opts.to} --service ${name} --step until it is promoted) or remove the canary block` });
      continue;
    }
    if (soak !== undefined && old !== release) {
      const since = history.since(opts.from, name, release);
      const soakAt = { file, line: lineAt(target.source, ["promotion", "soak"]), path: "promotion.soak" };
      if (!since) refusals.push({ ...soakAt, message: `"${name}" release "${release}": the soak of ${soakText} cannot be shown to have passed in "${opts.from}": neither the release record nor git history says when "${opts.from}" got it; record the deploy with "envkit releases record --env ${opts.from}"` });
      else if (clock - since.at < soak) {
        refusals.push({ ...soakAt, message: `"${name}" release "${release}" has soaked ${duration(Math.max(0, clock - since.at))} of ${soakText} in "${opts.from}" (since ${new Date(since.at).toISOString()}, from ${since.from}); promote after ${new Date(since.at + soak).toISOString()}` });
      }
    }
    rows.push({ service: name, old, new: release, status: old === release ? "unchanged" : old === undefined ? "added" : "changed", ...(slot && { slot }) });
  }
  if (refusals.length) {
    fail(refusals);
    io.err(`envkit promote: refused, ${file} was not changed`);
    return EXIT.invalid;
  }
  for (const w of warnings) io.err(w);

  const changes = rows.filter((r) => r.status !== "unchanged");
  // release.<svc> lines, then the idle slots of blue-green services.
  const edit = (raw: string): string => {
    const releases = changes.filter((c) => !c.slot).map((c) => ({ service: c.service, release: c.new }));
    const slots = changes.filter((c) => c.slot).map((c) => ({ set: ["services", c.service, "rollout", "slots", c.slot!], value: c.new }));
    return editYaml(releases.length ? setReleases(raw, releases, file) : raw, slots, file);
  };
  let written = false;
  if (changes.length && !opts.dryRun) {
    const guarded = readConfigFile(file, opts.config);
    if (guarded.text === undefined) return fail(guarded.issue ? [guarded.issue] : []);
    // The raw text (a byte-order mark included), so every byte but the releases' is written back.
    const raw = fs.readFileSync(file, "utf8");
    const problem = writeEnvironmentFile(file, edit(raw), raw, "no release was promoted", "envkit promote");
    if (problem) return fail([problem]);
    written = true;
  } else if (changes.length) {
    // A dry run still proves the edit can be made.
    edit(fs.readFileSync(file, "utf8"));
  }
  if (format === "json") io.out(JSON.stringify({ from: opts.from, to: opts.to, file, dryRun: Boolean(opts.dryRun), written, services: rows }, null, 2));
  else io.out(format === "markdown" ? renderMarkdown(opts.from, opts.to, file, rows, warnings.length > 0) : renderText(opts.from, opts.to, file, rows));
  if (!changes.length) note(`nothing to promote: "${opts.to}" already runs ${rows.length === 1 ? "this release" : `these ${rows.length} releases`}; nothing written`);
  else if (opts.dryRun) note(`dry run: ${changes.length} release line(s) would change in ${file}; nothing written`);
  else note(`wrote ${file}: ${changes.length} release line(s) changed; run "envkit validate --config ${opts.config}", then commit it`);
  return EXIT.ok;
}
