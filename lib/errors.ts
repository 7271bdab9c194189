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

/** Formats one issue as the single line the CLI prints. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ""}: ` : "";
  const prefix = issue.severity === "warning" ? "warning: " : "";
  return `${where}${prefix}${issue.path ? `${issue.path}: ` : ""}${issue.message}`;
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
