import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { yamlPackage } from "../config/yaml-package";
import { parseYaml } from "../config/yaml-source";
import { EnvkitError } from "../errors";
import { RELEASE_RECORD_FILE, ReleaseRecord, ReleaseRecordSchema, readReleaseRecord, recordedReleases, releaseProblem } from "./release-record";
import { ReleaseHistory } from "./rule";

const MAX_COMMITS = 200;

function git(cwd: string, args: string[], input?: string): Buffer | undefined {
  try {
    return execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "ignore"], maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

/**
 * Whether git could find a repository for `dir`: a `.git` in it or a folder above it, or git told
 * where one is (GIT_DIR, GIT_WORK_TREE). False means git would only answer "not a git
 * repository", so the process (~10 ms) is not started.
 */
export function mayBeInGitCheckout(dir: string): boolean {
  if (process.env.GIT_DIR || process.env.GIT_WORK_TREE) return true;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, ".git"))) return true;
    if (path.dirname(d) === d) return false;
  }
}

/** Parses `git cat-file --batch` output: `<oid> blob <size>\n<content>\n` per found object. */
function batchContents(out: Buffer): string[] {
  const texts: string[] = [];
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(10, at);
    if (eol < 0) break;
    const header = out.subarray(at, eol).toString("utf8").split(" ");
    at = eol + 1;
    if (header[1] !== "blob") continue; // "<name> missing": the file was deleted by that commit
    const size = Number(header[2]);
    texts.push(out.subarray(at, at + size).toString("utf8"));
    at += size + 1;
  }
  return texts;
}

/** What git says about past releases. */
export interface GitHistory {
  /** Every release value the environment's file held in the commits that could be read. */
  releasesOf(env: string, service: string): ReadonlySet<string>;
  /** The services the environment's file pinned a release for in the commits that could be read. */
  servicesOf(env: string): readonly string[];
  /** Committer time (ms since the epoch) of the oldest commit read whose file for `env` pinned `release` for `service`. */
  firstPinned(env: string, service: string, release: string): number | undefined;
  /** Whether the whole history was read (a full clone). */
  readonly complete: boolean;
  /** Why history is missing or partial, when it is. */
  readonly reason?: "not a git checkout" | "a shallow clone";
}

/**
 * Every release an environment file pins, per service: `release.<svc>` and, under
 * `services.<svc>.rollout`, each blue-green slot and a canary's release (all of them run there).
 */
export function filePins(data: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (svc: string, rel: unknown): void => {
    if (typeof rel !== "string") return;
    if (!out.has(svc)) out.set(svc, []);
    if (!out.get(svc)!.includes(rel)) out.get(svc)!.push(rel);
  };
  const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
  const doc = obj(data);
  for (const [svc, rel] of Object.entries(obj(doc?.release) ?? {})) add(svc, rel);
  for (const [svc, conf] of Object.entries(obj(doc?.services) ?? {})) {
    const rollout = obj(obj(conf)?.rollout);
    const slots = obj(rollout?.slots);
    add(svc, slots?.blue);
    add(svc, slots?.green);
    add(svc, obj(rollout?.canary)?.release);
  }
  return out;
}

/**
 * Release history from version control: every `release` value each environment file held in the
 * last commits that touched it (current pins are compared directly by the rules). Two git
 * processes in all, however long the history. Outside a git checkout there is none; a shallow
 * clone gives what its commits hold, which proves a release ran but cannot prove it did not.
 */
export function gitHistory(configDir: string | undefined, opts: { readonly commit?: string } = {}): GitHistory {
  const seen = new Map<string, Set<string>>();
  const services = new Map<string, Set<string>>();
  const pinnedAt = new Map<string, number>();
  const add = (env: string, data: unknown, time: number): void => {
    for (const [svc, releases] of filePins(data)) {
      for (const rel of releases) {
        const key = `${env}/${svc}`;
        if (!seen.has(key)) seen.set(key, new Set());
        seen.get(key)!.add(rel);
        if (!services.has(env)) services.set(env, new Set());
        services.get(env)!.add(svc);
        // The log is read newest first: the last time seen is the oldest commit that pinned it.
        if (Number.isFinite(time)) pinnedAt.set(`${key}\n${rel}`, time);
      }
    }
  };
  const releasesOf = (env: string, svc: string): ReadonlySet<string> => seen.get(`${env}/${svc}`) ?? new Set();
  const servicesOf = (env: string): string[] => [...(services.get(env) ?? [])].sort();
  const firstPinned = (env: string, svc: string, release: string): number | undefined => pinnedAt.get(`${env}/${svc}\n${release}`);
  // One git process for both answers: the top folder, then "true"/"false" on the last line.
  const answer = configDir && mayBeInGitCheckout(configDir) ? git(configDir, ["rev-parse", "--show-toplevel", "--is-shallow-repository"])?.toString().replace(/\n$/, "") : undefined;
  const split = answer?.lastIndexOf("\n") ?? -1;
  const top = answer !== undefined && split > 0 ? answer.slice(0, split).trim() : undefined;
  if (!configDir || !top) return { complete: false, reason: "not a git checkout", releasesOf, servicesOf, firstPinned };
  const shallow = answer!.slice(split + 1).trim() !== "false";
  const envDir = path.relative(top, path.resolve(configDir, "environments")).split(path.sep).join("/");
  // Each commit that touched an environment file (up to `commit`, else HEAD), with the files it touched.
  const log = git(top, ["log", `-n${MAX_COMMITS}`, "--format=@%H %ct", "--name-only", ...(opts.commit ? [opts.commit] : []), "--", envDir])?.toString() ?? "";
  const wanted: { env: string; spec: string; time: number }[] = [];
  let sha = "";
  let time = NaN;
  for (const line of log.split("\n")) {
    if (line.startsWith("@")) {
      const [id, seconds] = line.slice(1).split(" ");
      sha = id;
      time = Number(seconds) * 1000;
    } else if (line && path.posix.dirname(line) === envDir && /\.ya?ml$/.test(line)) wanted.push({ env: path.posix.basename(line).replace(/\.ya?ml$/, ""), spec: `${sha}:${line}`, time });
  }
  const out = wanted.length ? git(top, ["cat-file", "--batch"], wanted.map((w) => w.spec).join("\n") + "\n") : undefined;
  const missing = new Set((out ? out.toString("utf8") : "").split("\n").filter((l) => l.endsWith(" missing")).map((l) => l.slice(0, -" missing".length)));
  const texts = out ? batchContents(out) : [];
  const present = wanted.filter((w) => !missing.has(w.spec));
  present.forEach((w, i) => {
    try {
      add(w.env, yamlPackage().parse(texts[i] ?? ""), w.time);
    } catch {
      // An old commit with broken YAML says nothing about releases.
    }
  });
  return shallow ? { complete: false, reason: "a shallow clone", releasesOf, servicesOf, firstPinned } : { complete: true, releasesOf, servicesOf, firstPinned };
}

/** The checked-out commit of the folder's git checkout, if it is one. */
export function gitHead(dir: string): string | undefined {
  const sha = git(dir, ["rev-parse", "--verify", "-q", "HEAD"])?.toString().trim();
  return sha && /^[0-9a-f]{7,64}$/.test(sha) ? sha : undefined;
}

/** When an environment got a release, for `promotion.soak`. */
export interface ReleaseSince {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Where the time comes from, for messages (`releases.yaml: recorded 2026-11-22`, `git: commit 1a2b3c4d`). */
  readonly from: string;
}

/**
 * Release history for promotion order: what {@link ReleaseHistory} says, plus what judging at a
 * base commit (a pull request's target) and judging renamed services by digest need.
 */
export interface PromotionHistory extends ReleaseHistory {
  /**
   * Set when promotion order is judged at a base commit instead of the working tree: releases
   * count as having run only when the base's record or history says so, or the base pins them
   * (a release that appears in both environments in the same change has not run anywhere).
   */
  readonly base?: { readonly ref: string; readonly commit: string };
  /** What `env` pins for `service` at the base commit (only with {@link base}): its release, blue-green slots and canary. */
  pinnedAtBase?(env: string, service: string): readonly string[];
  /** Every release any service of `env` ran (recorded, in history, or pinned at the base). */
  releasesIn(env: string): ReadonlySet<string>;
  /** Whether `env` has any history for a service of this name (pinned at the base, recorded or in git history). */
  knows(env: string, service: string): boolean;
  /** When `env` got `release` of `service`: the record's day (counted from its end), else the oldest commit pinning it. */
  since(env: string, service: string, release: string): ReleaseSince | undefined;
}

const DAY_MS = 24 * 3600 * 1000;

function combine(record: ReleaseRecord | undefined, fromGit: GitHistory, extra: { pinned?: (env: string) => ReadonlyMap<string, readonly string[]> } = {}) {
  const servicesIn = (env: string): string[] => {
    const recorded = record?.environments && Object.hasOwn(record.environments, env) ? Object.keys(record.environments[env]) : [];
    return [...new Set([...recorded, ...fromGit.servicesOf(env), ...(extra.pinned?.(env)?.keys() ?? [])])];
  };
  const releasesOf = (env: string, svc: string): ReadonlySet<string> => {
    const pinned = extra.pinned?.(env);
    const atBase = pinned?.get(svc) ?? [];
    return new Set([...recordedReleases(record, env, svc).map((r) => r.release), ...fromGit.releasesOf(env, svc), ...atBase]);
  };
  return {
    releasesOf,
    ran: (env: string, svc: string, release: string): boolean =>
      recordedReleases(record, env, svc).some((r) => r.release === release) || (extra.pinned?.(env)?.get(svc) ?? []).includes(release) || fromGit.releasesOf(env, svc).has(release),
    releasesIn: (env: string) => new Set(servicesIn(env).flatMap((svc) => [...releasesOf(env, svc)])),
    knows: (env: string, svc: string) => releasesOf(env, svc).size > 0,
    since: (env: string, svc: string, release: string): ReleaseSince | undefined => {
      // The record holds the deploy day only: count from its end, so a soak is never shortened.
      const days = recordedReleases(record, env, svc).filter((r) => r.release === release).map((r) => r.recorded).sort();
      if (days.length) return { at: Date.parse(`${days[0]}T00:00:00Z`) + DAY_MS, from: `the release record (recorded ${days[0]}; counted from the end of that day, UTC)` };
      const at = fromGit.firstPinned(env, svc, release);
      return at === undefined ? undefined : { at, from: `git history (the oldest commit pinning it, ${new Date(at).toISOString()}; the deploy came after it)` };
    },
  };
}

/**
 * Past releases of every environment of an application folder, for promotion order: the release
 * record (`releases.yaml`, maintained by `envkit releases record`) together with git history.
 * Either source alone is enough: the record makes shallow clones and `git archive` copies work,
 * git history covers releases from before the record existed. Problems with the record come back
 * as `issues`, and an invalid record is not trusted. git is read when first asked for (a release's
 * history, or which sources were read), once.
 */
export function releaseHistory(configDir: string | undefined): PromotionHistory {
  // git runs when a rule first asks for history, not before: most synths never do (a promoted
  // release its source environment pins needs none), and git is three processes in a checkout.
  let read: GitHistory | undefined;
  const fromGit = (): GitHistory => (read ??= gitHistory(configDir));
  const lazyGit: GitHistory = {
    releasesOf: (env, svc) => fromGit().releasesOf(env, svc),
    servicesOf: (env) => fromGit().servicesOf(env),
    firstPinned: (env, svc, release) => fromGit().firstPinned(env, svc, release),
    get complete() {
      return fromGit().complete;
    },
    get reason() {
      return fromGit().reason;
    },
  };
  const loaded = configDir ? readReleaseRecord(configDir) : undefined;
  const record = loaded?.record;
  let sources: { searched: string[]; unavailable: string[] } | undefined;
  const sourcesRead = (): { searched: string[]; unavailable: string[] } => {
    if (sources) return sources;
    const searched: string[] = [];
    const unavailable: string[] = [];
    if (record) searched.push(loaded!.file);
    else if (loaded?.exists) unavailable.push(`the release record ${loaded.file} (it is invalid: ${loaded.issues.length} problem(s); "envkit releases list --config ${configDir}" lists them)`);
    else if (loaded) unavailable.push(`the release record ${loaded.file} (no such file)`);
    if (lazyGit.complete) searched.push("git history");
    else unavailable.push(lazyGit.reason === "a shallow clone" ? "full git history (a shallow clone; git fetch --unshallow reads it)" : "git history (not a git checkout)");
    return (sources = { searched, unavailable });
  };
  return {
    get available() {
      return Boolean(record) || lazyGit.complete;
    },
    get searched() {
      return sourcesRead().searched;
    },
    get unavailable() {
      return sourcesRead().unavailable;
    },
    issues: loaded?.issues ?? [],
    ...combine(record, lazyGit),
    recordHint: (env, svc) =>
      configDir
        ? `if "${env}" ran it, add it under environments.${env}.${svc} in ${loaded!.file}; "envkit releases record --config ${configDir} --env ${env}" records what "${env}" runs after each deploy`
        : `record the releases "${env}" runs with "envkit releases record --env ${env}" after each deploy`,
  };
}

/** Refs are names, never options or revision expressions that run anything: `main`, `origin/main`, `v1.2`, a commit id. */
/** A branch, tag or commit, optionally with ancestry suffixes (`HEAD~1`, `main^2`), as `envkit diff` takes. */
const REF_RE = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}(?:[~^]\d{0,4}){0,8}$/;

/** The release record as committed at `commit`, when it is there and valid (it is then trusted like the working copy). */
function recordAt(top: string, commit: string, rel: string, shown: string): { record?: ReleaseRecord; state: "valid" | "missing" | "invalid" } {
  const text = git(top, ["cat-file", "blob", `${commit}:${rel}`])?.toString("utf8");
  if (text === undefined) return { state: "missing" };
  const parsed = parseYaml(shown, text);
  const checked = parsed.doc ? ReleaseRecordSchema.safeParse(parsed.doc.data) : undefined;
  if (!checked?.success) return { state: "invalid" };
  const entries = Object.values(checked.data.environments ?? {}).flatMap((svcs) => Object.values(svcs).flat());
  return entries.some((e) => releaseProblem(e.release)) ? { state: "invalid" } : { record: checked.data, state: "valid" };
}

/**
 * Release history as it stood at `ref` (a pull request's base): the release record committed
 * there, git history up to it, and what each environment file pinned there. Promotion order judged
 * with it ignores the working tree, so a change that bumps the source and the target environment
 * together is reported (the source never ran the release). Throws an {@link EnvkitError} when
 * `configDir` is not in a git checkout or none of `refs` names a commit there (the first that does is used).
 */
export function baseReleaseHistory(configDir: string, refs: readonly string[], flag = "--base"): PromotionHistory {
  const top = git(configDir, ["rev-parse", "--show-toplevel"])?.toString().trim();
  if (!top) throw new EnvkitError([{ file: configDir, path: "", message: `is not in a git checkout, so promotion order cannot be judged at the base ${refs[0]}; run envkit from a git clone, or leave out ${flag}` }]);
  let ref: string | undefined;
  let commit: string | undefined;
  for (const r of refs) {
    if (!REF_RE.test(r) || r.includes("..")) throw new EnvkitError([{ path: flag, message: `"${r}" is not a git ref envkit accepts; name a branch, tag or commit id (e.g. origin/main)` }]);
    commit = git(top, ["rev-parse", "--verify", "-q", `${r}^{commit}`])?.toString().trim();
    if (commit) {
      ref = r;
      break;
    }
  }
  if (!ref || !commit) {
    const name = refs[refs.length - 1];
    throw new EnvkitError([{ path: flag, message: `${refs.map((r) => `"${r}"`).join(" and ")} ${refs.length === 1 ? "names" : "name"} no commit in this checkout; fetch the base branch first (git fetch --no-tags origin ${name.replace(/^origin\//, "")}), or pass --base with a ref that exists` }]);
  }
  const relDir = path.relative(top, path.resolve(configDir)).split(path.sep).join("/");
  const inRepo = (f: string) => (relDir ? `${relDir}/${f}` : f);
  const fromGit = gitHistory(configDir, { commit });
  const shownRecord = `${RELEASE_RECORD_FILE} at ${ref}`;
  const rec = recordAt(top, commit, inRepo(RELEASE_RECORD_FILE), shownRecord);
  const pins = new Map<string, Map<string, string[]>>();
  const pinned = (env: string): ReadonlyMap<string, string[]> => {
    if (!pins.has(env)) {
      let releases = new Map<string, string[]>();
      for (const ext of ["yaml", "yml"]) {
        const text = git(top, ["cat-file", "blob", `${commit}:${inRepo(`environments/${env}.${ext}`)}`])?.toString("utf8");
        if (text === undefined) continue;
        const parsed = parseYaml(`environments/${env}.${ext} at ${ref}`, text);
        releases = filePins(parsed.doc?.data);
        break;
      }
      pins.set(env, releases);
    }
    return pins.get(env)!;
  };
  const searched = [`the environment files at ${ref}`];
  const unavailable: string[] = [];
  if (rec.record) searched.push(shownRecord);
  else unavailable.push(`the release record at ${ref} (${rec.state === "missing" ? "not committed there" : "invalid there"})`);
  if (fromGit.complete) searched.push(`git history up to ${ref}`);
  else unavailable.push(`full git history up to ${ref} (a shallow clone; git fetch --unshallow reads it)`);
  return {
    base: { ref, commit },
    available: Boolean(rec.record) || fromGit.complete,
    searched,
    unavailable,
    issues: [],
    pinnedAtBase: (env, svc) => pinned(env).get(svc) ?? [],
    ...combine(rec.record, fromGit, { pinned }),
    recordHint: (env, svc) => `a release counts as having run in "${env}" only once the base ${ref} pins or records it there: merge the change to environments/${env}.yaml (and deploy it; "envkit releases record --env ${env}") before promoting ${svc}`,
  };
}

/**
 * @deprecated Use {@link releaseHistory}; kept so existing callers read the release record too.
 * (It once read git history only; {@link gitHistory} still does.)
 */
export const gitReleaseHistory = releaseHistory;
