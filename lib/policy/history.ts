import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { parse } from "yaml";
import { readReleaseRecord, recordedReleases } from "./release-record";
import { ReleaseHistory } from "./rule";

const MAX_COMMITS = 200;

function git(cwd: string, args: string[], input?: string): Buffer | undefined {
  try {
    return execFileSync("git", args, { cwd, input, stdio: ["pipe", "pipe", "ignore"], maxBuffer: 256 * 1024 * 1024 });
  } catch {
    return undefined;
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
  /** Whether the whole history was read (a full clone). */
  readonly complete: boolean;
  /** Why history is missing or partial, when it is. */
  readonly reason?: "not a git checkout" | "a shallow clone";
}

/**
 * Release history from version control: every `release` value each environment file held in the
 * last commits that touched it (current pins are compared directly by the rules). Two git
 * processes in all, however long the history. Outside a git checkout there is none; a shallow
 * clone gives what its commits hold, which proves a release ran but cannot prove it did not.
 */
export function gitHistory(configDir: string | undefined): GitHistory {
  const seen = new Map<string, Set<string>>();
  const add = (env: string, releases: unknown): void => {
    if (!releases || typeof releases !== "object") return;
    for (const [svc, rel] of Object.entries(releases as Record<string, unknown>)) {
      const key = `${env}/${svc}`;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(String(rel));
    }
  };
  const releasesOf = (env: string, svc: string): ReadonlySet<string> => seen.get(`${env}/${svc}`) ?? new Set();
  const top = configDir ? git(configDir, ["rev-parse", "--show-toplevel"])?.toString().trim() : undefined;
  if (!configDir || !top) return { complete: false, reason: "not a git checkout", releasesOf };
  const shallow = git(configDir, ["rev-parse", "--is-shallow-repository"])?.toString().trim() !== "false";
  const envDir = path.relative(top, path.resolve(configDir, "environments")).split(path.sep).join("/");
  // Each commit that touched an environment file, with the files it touched.
  const log = git(top, ["log", `-n${MAX_COMMITS}`, "--format=@%H", "--name-only", "--", envDir])?.toString() ?? "";
  const wanted: { env: string; spec: string }[] = [];
  let sha = "";
  for (const line of log.split("\n")) {
    if (line.startsWith("@")) sha = line.slice(1);
    else if (line && path.posix.dirname(line) === envDir && /\.ya?ml$/.test(line)) wanted.push({ env: path.posix.basename(line).replace(/\.ya?ml$/, ""), spec: `${sha}:${line}` });
  }
  const out = wanted.length ? git(top, ["cat-file", "--batch"], wanted.map((w) => w.spec).join("\n") + "\n") : undefined;
  const missing = new Set((out ? out.toString("utf8") : "").split("\n").filter((l) => l.endsWith(" missing")).map((l) => l.slice(0, -" missing".length)));
  const texts = out ? batchContents(out) : [];
  const present = wanted.filter((w) => !missing.has(w.spec));
  present.forEach((w, i) => {
    try {
      add(w.env, (parse(texts[i] ?? "") as { release?: unknown } | null)?.release);
    } catch {
      // An old commit with broken YAML says nothing about releases.
    }
  });
  return shallow ? { complete: false, reason: "a shallow clone", releasesOf } : { complete: true, releasesOf };
}

/** The checked-out commit of the folder's git checkout, if it is one. */
export function gitHead(dir: string): string | undefined {
  const sha = git(dir, ["rev-parse", "--verify", "-q", "HEAD"])?.toString().trim();
  return sha && /^[0-9a-f]{7,64}$/.test(sha) ? sha : undefined;
}

/**
 * Past releases of every environment of an application folder, for promotion order: the release
 * record (`releases.yaml`, maintained by `envkit releases record`) together with git history.
 * Either source alone is enough: the record makes shallow clones and `git archive` copies work,
 * git history covers releases from before the record existed. Problems with the record come back
 * as `issues`, and an invalid record is not trusted.
 */
export function releaseHistory(configDir: string | undefined): ReleaseHistory {
  const fromGit = gitHistory(configDir);
  const loaded = configDir ? readReleaseRecord(configDir) : undefined;
  const record = loaded?.record;
  const searched: string[] = [];
  const unavailable: string[] = [];
  if (record) searched.push(loaded!.file);
  else if (loaded?.exists) unavailable.push(`the release record ${loaded.file} (it is invalid: ${loaded.issues.length} problem(s); "envkit releases list --config ${configDir}" lists them)`);
  else if (loaded) unavailable.push(`the release record ${loaded.file} (no such file)`);
  if (fromGit.complete) searched.push("git history");
  else unavailable.push(fromGit.reason === "a shallow clone" ? "full git history (a shallow clone; git fetch --unshallow reads it)" : "git history (not a git checkout)");
  return {
    available: Boolean(record) || fromGit.complete,
    searched,
    unavailable,
    issues: loaded?.issues ?? [],
    releasesOf: (env, svc) => new Set([...recordedReleases(record, env, svc).map((r) => r.release), ...fromGit.releasesOf(env, svc)]),
    recordHint: (env, svc) =>
      configDir
        ? `if "${env}" ran it, add it under environments.${env}.${svc} in ${loaded!.file}; "envkit releases record --config ${configDir} --env ${env}" records what "${env}" runs after each deploy`
        : `record the releases "${env}" runs with "envkit releases record --env ${env}" after each deploy`,
  };
}

/**
 * @deprecated Use {@link releaseHistory}; kept so existing callers read the release record too.
 * (It once read git history only; {@link gitHistory} still does.)
 */
export const gitReleaseHistory = releaseHistory;
