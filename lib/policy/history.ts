import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { parse } from "yaml";
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

/**
 * Release history from version control: every `release` value each environment file held in the
 * last commits that touched it (current pins are compared directly by the rules). Two git
 * processes in all, however long the history. Unavailable outside a git checkout or in a shallow
 * clone; then only current pins count, and findings say so.
 */
export function gitReleaseHistory(configDir: string | undefined): ReleaseHistory {
  const seen = new Map<string, Set<string>>();
  const add = (env: string, releases: unknown): void => {
    if (!releases || typeof releases !== "object") return;
    for (const [svc, rel] of Object.entries(releases as Record<string, unknown>)) {
      const key = `${env}/${svc}`;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(String(rel));
    }
  };
  let available = false;
  if (configDir) {
    const top = git(configDir, ["rev-parse", "--show-toplevel"])?.toString().trim();
    const shallow = git(configDir, ["rev-parse", "--is-shallow-repository"])?.toString().trim();
    if (top && shallow === "false") {
      available = true;
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
    }
  }
  return { available, releasesOf: (env, svc) => seen.get(`${env}/${svc}`) ?? new Set() };
}
