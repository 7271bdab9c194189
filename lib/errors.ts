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
 * tab and line feed (ESC starts an ANSI sequence, CR overwrites the line), DEL, C1 controls, every
 * format character (Unicode category Cf: zero-width spaces, the bidirectional marks, overrides and
 * isolates of "Trojan Source", U+061C, the soft hyphen, the byte-order mark, the invisible tag
 * characters U+E0000–E007F …) but the zero-width joiner and non-joiner that emoji sequences and
 * Persian or Indic words need, line and paragraph separators, and the invisible fillers (U+034F,
 * the Hangul fillers, the Khmer inherent vowels). The one-line form adds the line feed.
 */
const UNSHOWABLE = /(?![\u200c\u200d])[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u2028\u2029\u3164\uffa0]/gu;
const UNSHOWABLE_IN_LINE = /(?![\u200c\u200d])[\u0000-\u0008\u000a-\u001f\u007f-\u009f\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u2028\u2029\u3164\uffa0]/gu;

/** `c` as `\uXXXX` per UTF-16 unit (a surrogate pair above U+FFFF), as JSON writes it. */
const escapeUnits = (c: string): string => {
  let out = "";
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return out;
};

function escapeMatching(text: string, re: RegExp): string {
  re.lastIndex = 0;
  if (!re.test(text)) return text;
  return text.replace(re, escapeUnits);
}

/**
 * `text` with every character of {@link UNSHOWABLE} written as its `\uXXXX` escape, so that a
 * value from a hostile file (a pull request's config or stack) shows as what it is in a terminal
 * or a review comment, never as a colour change, a rewritten line, hidden or reordered text. In
 * JSON text the escape means the same character, so JSON output stays the same document.
 * Idempotent. A literal backslash-u in a value prints as written, like the escape.
 */
export function visibleText(text: string): string {
  return escapeMatching(text, UNSHOWABLE);
}

/**
 * {@link visibleText} for what must stay one line (a message, a reason in a list): a line feed
 * is escaped too, so no value can start a line of its own — a forged `valid:` line, or a CI
 * runner's `::error` workflow command.
 */
export function visibleLine(text: string): string {
  return escapeMatching(text, UNSHOWABLE_IN_LINE);
}

/** Formats one issue as the single line the CLI prints (see {@link visibleLine}). */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ""}: ` : "";
  const prefix = issue.severity === "warning" ? "warning: " : "";
  return visibleLine(`${where}${prefix}${issue.path ? `${issue.path}: ` : ""}${issue.message}`);
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
