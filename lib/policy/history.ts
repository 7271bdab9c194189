import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { parse } from "yaml";
import { ReleaseHistory } from "./rule";

const MAX_COMMITS = 200;

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

/**
 * Release history from version control: every `release` value each environment file held in the
 * last commits that touched it, plus the working tree. Unavailable outside a git checkout or in a
 * shallow clone (then only current pins count, and findings say so).
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
    const top = git(configDir, ["rev-parse", "--show-toplevel"])?.trim();
    const shallow = git(configDir, ["rev-parse", "--is-shallow-repository"])?.trim();
    if (top && shallow === "false") {
      available = true;
      const envDir = path.relative(top, path.resolve(configDir, "environments")).split(path.sep).join("/");
      const log = git(top, ["log", `-n${MAX_COMMITS}`, "--format=%H", "--", envDir]) ?? "";
      for (const sha of log.split("\n").filter(Boolean)) {
        const files = git(top, ["ls-tree", "--name-only", sha, `${envDir}/`]) ?? "";
        for (const f of files.split("\n").filter((x) => /\.ya?ml$/.test(x))) {
          const text = git(top, ["show", `${sha}:${f}`]);
          if (!text) continue;
          try {
            add(path.basename(f).replace(/\.ya?ml$/, ""), (parse(text) as { release?: unknown } | null)?.release);
          } catch {
            // An old commit with broken YAML says nothing about releases.
          }
        }
      }
    }
  }
  return { available, releasesOf: (env, svc) => seen.get(`${env}/${svc}`) ?? new Set() };
}
