/** Where a problem was found: a config file (with line) or a construct path. */
export interface IssueLocation {
  /** File path as given by the user (relative when they gave it relative). */
  readonly file?: string;
  /** 1-based line in `file`. */
  readonly line?: number;
  /** Dotted path of the offending field, e.g. `services.api.resources.memory`. */
  readonly path: string;
}

/** One problem with the user's input. Rendered as `file:line: path: message`. */
export interface ConfigIssue extends IssueLocation {
  readonly message: string;
  /** `error` stops validate/synth; `warning` is printed and the run continues. */
  readonly severity?: "error" | "warning";
}

/**
 * Characters that act on a terminal or hide text from a reader rather than show: C0 controls but
 * tab and line feed (ESC starts an ANSI sequence, CR overwrites the line), DEL, C1 controls, and
 * the invisible and bidirectional format characters (zero-width spaces, the LRE…RLO overrides
 * and isolates of "Trojan Source", line and paragraph separators, the byte-order mark).
 */
const UNSHOWABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * `text` with every character of {@link UNSHOWABLE} written as its `\uXXXX` escape, so that a
 * value from a hostile file (a pull request's config or stack) shows as what it is in a terminal
 * or a review comment, never as a colour change, a rewritten line or reordered text. In JSON text
 * the escape means the same character, so JSON output stays the same document. Idempotent.
 */
export function visibleText(text: string): string {
  UNSHOWABLE.lastIndex = 0;
  if (!UNSHOWABLE.test(text)) return text;
  return text.replace(UNSHOWABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Formats one issue as the single line the CLI prints (see {@link visibleText}). */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ""}: ` : "";
  const prefix = issue.severity === "warning" ? "warning: " : "";
  return visibleText(`${where}${prefix}${issue.path ? `${issue.path}: ` : ""}${issue.message}`);
}

/** Issues in reading order: by file, then line (issues without a file or line keep their place last). */
export function sortIssues(issues: readonly ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.file ?? "\uffff").localeCompare(b.issue.file ?? "\uffff") || (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.index - b.index)
    .map((x) => x.issue);
}

/**
 * The single error type of envkit. It carries every problem found (never just the first), each
 * naming the file or construct path, the field, the bad value and the fix.
 */
export class EnvkitError extends Error {
  public readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[] | string) {
    const list: ConfigIssue[] = typeof issues === "string" ? [{ path: "", message: issues }] : sortIssues(issues);
    super(list.map(formatIssue).join("\n"));
    this.name = "EnvkitError";
    this.issues = list;
  }
}
