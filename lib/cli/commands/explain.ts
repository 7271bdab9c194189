import { isPlainObject } from "../../config/merge";
import { didYouMean } from "../../config/suggest";
import { formatIssue, sortIssues } from "../../errors";
import { itemKey } from "../../config/yaml-source";
import { configErrors, validateDir } from "../../pipeline";
import { ValueOrigin } from "../../config/resolve";
import { CliIO, EXIT, UsageError } from "../io";

export const EXPLAIN_HELP = `Usage: envkit explain --config DIR --env NAME [PATH]

Prints the effective value at PATH for one environment (after layering the environment file over
app.yaml and applying defaults) and where every value came from: "file:line", or "default" with
where the default is defined and why. Items of named lists are addressed by name:
  envkit explain --config examples/reference-app --env prod services.api.replicas
  envkit explain --config examples/reference-app --env dev services.db.security
Without PATH, explains the whole environment.

Exit codes: 0 printed, 1 invalid config or unknown path, 2 usage.`;

function describe(o: ValueOrigin | undefined): string {
  if (!o) return "(unknown)";
  if (o.kind === "file") return `${o.file}${o.line ? `:${o.line}` : ""}`;
  return `default (${o.where}: ${o.rule} — ${o.doc})`;
}

export function explainCommand(opts: { config: string; env?: string; path?: string }, io: CliIO): number {
  if (!opts.env) throw new UsageError("explain needs --env NAME");
  const project = validateDir(opts.config, opts.env);
  const errors = configErrors(project);
  if (errors.length > 0 || project.environments.length === 0) {
    for (const i of sortIssues(errors)) io.err(formatIssue(i));
    return EXIT.invalid;
  }
  const env = project.environments[0];
  const segs = opts.path ? opts.path.split(".").filter(Boolean) : [];
  let cur: unknown = env.model.effective;
  const walked: (string | number)[] = [];
  for (const seg of segs) {
    let next: unknown;
    let keys: string[] = [];
    if (Array.isArray(cur)) {
      keys = cur.map((item, i) => String(itemKey(item, i)));
      const idx = keys.indexOf(seg);
      next = idx >= 0 ? cur[idx] : undefined;
    } else if (isPlainObject(cur)) {
      keys = Object.keys(cur);
      // Own keys only: "constructor" or "toString" is no setting (it printed `= undefined`).
      next = Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    }
    if (next === undefined) {
      io.err(`${opts.config}: ${[...walked, seg].join(".")}: no such setting in environment "${env.model.name}"${didYouMean(seg, keys)}${keys.length ? `; here: ${keys.join(", ")}` : ""}`);
      return EXIT.invalid;
    }
    walked.push(seg);
    cur = next;
  }
  const lines: string[] = [];
  const visit = (value: unknown, at: (string | number)[]): void => {
    const isLeafList = Array.isArray(value) && !value.some((v) => isPlainObject(v));
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const k of Object.keys(value)) visit(value[k], [...at, k]);
    } else if (Array.isArray(value) && !isLeafList && value.length > 0) {
      value.forEach((item, i) => visit(item, [...at, itemKey(item, i)]));
    } else {
      // A connection skipped here (its server is not deployed) says so on each of its lines.
      const key = at.join(".");
      const skipped = env.model.skippedConnections?.find((c) => key === c.path || key.startsWith(`${c.path}.`));
      // A service's own variable that replaced a shared one (`env:`) shows both.
      const shadowed = env.provenance.shadowed(at);
      const over = shadowed ? ` (over env.${at[at.length - 1]} = ${JSON.stringify((env.model.effective.env as Record<string, unknown> | undefined)?.[String(at[at.length - 1])])} from ${describe(shadowed)})` : "";
      lines.push(`${key || "(root)"} = ${JSON.stringify(value)}    # ${describe(env.provenance.origin(at))}${over}${skipped ? `; ${skipped.note}` : ""}`);
    }
  };
  visit(cur, walked);
  io.out(lines.join("\n"));
  return EXIT.ok;
}
