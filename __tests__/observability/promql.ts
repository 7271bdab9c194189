import { parser } from "@prometheus-io/lezer-promql";

/** Every error node of a PromQL parse (Prometheus' own lezer grammar), as `position: text`. */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`${n.from}: ${JSON.stringify(expr.slice(Math.max(0, n.from - 10), n.to + 10))}`);
    },
  });
  return errors;
}
