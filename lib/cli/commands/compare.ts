import { formatIssue, sortIssues } from "../../errors";
import { configErrors, validateDir } from "../../pipeline";
import { releaseHistory } from "../../policy/history";
import { compareEnvironments, compareMatrix, comparisonMarkdown, matrixMarkdown } from "../../review/compare";
import { truncateAtSections } from "../../review/truncate";
import { CliIO, EXIT, UsageError } from "../io";

export const COMPARE_HELP = `Usage: envkit compare --config DIR [ENV...] [--format markdown|json] [--max-bytes N]

Lists what differs between environments' effective configuration (replicas, resources, releases,
target, quotas, network edges, policy enforcement and suppressions).

With two environments (envkit compare --config DIR staging prod): every difference, what is
identical, and the releases ENV_B runs that ENV_A (its predecessor) never ran: not ENV_A's pin
now, not in the release record (DIR/releases.yaml, see envkit releases) and not in git history
when available.

With three or more (envkit compare --config DIR dev test staging prod), or none (every
environment, each after the one it is promoted from): a matrix, one row per setting that is not
the same everywhere and one column per environment, in the order given; connections allowed in
some environments only; and, for each environment promoted from another one compared
(promotion.from), the releases that one never ran.

--max-bytes N cuts the markdown at a section boundary (never inside a table) to fit N bytes.

Exit codes: 0 printed, 1 invalid config or an unknown environment, 2 usage.`;

/** Options of {@link compareCommand}, as given on the command line. */
export interface CompareOptions {
  readonly config: string;
  /** The environments, in column order; none means every environment. */
  readonly envs?: readonly string[];
  /** The two-environment form's names (kept for callers of the earlier signature). */
  readonly a?: string;
  readonly b?: string;
  readonly format?: string;
  readonly maxBytes?: string;
}

/** Every environment, in the folder's order, each moved after the one it is promoted from. */
function promotionOrder(names: readonly string[], from: (n: string) => string | undefined): string[] {
  const order = [...names];
  // Bounded: each pass moves an environment after its predecessor; a cycle cannot pass validation.
  for (let pass = 0; pass < names.length; pass++) {
    let moved = false;
    for (const n of [...order]) {
      const p = from(n);
      const i = order.indexOf(n);
      const j = p === undefined ? -1 : order.indexOf(p);
      if (j > i) {
        order.splice(i, 1);
        order.splice(j, 0, n);
        moved = true;
      }
    }
    if (!moved) break;
  }
  return order;
}

export function compareCommand(opts: CompareOptions, io: CliIO): number {
  const format = opts.format ?? "markdown";
  if (format !== "markdown" && format !== "json") throw new UsageError(`--format must be markdown or json (got "${format}")`);
  const maxBytes = opts.maxBytes === undefined ? undefined : Number(opts.maxBytes);
  if (maxBytes !== undefined && (!/^\d+$/.test(opts.maxBytes!) || maxBytes < 200)) throw new UsageError(`--max-bytes must be an integer of at least 200 (got "${opts.maxBytes}")`);
  const given = opts.envs ?? [opts.a, opts.b].filter((x): x is string => x !== undefined);
  if (given.length === 1) throw new UsageError(`compare needs at least two environments (got only "${given[0]}"), or none for every environment`);
  const dup = given.find((n, i) => given.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`environment "${dup}" is named twice; name each environment once`);
  const project = validateDir(opts.config);
  const errors = configErrors(project);
  const find = (n: string) => project.environments.find((e) => e.model.name === n);
  const all = project.environments.map((e) => e.model.name);
  for (const n of given) if (!find(n) && errors.length === 0) errors.push({ file: opts.config, path: "", message: `no environment "${n}"; found: ${all.join(", ")}` });
  const names = given.length ? given : promotionOrder(all, (n) => find(n)?.model.promotedFrom);
  if (errors.length === 0 && names.length < 2) errors.push({ file: opts.config, path: "", message: `holds ${names.length} environment(s) (${names.join(", ") || "none"}); compare needs at least two` });
  if (errors.length > 0) {
    for (const i of sortIssues(errors)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const history = releaseHistory(opts.config);
  if (history.issues?.length) {
    // An invalid record is not trusted; say why instead of flagging releases that may have run.
    for (const i of sortIssues(history.issues)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const envs = names.map((n) => find(n)!);
  let text: string;
  if (envs.length === 2) {
    const c = compareEnvironments(envs[0], envs[1], history);
    text = format === "json" ? JSON.stringify(c, null, 2) : comparisonMarkdown(c);
  } else {
    const m = compareMatrix(envs, history);
    text = format === "json" ? JSON.stringify(m, null, 2) : matrixMarkdown(m);
  }
  io.out(format === "markdown" && maxBytes !== undefined ? truncateAtSections(text, maxBytes, { fullReport: "the JSON output (`envkit compare --format json`)" }) : text);
  return EXIT.ok;
}
