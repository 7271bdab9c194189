import type { ReviewMeta } from "./stack-diff";

/**
 * The review header's facts: commit, base and head refs, and the CI run link, from flags first,
 * then GitHub Actions' environment (GITHUB_SHA, GITHUB_BASE_REF/GITHUB_HEAD_REF or GITHUB_REF,
 * GITHUB_SERVER_URL + GITHUB_REPOSITORY + GITHUB_RUN_ID). A run link is kept only when it is an
 * https URL, so nothing else becomes a link in the comment.
 */
export function reviewMeta(flags: { commit?: string; base?: string; head?: string; runUrl?: string }, env: NodeJS.ProcessEnv = process.env): ReviewMeta {
  const server = env.GITHUB_SERVER_URL;
  const repo = env.GITHUB_REPOSITORY;
  const run = env.GITHUB_RUN_ID;
  const fromEnv = server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
  const runUrl = flags.runUrl ?? fromEnv;
  return {
    commit: flags.commit ?? env.GITHUB_SHA,
    base: flags.base ?? env.GITHUB_BASE_REF,
    head: flags.head ?? (env.GITHUB_HEAD_REF || env.GITHUB_REF),
    runUrl: runUrl && /^https:\/\/[^\s()<>]+$/.test(runUrl) ? runUrl : undefined,
  };
}
