/*
 * Markdown text helpers shared by everything that writes report sentences (consequences, setting
 * banners, the comment itself): values from stacks go into code spans that no backtick inside can
 * close, or are escaped, so a report line is GitHub-safe whatever the stack holds.
 */

/** Text outside code: GFM inline syntax and HTML escaped, on one line. */
export function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]<>|~&]/g, (c) => (c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === "&" ? "&amp;" : `\\${c}`)).replace(/\r?\n/g, " ");
}

/** An inline code span that no backtick in `s` can close early (one line). */
export function codeSpan(s: string): string {
  const one = s.replace(/\r?\n/g, " ");
  const runs = one.match(/`+/g) ?? [];
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = one.startsWith("`") || one.endsWith("`") || one === "" ? " " : "";
  return `${fence}${pad}${one}${pad}${fence}`;
}
