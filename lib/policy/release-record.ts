import * as fs from "node:fs";
import { readConfigFile } from "../config/load";
import * as path from "node:path";
import type { Scalar } from "yaml";
import { yamlPackage } from "../config/yaml-package";
import { z } from "zod";
import { fromZod, locateIn } from "../config/zod-issues";
import { SourceDocument, lineAt, parseYaml } from "../config/yaml-source";
import { ConfigIssue, EnvkitError } from "../errors";
import { checkImmutable, parseRelease } from "../model/image-ref";
import { isCalendarDate } from "../model/calendar-date";
import { writeFileAtomically } from "../config/atomic-write";

export { writeFileAtomically };

/*
 * The release record: which releases ran in which environment, committed next to app.yaml. It is
 * the source of promotion order (ENVK-REL-001) that needs no git history, so shallow clones (CI's
 * default checkout) and `git archive` tarballs can still be validated. The deploy pipeline appends
 * to it with `envkit releases record` after each successful apply.
 */

/** File name of the record inside the application folder. */
export const RELEASE_RECORD_FILE = "releases.yaml";

const HEADER = `# Releases that ran in each environment, appended by "envkit releases record --config DIR --env ENV"
# after each successful deploy of ENV. Guardrail ENVK-REL-001 lets an environment with
# "promotion.from: ENV" run a release that ENV runs now, ran according to this record, or pinned
# according to git history. Commit this file; add entries by hand only for releases that ran before
# the record existed.
`;

const COMMIT_RE = /^[0-9a-f]{7,64}$/;

/** One release that ran in an environment. */
export const RecordedReleaseSchema = z.strictObject({
  /** The release as the environment file pins it (`2.4.1@sha256:…`). */
  release: z.string().min(1, { message: 'is empty; write the release as the environment file pins it, e.g. "2.4.1@sha256:…"' }),
  /** `YYYY-MM-DD` (UTC) when it was recorded. */
  recorded: z.string().check((ctx) => {
    if (!isCalendarDate(ctx.value)) ctx.issues.push({ code: "custom", message: `"${ctx.value}" is not a date; write "YYYY-MM-DD", e.g. "2026-11-22"`, input: ctx.value });
  }),
  /** The commit that was deployed, when known. */
  commit: z.string().regex(COMMIT_RE, { message: "must be a git commit id: 7 to 64 lowercase hex digits" }).optional(),
});

/** The whole record: `environments.<env>.<service>` is the list of releases that ran there. */
export const ReleaseRecordSchema = z.strictObject({
  environments: z.record(z.string(), z.record(z.string(), z.array(RecordedReleaseSchema))).optional(),
});

/** One recorded release. */
export type RecordedRelease = z.infer<typeof RecordedReleaseSchema>;
/** The parsed, valid record. */
export type ReleaseRecord = z.infer<typeof ReleaseRecordSchema>;

/** The record of an application folder, as read. */
export interface LoadedRecord {
  /** The record's path as the user gave the folder (`examples/reference-app/releases.yaml`). */
  readonly file: string;
  readonly exists: boolean;
  /** The record, only when it exists and is valid. */
  readonly record?: ReleaseRecord;
  /** The text read (to detect a concurrent change before writing). */
  readonly text?: string;
  /** Every problem found, each as `file:line: path: message`. */
  readonly issues: readonly ConfigIssue[];
}

/** One pin to record: a service's release in an environment, with where the pin is written. */
export interface Pin {
  readonly service: string;
  readonly release: string;
  readonly file?: string;
  readonly line?: number;
}

/** A release added to the record. */
export interface AddedRelease extends RecordedRelease {
  readonly env: string;
  readonly service: string;
}

/** Path of the record of an application folder. */
export function releaseRecordPath(configDir: string): string {
  return path.join(configDir, RELEASE_RECORD_FILE);
}

/** Why a release cannot be recorded or trusted as having run (mutable or malformed), or undefined. */
export function releaseProblem(release: string): string | undefined {
  // The repository is irrelevant here; any valid one lets the release syntax be checked.
  const parsed = parseRelease("envkit/record", release);
  if (!parsed.ok) return `"${release}" is not a release; write "<tag>", "<tag>@sha256:<64 hex>" or "@sha256:<64 hex>" as the environment files do`;
  const mutable = checkImmutable(parsed.value);
  return mutable ? `"${release}" is mutable (${mutable}); a moving tag says nothing about which image ran` : undefined;
}

function check(doc: SourceDocument): { record?: ReleaseRecord; issues: ConfigIssue[] } {
  const parsed = ReleaseRecordSchema.safeParse(doc.data);
  if (!parsed.success) return { issues: fromZod(parsed.error, ReleaseRecordSchema, doc.data, locateIn(doc)) };
  const issues: ConfigIssue[] = [];
  for (const [env, services] of Object.entries(parsed.data.environments ?? {})) {
    for (const [svc, entries] of Object.entries(services)) {
      entries.forEach((e, i) => {
        const problem = releaseProblem(e.release);
        const at = ["environments", env, svc, i, "release"];
        if (problem) issues.push({ file: doc.file, line: lineAt(doc, at), path: at.join("."), message: problem });
      });
    }
  }
  return issues.length ? { issues } : { record: parsed.data, issues };
}

/** Reads and validates the record of an application folder. A missing record is not an error. */
export function readReleaseRecord(configDir: string): LoadedRecord {
  const file = releaseRecordPath(configDir);
  if (!fs.existsSync(file) && !isLink(file)) return { file, exists: false, issues: [] };
  // The same guards as every config file: no symlink out of the folder, no pipe, size and UTF-8 bounds.
  const read = readConfigFile(file, configDir);
  if (read.text === undefined) return { file, exists: true, issues: read.issue ? [read.issue] : [] };
  const text = read.text;
  const parsed = parseYaml(file, text);
  if (!parsed.doc) return { file, exists: true, text, issues: parsed.issues };
  const checked = check(parsed.doc);
  return { file, exists: true, text, record: checked.record, issues: checked.issues };
}

/** The releases the record says ran in `env` for `service`. */
export function recordedReleases(record: ReleaseRecord | undefined, env: string, service: string): RecordedRelease[] {
  // Own keys only: a service may well be called "constructor".
  const envs = record?.environments ?? {};
  const services = Object.hasOwn(envs, env) ? envs[env] : {};
  return Object.hasOwn(services, service) ? services[service] : [];
}

/**
 * Appends the pins of `env` that the record does not list yet, keeping the file's comments and
 * layout (yaml Document API), and writes it atomically. Idempotent: pins already recorded for the
 * environment add nothing and leave the file untouched. Refuses mutable or malformed releases and
 * an invalid record (nothing is written then). Returns what was added.
 */
export function recordReleases(configDir: string, env: string, pins: readonly Pin[], meta: { readonly date: string; readonly commit?: string }): { file: string; added: AddedRelease[] } {
  const loaded = readReleaseRecord(configDir);
  if (loaded.issues.length) throw new EnvkitError(loaded.issues);
  const refused = pins.flatMap((p): ConfigIssue[] => {
    const problem = releaseProblem(p.release);
    return problem ? [{ file: p.file, line: p.line, path: `release.${p.service}`, message: `cannot be recorded: ${problem}` }] : [];
  });
  if (refused.length) throw new EnvkitError(refused);
  const added: AddedRelease[] = [];
  for (const p of pins) {
    if (added.some((a) => a.service === p.service && a.release === p.release)) continue;
    if (recordedReleases(loaded.record, env, p.service).some((r) => r.release === p.release)) continue;
    added.push({ env, service: p.service, release: p.release, recorded: meta.date, ...(meta.commit ? { commit: meta.commit } : {}) });
  }
  if (added.length === 0) return { file: loaded.file, added };
  const { Scalar: ScalarNode, isCollection, isSeq, parseDocument } = yamlPackage();
  const doc = parseDocument(loaded.exists ? loaded.text! : HEADER, { uniqueKeys: true });
  for (const a of added) {
    const entry = doc.createNode({ release: a.release, recorded: a.recorded, ...(a.commit ? { commit: a.commit } : {}) });
    // Releases are strings that can look like numbers ("1.10"); quote them as the environment files do.
    (entry.get("release", true) as Scalar).type = ScalarNode.QUOTE_DOUBLE;
    const at = ["environments", env, a.service];
    for (let n = 1; n < at.length; n++) {
      // An empty flow collection (`environments: {}`) would keep everything added on one line.
      const node = doc.getIn(at.slice(0, n), true);
      if (isCollection(node) && node.flow && node.items.length === 0) node.flow = false;
    }
    const list = doc.getIn(at, true);
    if (isSeq(list)) list.add(entry);
    else doc.setIn(at, doc.createNode([entry]));
  }
  const text = doc.toString({ lineWidth: 0 });
  // The record must stay valid; a failure here is a bug, and nothing is written.
  const reparsed = parseYaml(loaded.file, text);
  const again = reparsed.doc ? check(reparsed.doc) : { issues: reparsed.issues };
  if (again.issues.length) throw new Error(`envkit produced an invalid ${RELEASE_RECORD_FILE}: ${again.issues.map((i) => i.message).join("; ")}`);
  // The reader drops a byte-order mark; it is kept, and the file as it is on disk (with it) is
  // what must still be there when the new text replaces it.
  let bom = "";
  try {
    if (loaded.exists && fs.readFileSync(loaded.file, "utf8").startsWith("\uFEFF")) bom = "\uFEFF";
  } catch {
    // Unreadable now: the write below says so.
  }
  writeFileAtomically(loaded.file, bom + text, loaded.exists ? bom + loaded.text! : null);
  return { file: loaded.file, added };
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}
