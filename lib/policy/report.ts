import { Finding, PolicyReport, SuppressedFinding } from "./engine";
import { RULES } from "./rules";
import { visibleLine } from "../errors";

/** Readable table for terminals and logs; suppressions are always listed. */
export function toText(report: PolicyReport): string {
  const lines: string[] = [];
  const row = (f: Finding): string => `${f.severity.padEnd(7)} ${f.rule}  ${f.env.padEnd(8)} ${f.file ? `${f.file}${f.line ? `:${f.line}` : ""} ` : ""}${f.path}\n        ${f.message}\n        fix: ${f.fix}`;
  if (report.findings.length === 0) lines.push("no findings");
  else lines.push(`${report.findings.length} finding(s):`, ...report.findings.map(row));
  lines.push("", report.suppressed.length ? `${report.suppressed.length} suppressed finding(s):` : "no suppressions in use");
  for (const s of report.suppressed) lines.push(`suppressed ${s.rule}  ${s.env.padEnd(8)} ${s.path}\n        reason: ${visibleLine(s.reason)}${s.expires ? ` (expires ${s.expires})` : ""}`);
  const errors = report.findings.filter((f) => f.severity === "error").length;
  lines.push("", `${errors} mandatory, ${report.findings.length - errors} advisory, ${report.suppressed.length} suppressed`);
  return lines.join("\n");
}

const pick = (f: Finding) => ({ rule: f.rule, severity: f.severity, env: f.env, path: f.path, message: f.message, fix: f.fix, ...(f.file ? { file: f.file, line: f.line } : {}) });

/** `{ "findings": [ { rule, severity, env, path, message, fix } ], "suppressed": [...] }` */
export function toJson(report: PolicyReport): string {
  return JSON.stringify(
    {
      findings: report.findings.map(pick),
      suppressed: report.suppressed.map((s: SuppressedFinding) => ({ ...pick(s), reason: s.reason, ...(s.expires ? { expires: s.expires } : {}) })),
    },
    null,
    2,
  );
}

/** SARIF 2.1.0 for code-scanning upload; suppressed findings carry a `suppressions` entry. */
export function toSarif(report: PolicyReport, version: string): string {
  const result = (f: Finding, suppressed?: SuppressedFinding) => ({
    ruleId: f.rule,
    ruleIndex: RULES.findIndex((r) => r.id === f.rule),
    level: f.severity === "error" ? "error" : "warning",
    message: { text: `${f.env}: ${f.path}: ${f.message}. Fix: ${f.fix}` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: encodeURI((f.file ?? "app.yaml").split("\\").join("/")) }, ...(f.line ? { region: { startLine: f.line } } : {}) },
        logicalLocations: [{ name: f.path, kind: "resource" }],
      },
    ],
    properties: { environment: f.env },
    ...(suppressed ? { suppressions: [{ kind: "inSource", justification: suppressed.reason }] } : {}),
  });
  return JSON.stringify(
    {
      $schema: "https://json.schemastore.org/sarif-2.1.0.json",
      version: "2.1.0",
      runs: [
        {
          tool: {
            driver: {
              name: "envkit",
              version,
              informationUri: "https://www.npmjs.com/package/envkit",
              rules: RULES.map((r) => ({
                id: r.id,
                name: r.title.replace(/[^A-Za-z0-9]+/g, " ").trim().split(" ").map((w) => w[0].toUpperCase() + w.slice(1)).join(""),
                shortDescription: { text: r.title },
                fullDescription: { text: r.rationale },
                help: { text: r.fix, markdown: `${r.fix}\n\nReferences: ${r.references.join("; ")}` },
                defaultConfiguration: { level: "error" },
              })),
            },
          },
          results: [...report.findings.map((f) => result(f)), ...report.suppressed.map((s) => result(s, s))],
        },
      ],
    },
    null,
    2,
  );
}

/** The rule catalogue (docs/rules.md), generated from the rule definitions. */
export function ruleCatalogue(): string {
  const out = [
    "# Guardrail rule catalogue",
    "",
    "Generated from `lib/policy/rules.ts` by `npm run docs:rules`; a test fails when this file and the code disagree.",
    "",
    "Severity follows the environment's `policy.enforcement`: `mandatory` findings are errors (validate and synth fail), `advisory` findings are warnings.",
    "",
    "| id | title | pass | applies | suppressible |",
    "|---|---|---|---|---|",
    ...RULES.map((r) => `| ${r.id} | ${r.title} | ${r.pass} | ${r.productionOnly ? "mandatory environments" : "every environment"}${r.alsoConfigError ? "; also a config error everywhere" : ""} | ${r.unsuppressible ? "no" : "yes"} |`),
    "",
  ];
  for (const r of RULES) {
    out.push(`## ${r.id}: ${r.title}`, "", `**Why.** ${r.rationale}`, "", `**Fix.** ${r.fix}`, "", `**References.** ${r.references.join("; ")}`, "");
  }
  return out.join("\n");
}
