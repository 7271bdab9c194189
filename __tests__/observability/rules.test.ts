import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { EnvironmentModel } from "../../lib/model/environment";
import { RuleFile, RuleFileSchema } from "../../lib/observability/rule-file";
import { BURN_RATE_WINDOWS, expressionsOf, generateRules, renderRules } from "../../lib/observability/rules";
import { MetricSelectors } from "../../lib/observability/selectors";
import { dockerSelectors } from "../../lib/targets/docker/docker-metrics";
import { kubernetesSelectors } from "../../lib/targets/kubernetes/kubernetes-metrics";
import { k8sEnv, miniApp, model, referenceEnvironments } from "../helpers";
import { promqlErrors } from "./promql";
import fc from "fast-check";
import { parse } from "yaml";

/** The mini app with metrics on its api. */
function withApiMetrics() {
  const a = miniApp();
  return { ...a, services: { ...a.services, api: { ...a.services.api, metrics: { port: "http" } } } };
}

const SELECTORS: Record<string, (env: EnvironmentModel) => MetricSelectors> = { docker: dockerSelectors, kubernetes: kubernetesSelectors };
const reference = referenceEnvironments().map((e) => e.model);
/** Every reference environment with every target's selectors: the generator is target-neutral. */
const cases: [string, string, RuleFile][] = reference.flatMap((env) => Object.entries(SELECTORS).map(([t, sel]): [string, string, RuleFile] => [env.name, t, generateRules(env, sel(env))]));
const rulesOf = (env: string, target = "kubernetes"): RuleFile => cases.find(([e, t]) => e === env && t === target)![2];
const alerts = (file: RuleFile, name: string) => file.groups.flatMap((g) => g.rules).filter((r): r is Extract<typeof r, { alert: string }> => "alert" in r && r.alert === name);

describe("generated Prometheus rules", () => {
  it("the parse check can fail: a broken expression has error nodes", () => {
    expect(promqlErrors("sum(rate(x[5m])")).not.toEqual([]);
    expect(promqlErrors("up == 0")).toEqual([]);
  });

  it.each(cases.map(([e, t, f]) => [e, t, f] as const))("%s with %s selectors: every expression parses as PromQL", (_e, _t, file) => {
    const exprs = expressionsOf(file);
    expect(exprs.length).toBeGreaterThan(5);
    for (const expr of exprs) expect({ expr, errors: promqlErrors(expr) }).toEqual({ expr, errors: [] });
  });

  it.each(cases.map(([e, t, f]) => [e, t, f] as const))("%s with %s selectors: the file is a valid rule file", (_e, _t, file) => {
    expect(RuleFileSchema.safeParse(file).success).toBe(true);
  });

  it("the rule-file schema refuses an alert without expr and a rule with both alert and for-less record", () => {
    expect(RuleFileSchema.safeParse({ groups: [{ name: "g", rules: [{ alert: "A" }] }] }).success).toBe(false);
    expect(RuleFileSchema.safeParse({ groups: [{ name: "g", rules: [{ record: "r", expr: "up", for: "5m" }] }] }).success).toBe(false);
    expect(RuleFileSchema.safeParse({ groups: [{ name: "g", rules: [{ record: "r", expr: "up" }] }, { name: "g", rules: [{ record: "r", expr: "up" }] }] }).success).toBe(false);
  });

  const promtool = spawnSync("promtool", ["--version"]).status === 0;
  (promtool ? it : it.skip)("promtool check rules accepts every generated file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-rules-"));
    try {
      const files = cases.map(([e, t, f]) => {
        const file = path.join(dir, `${e}-${t}.rules.yml`);
        fs.writeFileSync(file, renderRules(f));
        return file;
      });
      const out = execFileSync("promtool", ["check", "rules", ...files], { encoding: "utf8" });
      expect(out).toMatch(/SUCCESS/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  if (!promtool) {
    it("promtool is missing: SKIPPED `promtool check rules` (apt-get install -y prometheus gives /usr/bin/promtool)", () => {
      console.warn("SKIPPED: promtool not found; `promtool check rules` did not run. Install it with: apt-get install -y prometheus");
    });
  }
});

describe("thresholds per environment (the reference app's levels)", () => {
  const apiLimitCores = (env: string): number => reference.find((e) => e.name === env)!.services.find((s) => s.name === "api")!.resources.cpuLimitMillis / 1000;

  it("CPU is a share of the limit: rate of CPU seconds divided by the service's limit cores", () => {
    for (const env of ["dev", "prod"]) {
      const cpu = alerts(rulesOf(env), "ServiceCpuHigh").filter((r) => r.labels?.service === "api");
      expect(cpu.length).toBeGreaterThan(0);
      for (const r of cpu) expect(r.expr).toContain(`(rate(container_cpu_usage_seconds_total{namespace="shop-${env}", container="api"}[5m])) / ${apiLimitCores(env)} >`);
    }
  });

  it("basic (dev) alerts only on the top tier; standard (test) and full (prod) on every tier: CPU 70/85/95, memory 80/85/90", () => {
    const tiers = (env: string, alert: string) => alerts(rulesOf(env), alert).filter((r) => r.labels?.service === "api").map((r) => [r.labels!.severity, Number(/> ([\d.]+)$/.exec(r.expr)![1])]);
    expect(tiers("dev", "ServiceCpuHigh")).toEqual([["emergency", 95]]);
    expect(tiers("dev", "ServiceMemoryHigh")).toEqual([["emergency", 90]]);
    for (const env of ["test", "prod"]) {
      expect(tiers(env, "ServiceCpuHigh")).toEqual([["warning", 70], ["critical", 85], ["emergency", 95]]);
      expect(tiers(env, "ServiceMemoryHigh")).toEqual([["warning", 80], ["critical", 85], ["emergency", 90]]);
    }
  });

  it("burn-rate alerts only where the level is full, with thresholds from each environment's availability", () => {
    expect(alerts(rulesOf("dev"), "ErrorBudgetBurn")).toEqual([]);
    expect(alerts(rulesOf("test"), "ErrorBudgetBurn")).toEqual([]);
    // prod 99.95% → budget 0.0005; staging 99.9% → 0.001.
    for (const [env, budget] of [["prod", 0.0005], ["staging", 0.001]] as const) {
      const burn = alerts(rulesOf(env), "ErrorBudgetBurn");
      expect(burn.map((r) => [r.labels!.long_window, r.labels!.short_window, r.labels!.severity])).toEqual(BURN_RATE_WINDOWS.map((w) => [w.long, w.short, w.severity]));
      for (const [i, w] of BURN_RATE_WINDOWS.entries()) {
        const t = String(+(w.factor * budget).toPrecision(12));
        expect(burn[i].expr).toBe(`envkit_service:http_request_errors:ratio_rate${w.long}{environment="${env}", service="api"} > ${t} and envkit_service:http_request_errors:ratio_rate${w.short}{environment="${env}", service="api"} > ${t}`);
      }
    }
    expect(alerts(rulesOf("prod"), "ErrorBudgetBurn")[0].expr).toContain("> 0.0072 and");
  });

  it("error rate 0.1% and P99 500 ms in prod", () => {
    expect(alerts(rulesOf("prod"), "ErrorRateHigh")[0].expr).toMatch(/ratio_rate5m\{environment="prod", service="api"\} > 0\.001$/);
    expect(alerts(rulesOf("prod"), "LatencyP99High")[0].expr).toMatch(/^histogram_quantile\(0\.99, .*> 0\.5$/);
  });

  it("down is up == 0 per target for 1m; absent() only per service", () => {
    const file = rulesOf("prod");
    const down = alerts(file, "ServiceTargetDown");
    expect(down.map((r) => [r.expr, r.for])).toEqual([[`up{namespace="shop-prod", app_kubernetes_io_name="api"} == 0`, "1m"]]);
    const absents = expressionsOf(file).filter((e) => e.includes("absent("));
    expect(absents.length).toBeGreaterThan(0);
    // The seeds' absent(container_last_seen{…!=""}) fires only when nothing at all matches.
    for (const e of absents) expect(e).toMatch(/^absent\([a-z_]+\{namespace="shop-prod", (container|app_kubernetes_io_name)="[a-z]+"\}\)$/);
  });

  it("memory as a share of the limit only where a limit exists (never ÷ 0)", () => {
    const env = model(miniApp(), "staging", k8sEnv());
    const noLimit: EnvironmentModel = { ...env, services: env.services.map((s) => ({ ...s, resources: { ...s.resources, memoryLimitBytes: 0 } })) };
    const exprs = expressionsOf(generateRules(noLimit, kubernetesSelectors(noLimit)));
    expect(exprs.some((e) => e.includes("container_memory_working_set_bytes"))).toBe(false);
    expect(exprs.some((e) => / \/ 0 /.test(e))).toBe(false);
    expect(expressionsOf(generateRules(env, kubernetesSelectors(env))).some((e) => e.includes("container_memory_working_set_bytes"))).toBe(true);
  });

  it("a service scaled to zero gets no missing-target alert", () => {
    const env = model(miniApp(), "staging", k8sEnv());
    const zero: EnvironmentModel = { ...env, services: env.services.map((s) => ({ ...s, replicas: 0 })) };
    expect(expressionsOf(generateRules(zero, kubernetesSelectors(zero))).filter((e) => e.includes("absent("))).toEqual([]);
  });
});

describe("property: any thresholds, limits and level give parseable rules with those thresholds", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fc = require("fast-check") as typeof import("fast-check");
  const base = model(withApiMetrics(), "staging", k8sEnv());

  it("every expression parses, tiers appear as written, memory is never divided by zero", () => {
    const tier = fc.tuple(fc.integer({ min: 1, max: 97 }), fc.integer({ min: 1, max: 50 })).map(([w, a]) => ({ warning: w, critical: Math.min(w + a, 99), emergency: 100 }));
    fc.assert(
      fc.property(
        fc.constantFrom("basic", "standard", "full" as const),
        tier,
        tier,
        fc.integer({ min: 1, max: 64_000 }),
        fc.integer({ min: 0, max: 64 * 1024 ** 3 }),
        fc.double({ min: 90, max: 99.999, noNaN: true }),
        (level, cpu, memory, cpuLimitMillis, memoryLimitBytes, availability) => {
          const env: EnvironmentModel = {
            ...base,
            slo: { ...base.slo, availability: availability / 100 },
            monitoring: { ...base.monitoring, level: level as EnvironmentModel["monitoring"]["level"], cpu, memory },
            services: base.services.map((s) => ({ ...s, resources: { ...s.resources, cpuLimitMillis, memoryLimitBytes } })),
          };
          const file = generateRules(env, kubernetesSelectors(env));
          expect(RuleFileSchema.safeParse(file).success).toBe(true);
          for (const expr of expressionsOf(file)) expect(promqlErrors(expr)).toEqual([]);
          const exprs = expressionsOf(file);
          expect(exprs.some((e) => / \/ 0 >/.test(e))).toBe(false);
          expect(exprs.some((e) => e.includes("container_memory_working_set_bytes"))).toBe(memoryLimitBytes > 0);
          expect(exprs.some((e) => e.endsWith(`> ${cpu.emergency}`) && e.includes("container_cpu_usage_seconds_total"))).toBe(true);
          expect(exprs.some((e) => e.includes("ErrorBudget") || e.includes("ratio_rate1h{"))).toBe(level === "full");
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("renderRules", () => {
  it.each(cases.map(([e, t, f]) => [e, t, f] as const))("%s with %s selectors: the YAML parses back to the same rule file", (_e, _t, file) => {
    expect(parse(renderRules(file))).toEqual(file);
  });

  it("parses back to the same document for arbitrary strings (property)", () => {
    const text = fc.string({ unit: "binary", maxLength: 30 });
    const strMap = fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), text, { maxKeys: 3 });
    const alerting = fc.record({ alert: fc.stringMatching(/^[A-Za-z_]\w{0,8}$/), expr: text, for: fc.option(fc.constant("5m"), { nil: undefined }), labels: fc.option(strMap, { nil: undefined }), annotations: fc.option(strMap, { nil: undefined }) }, { requiredKeys: ["alert", "expr"] });
    const recording = fc.record({ record: fc.stringMatching(/^[a-z_:]\w{0,8}$/), expr: text, labels: fc.option(strMap, { nil: undefined }) }, { requiredKeys: ["record", "expr"] });
    const group = fc.record({ name: text, interval: fc.option(fc.constant("1m"), { nil: undefined }), rules: fc.array(fc.oneof(alerting, recording), { minLength: 1, maxLength: 3 }) }, { requiredKeys: ["name", "rules"] });
    const drop = (v: unknown): unknown => JSON.parse(JSON.stringify(v)); // optional keys left undefined are absent in YAML
    fc.assert(
      fc.property(fc.array(group, { maxLength: 3 }), (groups) => {
        const file = drop({ groups }) as RuleFile;
        expect(parse(renderRules(file))).toEqual(file);
      }),
      { numRuns: 300 },
    );
  });

  it("escapes what YAML does not allow in a document (DEL, C1 controls)", () => {
    const file: RuleFile = { groups: [{ name: "g\u007f\u0085\u0090", rules: [{ record: "r", expr: "up" }] }] };
    const out = renderRules(file);
    expect(out).toContain("\\u007f");
    expect(out).not.toMatch(/[\u007f\u0090]/);
    expect(parse(out)).toEqual(file);
  });
});
