import { formatDuration } from "../model/duration";
import type { EnvironmentModel, ServiceModel } from "../model/environment";
import { AlertingRule, RecordingRule, RuleFile, RuleGroup } from "./rule-file";
import { MetricSelectors, promString } from "./selectors";

/*
 * Prometheus rules of one environment, generated from the model (the one source of thresholds:
 * `slo:`, `monitoring:`, each service's limits and metrics) and the target's selectors. What the
 * seeds got wrong and this does not copy (issue 15):
 * - CPU is a share of the CPU *limit* (rate of CPU seconds ÷ limit cores), not cores;
 * - memory is the working set ÷ the memory limit, emitted only where a limit exists (a missing
 *   limit reads 0 in cAdvisor, and x ÷ 0 is +Inf, which is above every threshold);
 * - down is `up == 0` per scrape target; `absent()` only per service, where it means "no target
 *   or container of this service exists at all" (over a broad selector it fires only when every
 *   container of the host is gone).
 */

/** How long a resource tier must hold before it fires (seed S0 L910-926: 5m). */
export const RESOURCE_FOR = "5m";
/** The rate window of CPU alerts. */
export const CPU_RATE_WINDOW = "5m";

/**
 * Multi-window, multi-burn-rate alerts (Google SRE Workbook, "Alerting on SLOs", table 5-8, for a
 * 30-day objective): burn factor, long and short window, severity. A page at 14.4× means 2% of
 * the month's budget in an hour; 6× means 5% in six hours; 1× over 3 days is a ticket (10%).
 */
export const BURN_RATE_WINDOWS = [
  { factor: 14.4, long: "1h", short: "5m", severity: "page" },
  { factor: 6, long: "6h", short: "30m", severity: "page" },
  { factor: 1, long: "3d", short: "6h", severity: "ticket" },
] as const;

/** Every window the burn-rate alerts read, recorded once each. */
export const RATIO_WINDOWS = ["5m", "30m", "1h", "6h", "3d"] as const;

/** A number as PromQL writes it, without binary floating-point noise (1 − 0.9995 = 0.0005). */
export function num(v: number): string {
  return String(+v.toPrecision(12));
}

/** The recorded error ratio of a service over `window`. */
export function errorRatioRecord(window: string): string {
  return `envkit_service:http_request_errors:ratio_rate${window}`;
}

/** The label matchers every generated series and alert of a service carries. */
function ownLabels(env: EnvironmentModel, svc?: ServiceModel): Record<string, string> {
  return { environment: env.name, ...(svc ? { service: svc.name } : {}) };
}

function matchers(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${promString(v)}`)
    .join(", ");
}

/** Which tiers a level alerts on: basic only the top one; standard and full every tier. */
function tiersOf(env: EnvironmentModel, t: { warning: number; critical: number; emergency: number }): { severity: string; percent: number }[] {
  const all = [
    { severity: "warning", percent: t.warning },
    { severity: "critical", percent: t.critical },
    { severity: "emergency", percent: t.emergency },
  ];
  return env.monitoring.level === "basic" ? all.slice(2) : all;
}

/** The alerting and recording rules of one environment, checked against the rule-file format. */
export function generateRules(env: EnvironmentModel, sel: MetricSelectors): RuleFile {
  const prefix = `${env.app}-${env.name}`;
  const availability: AlertingRule[] = [];
  const resources: AlertingRule[] = [];
  const recording: RecordingRule[] = [];
  const slo: AlertingRule[] = [];
  const downFor = formatDuration(env.monitoring.downAfterSeconds);
  const mon = env.monitoring;

  for (const svc of env.services) {
    const labels = ownLabels(env, svc);
    const base = { ...labels };
    // A service scaled to zero on purpose has nothing to watch (and would be "missing" forever).
    if (svc.replicas <= 0 && (svc.autoscaling?.minReplicas ?? 0) <= 0) continue;
    if (svc.metrics) {
      availability.push({
        alert: "ServiceTargetDown",
        expr: `up{${sel.scrape(svc)}} == 0`,
        for: downFor,
        labels: { ...base, severity: "critical" },
        annotations: {
          summary: `${svc.name} in ${env.name}: a scrape target is down`,
          description: `{{ $labels.instance }} of ${svc.name} has failed every scrape for ${downFor}.`,
        },
      });
      // Per service: fires when no target of this service is scraped at all (all replicas gone,
      // or discovery lost them) — the case `up == 0` cannot see, because there is no `up` then.
      availability.push({
        alert: "ServiceTargetsMissing",
        expr: `absent(up{${sel.scrape(svc)}})`,
        for: downFor,
        labels: { ...base, severity: "critical" },
        annotations: { summary: `${svc.name} in ${env.name}: no scrape target at all`, description: `Prometheus has no target for ${svc.name} (every replica is gone or undiscovered) for ${downFor}.` },
      });
    } else {
      availability.push({
        alert: "ServiceContainersMissing",
        expr: `absent(${sel.present(svc)})`,
        for: downFor,
        labels: { ...base, severity: "critical" },
        annotations: { summary: `${svc.name} in ${env.name}: no container running`, description: `No container of ${svc.name} has existed for ${downFor}.` },
      });
    }
    if (sel.notReady) {
      availability.push({
        alert: "ServiceReplicaNotReady",
        expr: sel.notReady(svc),
        for: downFor,
        labels: { ...base, severity: "critical" },
        annotations: { summary: `${svc.name} in ${env.name}: a replica is not ready`, description: `{{ $labels.pod }} of ${svc.name} has not been ready for ${downFor}.` },
      });
    }
    const window = formatDuration(mon.restarts.windowSeconds);
    availability.push({
      alert: "ServiceRestartLoop",
      expr: `${sel.restarts(svc, window)} > ${mon.restarts.count}`,
      labels: { ...base, severity: "warning" },
      annotations: { summary: `${svc.name} in ${env.name}: restart loop`, description: `A replica of ${svc.name} restarted more than ${mon.restarts.count} times within ${window} ({{ $value }}).` },
    });

    const by = sel.replicaLabels.join(", ");
    const cores = svc.resources.cpuLimitMillis / 1000;
    if (cores > 0) {
      for (const tier of tiersOf(env, mon.cpu)) {
        resources.push({
          alert: "ServiceCpuHigh",
          // A share of the limit: CPU seconds per second ÷ limit cores. At the limit the
          // container is throttled, so 100% is the ceiling, not a measurement error.
          expr: `100 * sum by (${by}) (rate(container_cpu_usage_seconds_total{${sel.containers(svc)}}[${CPU_RATE_WINDOW}])) / ${num(cores)} > ${num(tier.percent)}`,
          for: RESOURCE_FOR,
          labels: { ...base, severity: tier.severity },
          annotations: { summary: `${svc.name} in ${env.name}: CPU above ${tier.percent}% of its limit`, description: `A replica of ${svc.name} uses {{ $value | humanize }}% of its ${num(cores)}-core limit.` },
        });
      }
    }
    // Only where a limit exists: without one there is no share (and cAdvisor's 0 would divide to +Inf).
    const limit = svc.resources.memoryLimitBytes;
    if (limit > 0) {
      for (const tier of tiersOf(env, mon.memory)) {
        resources.push({
          alert: "ServiceMemoryHigh",
          // The working set is what the OOM killer counts (usage_bytes also counts the page cache).
          expr: `100 * max by (${by}) (container_memory_working_set_bytes{${sel.containers(svc)}}) / ${num(limit)} > ${num(tier.percent)}`,
          for: RESOURCE_FOR,
          labels: { ...base, severity: tier.severity },
          annotations: { summary: `${svc.name} in ${env.name}: memory above ${tier.percent}% of its limit`, description: `A replica of ${svc.name} holds {{ $value | humanize }}% of its memory limit; at 100% it is OOM-killed.` },
        });
      }
    }

    if (svc.metrics) {
      const m = svc.metrics;
      const all = `${m.requests}{${sel.scrape(svc)}}`;
      const errors = `${m.requests}{${sel.scrape(svc)}, ${m.statusLabel}=~"5.."}`;
      for (const w of RATIO_WINDOWS) {
        recording.push({ record: errorRatioRecord(w), expr: `sum(rate(${errors}[${w}])) / sum(rate(${all}[${w}]))`, labels: { ...labels } });
      }
      if (mon.level === "full") {
        const budget = 1 - env.slo.availability;
        for (const b of BURN_RATE_WINDOWS) {
          const threshold = num(b.factor * budget);
          slo.push({
            alert: "ErrorBudgetBurn",
            expr: `${errorRatioRecord(b.long)}{${matchers(labels)}} > ${threshold} and ${errorRatioRecord(b.short)}{${matchers(labels)}} > ${threshold}`,
            labels: { ...base, severity: b.severity, long_window: b.long, short_window: b.short },
            annotations: {
              summary: `${svc.name} in ${env.name}: error budget burning ${b.factor}× too fast`,
              description: `Errors over ${b.long} and ${b.short} exceed ${b.factor}× the ${num(budget * 100)}% budget of the ${num(env.slo.availability * 100)}% objective.`,
            },
          });
        }
        slo.push({
          alert: "ErrorRateHigh",
          expr: `${errorRatioRecord("5m")}{${matchers(labels)}} > ${num(env.slo.errorRate)}`,
          for: "5m",
          labels: { ...base, severity: "critical" },
          annotations: { summary: `${svc.name} in ${env.name}: error rate above ${num(env.slo.errorRate * 100)}%`, description: `{{ $value | humanizePercentage }} of requests to ${svc.name} fail (5xx).` },
        });
        slo.push({
          alert: "LatencyP99High",
          expr: `histogram_quantile(0.99, sum by (le) (rate(${m.latency}_bucket{${sel.scrape(svc)}}[5m]))) > ${num(env.slo.latencyP99Seconds)}`,
          for: "10m",
          labels: { ...base, severity: "warning" },
          annotations: { summary: `${svc.name} in ${env.name}: P99 latency above ${formatDuration(env.slo.latencyP99Seconds)}`, description: `The 99th percentile of ${svc.name}'s request latency is {{ $value | humanizeDuration }}.` },
        });
      }
    }
  }

  const disk: AlertingRule[] = [];
  for (const d of sel.disk(env)) {
    const tiers = mon.level === "basic" ? [{ severity: "critical", percent: mon.disk.critical }] : [
      { severity: "warning", percent: mon.disk.warning },
      { severity: "critical", percent: mon.disk.critical },
    ];
    for (const t of tiers) {
      disk.push({
        alert: "DiskUsageHigh",
        expr: `100 * ${d.expr} > ${num(t.percent)}`,
        for: RESOURCE_FOR,
        labels: { ...ownLabels(env), ...(d.service ? { service: d.service } : {}), severity: t.severity },
        annotations: { summary: `${env.name}: ${d.what} above ${t.percent}% full`, description: `${d.what} is {{ $value | humanize }}% full.` },
      });
    }
  }

  const groups: RuleGroup[] = [];
  if (recording.length) groups.push({ name: `${prefix}-slo-recording`, rules: recording });
  if (availability.length) groups.push({ name: `${prefix}-availability`, rules: availability });
  if (resources.length || disk.length) groups.push({ name: `${prefix}-resources`, rules: [...resources, ...disk] });
  if (slo.length) groups.push({ name: `${prefix}-slo`, rules: slo });
  // Typed by construction; the tests check every generated file against RuleFileSchema (a zod
  // pass here cost ~150 ms per environment at 1,000 services).
  return { groups };
}

/** Every PromQL expression of a rule file (for checks and tests). */
export function expressionsOf(file: RuleFile): string[] {
  return file.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Words a YAML 1.1 or 1.2 reader could take for a boolean or null when plain. */
const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

/**
 * One string as a YAML scalar a person can read: plain for names and words, single-quoted for
 * other printable one-line text (PromQL, summaries: only `'` is doubled, backslashes stay), and
 * double-quoted with escapes otherwise (line breaks, controls; DEL and the C1 controls but NEL
 * escaped too, since YAML does not let them stand in a document).
 */
function scalar(text: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_.\-/:]*$/.test(text) && !text.endsWith(":") && !YAML_WORDS.test(text)) return text;
  if (/^[\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd]+$/.test(text) && !/^\s|\s$/.test(text)) return `'${text.replace(/'/g, "''")}'`;
  return JSON.stringify(text).replace(/[\u007f-\u0084\u0086-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `key: "value"` lines of a string map, at `indent`. */
function mapLines(out: string[], indent: string, key: string, map: Readonly<Record<string, string>> | undefined): void {
  if (!map) return;
  const keys = Object.keys(map);
  if (keys.length === 0) {
    out.push(`${indent}${key}: {}`);
    return;
  }
  out.push(`${indent}${key}:`);
  for (const k of keys) out.push(`${indent}  ${scalar(k)}: ${scalar(map[k])}`);
}

/**
 * The rule file as YAML, keys in the format's order, long expressions never folded.
 * Written directly rather than through a YAML library's document model: at 1,000 services the
 * generic stringifier took over a second per environment for this one fixed shape. The tests parse
 * the output back with a YAML parser (equal to the input, for arbitrary strings) and promtool.
 */
export function renderRules(file: RuleFile): string {
  if (file.groups.length === 0) return "groups: []\n";
  const out = ["groups:"];
  for (const g of file.groups) {
    out.push(`  - name: ${scalar(g.name)}`);
    if (g.interval !== undefined) out.push(`    interval: ${scalar(g.interval)}`);
    out.push("    rules:");
    for (const r of g.rules) {
      const head = "record" in r ? `record: ${scalar(r.record)}` : `alert: ${scalar(r.alert)}`;
      out.push(`      - ${head}`, `        expr: ${scalar(r.expr)}`);
      if ("alert" in r) {
        if (r.for !== undefined) out.push(`        for: ${scalar(r.for)}`);
        mapLines(out, "        ", "labels", r.labels);
        mapLines(out, "        ", "annotations", r.annotations);
      } else mapLines(out, "        ", "labels", r.labels);
    }
  }
  return out.join("\n") + "\n";
}
