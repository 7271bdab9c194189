import { z } from "zod";

/*
 * The Prometheus rule-file format (prometheus/prometheus model/rulefmt/rulefmt.go: RuleGroups,
 * RuleGroup, RuleNode): `groups[]` of `name`, optional `interval`, and `rules[]`, each either an
 * alerting rule (`alert`, `expr`, optional `for`, `labels`, `annotations`) or a recording rule
 * (`record`, `expr`, optional `labels`). The generator's types follow this schema, and the tests
 * check every generated file (of every reference environment, and generated inputs) with it.
 */

const PromDuration = z.string().regex(/^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/).refine((v) => v !== "", "an empty duration");
const LabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
const MetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);

/** An alerting rule. */
export const AlertingRuleSchema = z.strictObject({
  alert: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/),
  expr: z.string().min(1),
  for: PromDuration.optional(),
  labels: z.record(LabelName, z.string()).optional(),
  annotations: z.record(LabelName, z.string()).optional(),
});

/** A recording rule (no `for`, no annotations). */
export const RecordingRuleSchema = z.strictObject({
  record: MetricName,
  expr: z.string().min(1),
  labels: z.record(LabelName, z.string()).optional(),
});

/** One rule group; names are unique within a file. */
export const RuleGroupSchema = z.strictObject({
  name: z.string().min(1),
  interval: PromDuration.optional(),
  rules: z.array(z.union([AlertingRuleSchema, RecordingRuleSchema])).min(1),
});

/** A whole rule file. */
export const RuleFileSchema = z.strictObject({ groups: z.array(RuleGroupSchema) }).check((ctx) => {
  const seen = new Set<string>();
  ctx.value.groups.forEach((g, i) => {
    if (seen.has(g.name)) ctx.issues.push({ code: "custom", message: `group "${g.name}" is declared twice`, input: g.name, path: ["groups", i, "name"] });
    seen.add(g.name);
  });
});

/** An alerting rule. */
export type AlertingRule = z.infer<typeof AlertingRuleSchema>;
/** A recording rule. */
export type RecordingRule = z.infer<typeof RecordingRuleSchema>;
/** A rule group. */
export type RuleGroup = z.infer<typeof RuleGroupSchema>;
/** A rule file. */
export type RuleFile = z.infer<typeof RuleFileSchema>;
