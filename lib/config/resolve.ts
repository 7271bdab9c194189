import { containsUrlPassword, secretMaterialIn } from "../model/url";
import { parseAddress } from "../model/address";
import { ConfigIssue } from "../errors";
import { Cidr, contains, overlaps, parseCidr } from "../model/cidr";
import { parseDuration } from "../model/duration";
import { DUMP_PORTS, dumpMethodOf, parseRetention } from "../model/backup";
import {
  BackupModel,
  ConnectionModel,
  EgressModel,
  EnvironmentModel,
  InitStepModel,
  HEALTH_CHECK_KINDS,
  HealthCheck,
  HealthModel,
  HealthRoleModel,
  PortModel,
  ROLLOUT_FIELDS,
  ReleaseModel,
  ResourcesModel,
  RolloutModel,
  ServiceModel,
  SurgeValue,
  TargetName,
  runsToCompletion,
} from "../model/environment";
import { ImageRef, checkImmutable, parseImageRef, parseRelease } from "../model/image-ref";
import { CONTAINER_CPU, CONTAINER_MEMORY, QUOTA_CPU, QUOTA_MEMORY, QuantityBound, VOLUME_SIZE } from "../model/limits";
import { MAX_LABEL, SECRETS_MOUNT, checkConstructId, checkDnsLabel, isReservedVolumeName, isWithinPath, secretFileEnv } from "../model/names";
import { parseCpu, parseMemory } from "../model/quantity";
import { REGISTRY, TARGETS, TargetRegistry, adapterFor } from "../targets/registry";
import { TARGET_READ_SETTINGS, TargetAdapter } from "../targets/target";
import { DEFAULTS_SOURCE, applyDefaults } from "./defaults";
import type { DefaultedValues } from "./defaulted-values";
import { isPlainObject, layer, setOwn } from "./merge";
import { monitoringServiceNames } from "../observability/monitoring-set";
import { EffectiveMetrics, EffectiveMonitoring, EffectiveSlo, expandMonitoringSet, resolveMetrics, resolveMonitoring } from "./monitoring";
import { extendsChain, inheritedDocument, inheritedLines, unreadableEnvironment } from "./extends";
import { BudgetDoc, applyBudget, resolveFiles, resolveMetadata, resolveSysctls } from "./resolve-extras";
import type { z } from "zod";
import {
  AppConfig,
  AppSchema,
  AutoscalingSchema,
  BackendConfig,
  BackupSchema,
  ConnectionSchema,
  EgressSchema,
  EnvironmentConfig,
  HealthSchema,
  LoggingSchema,
  PortSchema,
  ResourcesSchema,
  RestartSchema,
  SecuritySchema,
  ServiceConfig,
  ServiceRolloutSchema,
  SuppressionSchema,
  VolumeSchema,
  environmentSchemaFor,
} from "./schema";
import { didYouMean } from "./suggest";
import { SourceDocument, itemKey, lineAt, pathKey } from "./yaml-source";
import { fromZod, locateIn } from "./zod-issues";

/** The raw inputs of an application: app.yaml and one document per environment. */
export interface ConfigSource {
  readonly app: SourceDocument;
  /** Environment name → its document, in a stable (sorted) order. */
  readonly environments: ReadonlyMap<string, SourceDocument>;
  /**
   * Config files named by `services.*.files[].source`, read by the loader with the guards of
   * every config file (load.ts): relative path as written → its text or the issue. Absent for
   * objects from TypeScript (no application folder).
   */
  readonly files?: ReadonlyMap<string, { readonly text?: string; readonly issue?: ConfigIssue }>;
  /**
   * Environments whose file is there but could not be read (a YAML syntax error: its own issue
   * says why), so that a reference to one says that instead of "no environment". @default none
   */
  readonly unreadable?: ReadonlySet<string>;
}

/** Where an effective value came from. */
export type ValueOrigin =
  | { readonly kind: "file"; readonly file: string; readonly line?: number }
  | { readonly kind: "default"; readonly where: string; readonly rule: string; readonly doc: string };

/** Answers "where did this effective value come from?" for one environment. */
export class Provenance {
  /**
   * @param parents the environments `env` extends, nearest first, without the keys children do
   *   not inherit (extends.ts)
   * @param shared `services.<svc>.env.<K>` → `env.<K>` for variables a service got from the
   *   shared `env:` (and, in `shadows`, for shared variables a service's own value replaced)
   */
  constructor(
    private readonly app: SourceDocument,
    private readonly env: SourceDocument,
    private readonly defaulted: DefaultedValues,
    private readonly parents: readonly SourceDocument[] = [],
    private readonly shared: ReadonlyMap<string, readonly (string | number)[]> = new Map(),
    private readonly shadows: ReadonlyMap<string, readonly (string | number)[]> = new Map(),
  ) {}

  /** Origin of the value at `segments` (named-list items addressed by name). */
  origin(segments: readonly (string | number)[]): ValueOrigin | undefined {
    const alias = this.shared.get(pathKey(segments));
    if (alias) return this.origin(alias);
    for (let n = segments.length; n > 0; n--) {
      const rule = this.defaulted.get(segments, n);
      if (rule) return { kind: "default", where: rule.where ?? DEFAULTS_SOURCE, rule: rule.path, doc: rule.doc };
      const k = pathKey(segments.slice(0, n));
      for (const doc of [this.env, ...this.parents, this.app]) {
        const line = doc.lines.get(k);
        if (line) return { kind: "file", file: doc.file, line };
      }
    }
    return undefined;
  }

  /**
   * The text YAML read as the number at `segments` when that number prints otherwise (`3.10`
   * for 3.1), from the document that sets the value (the environment's file, then the ones it
   * extends, then app.yaml; a shared variable at its `env.<K>`), or undefined.
   */
  numberText(segments: readonly (string | number)[]): string | undefined {
    const at = this.shared.get(pathKey(segments)) ?? segments;
    for (const doc of [this.env, ...this.parents, this.app]) {
      let cur: unknown = doc.data;
      for (const s of at) cur = isPlainObject(cur) && Object.hasOwn(cur, String(s)) ? cur[String(s)] : undefined;
      if (cur !== undefined) return doc.numberTexts?.get(pathKey(at));
    }
    return undefined;
  }

  /** The shared variable (`env.<K>`) the value at `segments` came from, or undefined. */
  sharedFrom(segments: readonly (string | number)[]): readonly (string | number)[] | undefined {
    return this.shared.get(pathKey(segments));
  }

  /** Where the shared value a service's own value replaced came from (`env.<K>` under `services.<svc>.env.<K>`), or undefined. */
  shadowed(segments: readonly (string | number)[]): ValueOrigin | undefined {
    const at = this.shadows.get(pathKey(segments));
    return at ? this.origin(at) : undefined;
  }

  /** `file:line` for messages about the value at `segments`. */
  locate(segments: readonly (string | number)[]): { file?: string; line?: number } {
    const o = this.origin(segments);
    if (o?.kind === "file") return { file: o.file, line: o.line };
    if (o === undefined) {
      // Objects from TypeScript have no lines: name the document that holds the value.
      for (let n = segments.length; n > 0; n--) {
        const prefix = segments.slice(0, n);
        if (holds(this.env.data, prefix)) break;
        const parent = this.parents.find((p) => holds(p.data, prefix));
        if (parent) return { file: parent.file, line: lineAt(parent, segments) };
        if (holds(this.app.data, prefix)) return { file: this.app.file, line: lineAt(this.app, segments) };
      }
    }
    return { file: this.env.file, line: lineAt(this.env, segments) };
  }
}

/** Whether `data` has a value at `segments` (own keys only; named-list items by name). */
function holds(data: unknown, segments: readonly (string | number)[]): boolean {
  let cur: unknown = data;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      cur = cur.find((item, i) => itemKey(item, i) === seg);
    } else if (typeof cur === "object" && cur !== null && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else return false;
    if (cur === undefined) return false;
  }
  return true;
}

/** One environment, resolved: the model plus the provenance of every value. */
export interface ResolvedEnvironment {
  readonly model: EnvironmentModel;
  readonly provenance: Provenance;
  readonly source: SourceDocument;
}

/** Outcome of resolving: what resolved, and every issue (errors and warnings). */
export interface ResolveResult {
  readonly environments: readonly ResolvedEnvironment[];
  readonly issues: readonly ConfigIssue[];
}

const SECRET_KEY = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|ACCESS_?KEY)/i;

/**
 * Resolves every environment (or only `only`), then runs the checks that span environments.
 * `registry` is the set of targets the configuration may name (the built-in ones by default).
 */
export function resolveAll(source: ConfigSource, only?: string, registry: TargetRegistry = REGISTRY): ResolveResult {
  const issues: ConfigIssue[] = [];
  const appResult = AppSchema.safeParse(source.app.data);
  if (!appResult.success) issues.push(...fromZod(appResult.error, AppSchema, source.app.data, locateIn(source.app)));
  const appReserved = reservedKeyIssues(source.app);
  issues.push(...appReserved);
  if (only !== undefined && !source.environments.has(only)) {
    // An environment whose file could not be read is not missing: the reader's issue for its file says why.
    if (source.unreadable?.has(only)) return { environments: [], issues };
    issues.push({ file: source.app.file, path: "", message: `no environment "${only}"${didYouMean(only, source.environments.keys())}; found: ${[...source.environments.keys()].join(", ") || "none"}` });
    return { environments: [], issues };
  }
  const environments: ResolvedEnvironment[] = [];
  const perEnvironment: EnvironmentIssues[] = [];
  // An environment with a budget needs the model of the one it is a share of: those resolve first
  // (a budget of an environment that has a budget itself is refused, so one pass suffices).
  const budgetOf = new Map<string, string>();
  for (const name of source.environments.keys()) {
    const of = budgetSource(source, name);
    if (of !== undefined) budgetOf.set(name, of);
  }
  const wanted = (name: string): boolean => only === undefined || name === only || (budgetOf.get(only) === name && !budgetOf.has(name));
  const order = [...source.environments.keys()].sort((a, b) => Number(budgetOf.has(a)) - Number(budgetOf.has(b)));
  const models = new Map<string, EnvironmentModel>();
  for (const name of order) {
    if (!wanted(name)) continue;
    const doc = source.environments.get(name)!;
    const r = resolveOne(source, doc, name, appResult.success && appReserved.length === 0, registry, models, budgetOf);
    perEnvironment.push({ env: name, file: doc.file, checked: r.checked, issues: r.issues });
    if (r.env) {
      models.set(name, r.env.model);
      if (only === undefined || name === only) environments.push(r.env);
    }
  }
  environments.sort((a, b) => (a.model.name < b.model.name ? -1 : a.model.name > b.model.name ? 1 : 0));
  issues.push(...mergeEnvironmentIssues(perEnvironment));
  issues.push(...promotionSourceIssues(source));
  if (only === undefined) issues.push(...crossEnvironmentChecks(environments));
  return { environments, issues };
}

/**
 * `promotion.from` must name another environment of the application. Checked against the files,
 * not the resolved environments: an environment with errors of its own still exists, and its
 * errors are reported where they are.
 */
function promotionSourceIssues(source: ConfigSource): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const names = [...source.environments.keys()];
  for (const [name, doc] of source.environments) {
    const promotion = (doc.data as { promotion?: unknown } | null)?.promotion;
    const from = promotion && typeof promotion === "object" ? (promotion as { from?: unknown }).from : undefined;
    if (typeof from !== "string") continue;
    const segs = ["promotion", "from"];
    if (from === name) out.push({ file: doc.file, line: lineAt(doc, segs), path: pathKey(segs), message: `"${from}" is this environment itself; name the environment whose releases "${name}" runs after (e.g. staging)` });
    else if (source.unreadable?.has(from)) out.push({ file: doc.file, line: lineAt(doc, segs), path: pathKey(segs), message: unreadableEnvironment(from) });
    else if (!source.environments.has(from)) out.push({ file: doc.file, line: lineAt(doc, segs), path: pathKey(segs), message: `no environment "${from}"${didYouMean(from, names)}; environments: ${names.join(", ")}` });
  }
  return out;
}

/** The issues one environment produced, for {@link mergeEnvironmentIssues}. */
export interface EnvironmentIssues {
  /** The environment's name. */
  readonly env: string;
  /** The environment's own file: issues located there need no environment name. */
  readonly file: string;
  /** Whether the checks that can report against shared files (app.yaml) ran for it. */
  readonly checked: boolean;
  readonly issues: readonly ConfigIssue[];
}

/**
 * Reports each problem once at its cause. Checks run per environment, so a problem in app.yaml
 * comes back once from every environment: identical issues (file, line, path, severity, message)
 * are merged. A problem located outside an environment's own file that not every checked
 * environment reports (it comes from that environment's overlay, defaults or target) names the
 * environments it concerns: `in environment "staging": …`.
 */
export function mergeEnvironmentIssues(perEnvironment: readonly EnvironmentIssues[]): ConfigIssue[] {
  const checked = perEnvironment.filter((e) => e.checked).length;
  const groups = new Map<string, { issue: ConfigIssue; envs: string[]; shared: boolean }>();
  for (const e of perEnvironment) {
    for (const issue of e.issues) {
      const key = JSON.stringify([issue.file ?? "", issue.line ?? 0, issue.path, issue.severity ?? "error", issue.message]);
      const g = groups.get(key);
      if (!g) groups.set(key, { issue, envs: [e.env], shared: issue.file !== e.file });
      else if (!g.envs.includes(e.env)) g.envs.push(e.env);
    }
  }
  return [...groups.values()].map(({ issue, envs, shared }) => {
    if (!shared || envs.length >= checked) return issue;
    const which = envs.length === 1 ? `environment "${envs[0]}"` : `environments ${envs.map((n) => `"${n}"`).join(", ")}`;
    return { ...issue, message: `in ${which}: ${issue.message}` };
  });
}

/**
 * `__proto__` keys: zod's records skip them unvalidated and plain-object assignment turns them
 * into prototypes, so they are refused wherever they appear (objects from TypeScript included).
 */
function reservedKeyIssues(doc: SourceDocument): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) return v.forEach((item, i) => walk(item, [...at, itemKey(item, i)]));
    for (const k of Object.keys(v)) {
      if (k === "__proto__") {
        issues.push({ file: doc.file, line: lineAt(doc, [...at, k]), path: pathKey([...at, k]), message: `the key "__proto__" is not accepted (JavaScript reserves it, so it cannot be validated); rename it` });
      } else walk((v as Record<string, unknown>)[k], [...at, k]);
    }
  };
  walk(doc.data, []);
  return issues;
}

/** The `budget.of` an environment has, directly or through `extends` (raw documents, before validation). */
function budgetSource(source: ConfigSource, name: string): string | undefined {
  const { chain } = extendsChain(name, source.environments);
  for (const n of [name, ...chain]) {
    const b = (source.environments.get(n)!.data as { budget?: unknown } | null)?.budget;
    if (b && typeof b === "object" && typeof (b as { of?: unknown }).of === "string") return (b as { of: string }).of;
  }
  return undefined;
}

function resolveOne(
  source: ConfigSource,
  envDoc: SourceDocument,
  name: string,
  appValid: boolean,
  registry: TargetRegistry,
  models: ReadonlyMap<string, EnvironmentModel>,
  budgetOf: ReadonlyMap<string, string>,
): { env?: ResolvedEnvironment; issues: ConfigIssue[]; checked: boolean } {
  const app = source.app;
  const issues: ConfigIssue[] = [];
  const nameProblem = checkDnsLabel(name, 30) ?? checkConstructId(name, "an environment");
  if (nameProblem) issues.push({ file: envDoc.file, path: "", message: `environment name (from the file name): ${nameProblem}` });
  const schema = environmentSchemaFor(registry);
  const envResult = schema.safeParse(envDoc.data);
  if (!envResult.success) issues.push(...fromZod(envResult.error, schema, envDoc.data, locateIn(envDoc)));
  const envReserved = reservedKeyIssues(envDoc);
  issues.push(...envReserved);
  // extends: every file of the chain must be valid; its issues are the parent's own (merged).
  const { chain, issue: chainIssue } = extendsChain(name, source.environments, source.unreadable);
  if (chainIssue) issues.push(chainIssue);
  let parentsValid = !chainIssue;
  for (const p of chain) {
    const pdoc = source.environments.get(p)!;
    const pr = schema.safeParse(pdoc.data);
    if (!pr.success) {
      issues.push(...fromZod(pr.error, schema, pdoc.data, locateIn(pdoc)));
      parentsValid = false;
    } else if (envResult.success && (pr.data as { target: string }).target !== (envResult.data as { target: string }).target) {
      const own = (envResult.data as { target: string }).target;
      issues.push({ file: envDoc.file, line: lineAt(envDoc, ["target"]), path: "target", message: `"${own}" differs from the target of "${p}" (${(pr.data as { target: string }).target}), which this environment extends; an environment extends one on the same target (set target: ${(pr.data as { target: string }).target}, or copy the settings instead of extends)` });
      parentsValid = false;
    }
  }
  if (!appValid || !envResult.success || nameProblem || envReserved.length > 0 || !parentsValid) return { issues, checked: false };

  const appData = app.data as Record<string, unknown>;
  const envData = chain.length ? inheritedDocument(name, chain, source.environments) : (envDoc.data as Record<string, unknown>);
  const parents = chain.map((p) => inheritedLines(source.environments.get(p)!));
  const appServices = Object.keys(appData.services as object);
  const incomplete: IncompleteItem[] = [];
  for (const svc of Object.keys((envData.services as object) ?? {})) {
    if (!Object.hasOwn(appData.services as object, svc)) {
      issues.push({ file: envDoc.file, line: lineAt(envDoc, ["services", svc]), path: `services.${svc}`, message: `overrides service "${svc}", which app.yaml does not define${didYouMean(svc, appServices)}` });
    } else incomplete.push(...incompleteNewItems(svc, appData, envData, [envDoc, ...parents]));
  }
  issues.push(...incomplete.map((i) => i.issue));
  const target = (envResult.data as { target: string }).target;
  const adapter = adapterFor(target, registry);
  if (adapter) issues.push(...unreadSettingIssues(envDoc, adapter, registry));
  const effective = layer(appData, envData) as Record<string, unknown>;
  // Reported above; left out, so that the rest of the environment is checked on whole items.
  for (const { svc, list, name } of incomplete) {
    const service = (effective.services as Record<string, Record<string, unknown>>)[svc];
    service[list] = (service[list] as { name: string }[]).filter((item) => item.name !== name);
  }
  // The shared env is the application's services' own: the monitoring set (added next) is envkit's.
  const { shared, shadows } = shareEnvironment(effective);
  issues.push(...expandMonitoringSet(effective, envDoc, adapter));
  const defaulted = applyDefaults(effective, name, target, registry);
  const prov = new Provenance(app, envDoc, defaulted, parents, shared, shadows);
  const budgetParent = budgetOf.has(name) ? { of: budgetOf.get(name)!, model: models.get(budgetOf.get(name)!), hasBudget: budgetOf.has(budgetOf.get(name)!), exists: source.environments.has(budgetOf.get(name)!) } : undefined;
  const model = buildModel(effective, name, prov, issues, adapter, { files: source.files, chain, budget: budgetParent, defaulted });
  if (issues.some((i) => i.severity !== "warning") || !model) return { issues, checked: true };
  return { env: { model, provenance: prov, source: envDoc }, issues, checked: true };
}

/**
 * The named lists whose items an environment may write in part (ServiceOverlaySchema): a port or
 * volume that app.yaml declares takes the environment's fields over its own, and one that app.yaml
 * does not declare is added, so it must be whole, as app.yaml would have to write it.
 */
const PARTIAL_ITEM_LISTS: ReadonlyArray<readonly [list: "ports" | "volumes", what: string, schema: z.ZodType]> = [
  ["ports", "port", PortSchema],
  ["volumes", "volume", VolumeSchema],
];

/** A port or volume an environment adds half-written, with its issue. */
interface IncompleteItem {
  readonly svc: string;
  readonly list: "ports" | "volumes";
  readonly name: string;
  readonly issue: ConfigIssue;
}

/**
 * Issues for the ports and volumes an environment (or an environment it extends) adds to service
 * `svc` without a field app.yaml would need, such as a volume without a path: merged, the item
 * would reach the model half-written. Located in the first of `docs` that writes the item.
 */
function incompleteNewItems(svc: string, appData: Record<string, unknown>, envData: Record<string, unknown>, docs: readonly SourceDocument[]): IncompleteItem[] {
  const out: IncompleteItem[] = [];
  const appService = (appData.services as Record<string, Record<string, unknown>>)[svc];
  const envService = (envData.services as Record<string, unknown>)[svc];
  if (!isPlainObject(envService)) return out;
  for (const [list, what, schema] of PARTIAL_ITEM_LISTS) {
    const items = envService[list];
    if (!Array.isArray(items)) continue;
    const declared = Array.isArray(appService[list]) ? (appService[list] as { name: string }[]).map((i) => i.name) : [];
    for (const item of items as { name: string }[]) {
      if (declared.includes(item.name)) continue;
      const missing = schema.safeParse(item).error?.issues.filter((i) => i.path.length === 1 && !Object.hasOwn(item, i.path[0] as string)).map((i) => String(i.path[0]));
      if (!missing?.length) continue;
      const segs = ["services", svc, list, item.name];
      const doc = docs.find((d) => d.lines.has(pathKey(segs))) ?? docs[0];
      out.push({
        svc,
        list,
        name: item.name,
        issue: {
          file: doc.file,
          line: lineAt(doc, segs),
          path: pathKey(segs),
          message: `adds ${what} "${item.name}", which app.yaml does not declare for "${svc}" (its ${list}: ${declared.join(", ") || "none"}), without ${missing.join(" and ")}; an environment changes the ${list} app.yaml declares, and one it adds is written whole: ${declared.length > 0 ? `name a declared ${what}${didYouMean(item.name, declared)}, or give this one its ${missing.join(" and ")}` : `give it its ${missing.join(" and ")}, or declare it in app.yaml`}`,
        },
      });
    }
  }
  return out;
}

/**
 * The shared `env:` (app.yaml's, then the environment's) applied to every service before defaults:
 * a service's own variable wins. Returns which service variables came from it (`shared`) and
 * which replaced a shared one (`shadows`), both `services.<svc>.env.<K>` → `env.<K>`.
 */
function shareEnvironment(doc: Record<string, unknown>): { shared: Map<string, string[]>; shadows: Map<string, string[]> } {
  const shared = new Map<string, string[]>();
  const shadows = new Map<string, string[]>();
  const common = doc.env;
  if (!isPlainObject(common) || !isPlainObject(doc.services)) return { shared, shadows };
  for (const svc of Object.keys(doc.services)) {
    const s = doc.services[svc];
    if (!isPlainObject(s)) continue;
    const own = isPlainObject(s.env) ? s.env : {};
    const merged: Record<string, unknown> = {};
    for (const k of Object.keys(common)) {
      const key = pathKey(["services", svc, "env", k]);
      if (Object.hasOwn(own, k)) shadows.set(key, ["env", k]);
      else {
        setOwn(merged, k, common[k]);
        shared.set(key, ["env", k]);
      }
    }
    for (const k of Object.keys(own)) setOwn(merged, k, own[k]);
    // Only where there is something to say: a service without variables keeps the defaulted `{}`.
    if (Object.keys(merged).length > 0) s.env = merged;
  }
  return { shared, shadows };
}

/** What {@link buildModel} needs beyond the document: files read by the loader, the chain, the budget's reference. */
interface BuildContext {
  readonly files?: ConfigSource["files"];
  readonly chain: readonly string[];
  readonly budget?: { readonly of: string; readonly model?: EnvironmentModel; readonly hasBudget: boolean; readonly exists: boolean };
  /** The defaults' record, where derived values (a budget's quota) are entered so explain names them. */
  readonly defaulted: DefaultedValues;
}

/** `T` with the keys `K` filled in (by defaults.ts). */
type Defaulted<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

/** A service after layering and defaults (see defaults.ts for what fills each field). */
type ServiceDefaulted = "kind" | "public" | "env" | "files" | "labels" | "annotations" | "terminationGracePeriod" | "sysctls" | "secrets" | "replicas" | "writablePaths" | "writableSize" | "enabled" | "singleton" | "runBefore" | "init";
type EffectiveService = Omit<ServiceConfig, "ports" | "volumes" | "health" | "resources" | "security" | "restart" | "logging" | "metrics" | "autoscaling" | "rollout" | "connections" | "egress"> &
  Defaulted<Pick<ServiceConfig, ServiceDefaulted>, ServiceDefaulted> & {
    ports: Defaulted<z.infer<typeof PortSchema>, "protocol" | "servicePort">[];
    connections: Defaulted<z.infer<typeof ConnectionSchema>, "optional">[];
    egress: Defaulted<z.infer<typeof EgressSchema>, "protocol">[];
    volumes: Defaulted<z.infer<typeof VolumeSchema>, "size">[];
    health?: Defaulted<z.infer<typeof HealthSchema>, "interval" | "timeout" | "retries" | "startPeriod">;
    resources: Required<z.infer<typeof ResourcesSchema>>;
    security: Required<z.infer<typeof SecuritySchema>>;
    restart: Required<z.infer<typeof RestartSchema>>;
    logging: Required<z.infer<typeof LoggingSchema>>;
    metrics?: EffectiveMetrics;
    autoscaling?: Defaulted<z.infer<typeof AutoscalingSchema>, "cpuUtilization">;
    backup?: Defaulted<z.infer<typeof BackupSchema>, "schedule" | "retention" | "to"> | null;
    rollout: Defaulted<z.infer<typeof ServiceRolloutSchema>, "strategy" | "timeout">;
  };

/** The whole environment after layering and defaults: what `envkit explain` shows. */
type EffectiveConfig = Omit<AppConfig, "services"> &
  Omit<EnvironmentConfig, "services" | "policy" | "rollout" | "volumes" | keyof typeof TARGETS | "limitRange" | "backend" | "secretRevisions" | "slo" | "monitoring"> & {
    services: Record<string, EffectiveService>;
    policy: { enforcement: "advisory" | "mandatory"; suppressions: z.infer<typeof SuppressionSchema>[] };
    rollout: Required<NonNullable<EnvironmentConfig["rollout"]>>;
    volumes: Required<NonNullable<EnvironmentConfig["volumes"]>>;
    /** Present where the target reads it (defaults.ts). */
    limitRange?: Required<z.infer<typeof ResourcesSchema>>;
    backend: BackendConfig;
    secretRevisions: Record<string, number>;
    slo: EffectiveSlo;
    monitoring: EffectiveMonitoring;
  };

type HealthInput = NonNullable<EffectiveService["health"]>;
type Segments = (string | number)[];
const HEALTH_ROLES = ["readiness", "liveness", "startup"] as const;

/**
 * A service's health check, ports resolved. Each role (readiness, liveness, startup) gets its own
 * check or the service-wide one, and only the timings it overrides: targets derive the rest.
 */
function resolveHealth(
  h: HealthInput,
  svc: string,
  ports: readonly PortModel[],
  at: (...rest: Segments) => Segments,
  err: (segs: Segments, message: string) => void,
  secs: (segs: Segments, v: string) => number,
): HealthModel {
  const portNames = ports.map((p) => p.name);
  const portOf = (segs: Segments, kind: string, portName: string): number => {
    const p = ports.find((x) => x.name === portName);
    if (!p) {
      err(segs, `port "${portName}" is not a port of "${svc}"${didYouMean(portName, portNames)}; declared ports: ${portNames.join(", ") || "none"}`);
      return 0;
    }
    // A UDP port never accepts the connection an HTTP, TCP or gRPC check opens.
    if (p.protocol !== "tcp") err(segs, `port "${portName}" of "${svc}" is ${p.protocol.toUpperCase()}, and a ${kind} check connects over TCP; name a TCP port`);
    return p.port;
  };
  const checkOf = (c: Pick<HealthInput, "http" | "tcp" | "grpc" | "command">, where: Segments): HealthCheck | undefined => {
    if (c.http) return { kind: "http", path: c.http.path, port: portOf(at("health", ...where, "http", "port"), "http", c.http.port) };
    if (c.tcp) return { kind: "tcp", port: portOf(at("health", ...where, "tcp", "port"), "tcp", c.tcp.port) };
    if (c.grpc) {
      const port = portOf(at("health", ...where, "grpc", "port"), "grpc", c.grpc.port);
      // "" asks for the server's overall health, as an absent service does.
      return c.grpc.service ? { kind: "grpc", port, service: c.grpc.service } : { kind: "grpc", port };
    }
    if (c.command) return { kind: "command", command: c.command };
    return undefined;
  };
  const check = checkOf(h, []);
  const roles = new Map<string, HealthRoleModel>();
  const missing: string[] = [];
  for (const r of HEALTH_ROLES) {
    const o = h[r];
    const own = o ? checkOf(o, [r]) : undefined;
    const c = own ?? check;
    if (!c) {
      missing.push(r);
      continue;
    }
    roles.set(r, {
      check: c,
      own: own !== undefined,
      intervalSeconds: o?.interval !== undefined ? secs(at("health", r, "interval"), o.interval) : undefined,
      timeoutSeconds: o?.timeout !== undefined ? secs(at("health", r, "timeout"), o.timeout) : undefined,
      retries: o?.retries,
    });
  }
  const kinds = `one of ${HEALTH_CHECK_KINDS.map((k) => (k === "http" ? '"http: { path, port }"' : k === "command" ? '"command: [...]"' : `"${k}: { port }"`)).join(", ")}`;
  if (missing.length === HEALTH_ROLES.length) err(at("health"), `a health check needs ${kinds}`);
  else if (missing.length > 0) err(at("health"), `${missing.join(" and ")} ${missing.length > 1 ? "have" : "has"} no check: set ${kinds} in health (for every role) or in health.${missing[0]}`);
  const inContainer = [...roles.values()].some((r) => r.check.kind !== "command");
  if (h.probe && !inContainer) err(at("health", "probe"), `probe runs an http, tcp or grpc check inside the container, and every check of "${svc}" is a command, which runs there already; remove probe`);
  // A placeholder role keeps the model's shape when an error was reported above.
  const none: HealthRoleModel = { check: { kind: "command", command: [] }, own: false };
  return {
    http: check?.kind === "http" ? { path: check.path, port: check.port } : undefined,
    command: check?.kind === "command" ? check.command : undefined,
    check,
    intervalSeconds: secs(at("health", "interval"), h.interval),
    timeoutSeconds: secs(at("health", "timeout"), h.timeout),
    retries: h.retries,
    startPeriodSeconds: secs(at("health", "startPeriod"), h.startPeriod),
    readiness: roles.get("readiness") ?? none,
    liveness: roles.get("liveness") ?? none,
    startup: roles.get("startup") ?? none,
    probe: h.probe?.command ? { command: h.probe.command } : h.probe?.tool ? { tool: h.probe.tool } : undefined,
  };
}

/**
 * A service's backup, checked: a destination of exactly one kind, the volume an archive reads,
 * the port a dump connects to, and no `archive` of a database volume whose dump method envkit
 * knows (tar of live database files is not a consistent backup).
 */
function resolveBackup(
  b: NonNullable<NonNullable<EffectiveService["backup"]>>,
  svc: string,
  image: { readonly repository: string; readonly shown: string },
  ports: readonly PortModel[],
  volumes: readonly ServiceModel["volumes"][number][],
  at: (...rest: (string | number)[]) => (string | number)[],
  err: (segs: (string | number)[], message: string) => void,
): BackupModel | undefined {
  const where = (...rest: (string | number)[]): (string | number)[] => at("backup", ...rest);
  if (b.method === undefined) {
    err(where(), `a backup needs a method: postgres, mysql, redis or archive (e.g. backup: { method: postgres })`);
    return undefined;
  }
  const kinds = (["volume", "hostPath", "claim", "objectStore"] as const).filter((k) => b.to[k] !== undefined);
  if (kinds.length !== 1) {
    err(where("to"), kinds.length === 0 ? `name where backups go: one of volume, hostPath, claim or objectStore (e.g. to: { volume: backups })` : `set one destination, not ${kinds.join(" and ")}`);
    return undefined;
  }
  if (b.to.size !== undefined && kinds[0] !== "volume") err(where("to", "size"), `size applies to a backup volume only; remove it (the ${kinds[0]} has its own size)`);
  const toVolume = b.to.volume;
  if (toVolume !== undefined && volumes.some((v) => v.name === toVolume)) err(where("to", "volume"), `"${toVolume}" is also a data volume of "${svc}"; a backup must not live on the volume it protects: name another volume, e.g. "backups"`);
  const sizeBytes = toVolume !== undefined ? parseMemory(String(b.to.size), VOLUME_SIZE) : undefined;
  if (sizeBytes && !sizeBytes.ok) err(where("to", "size"), sizeBytes.error);
  const to: BackupModel["to"] =
    toVolume !== undefined
      ? { kind: "volume", name: toVolume, sizeBytes: sizeBytes?.ok ? sizeBytes.value : 0 }
      : b.to.hostPath !== undefined
        ? { kind: "hostPath", path: b.to.hostPath }
        : b.to.claim !== undefined
          ? { kind: "claim", name: b.to.claim }
          : { kind: "objectStore", bucket: b.to.objectStore!.bucket, secret: b.to.objectStore!.secret, endpoint: b.to.objectStore!.endpoint, image: b.to.objectStore!.image };
  const dump = dumpMethodOf(image);
  const base = { method: b.method, schedule: b.schedule, retention: parseRetention(b.retention), to };
  if (b.method === "archive") {
    if (dump) {
      err(where("method"), `"${svc}" runs ${dump} (image ${image.shown}): a tar of its live volume is not a consistent backup (files change while tar reads them); use method: ${dump}`);
      return undefined;
    }
    if (b.volume === undefined) {
      err(where("volume"), volumes.length === 0 ? `"${svc}" has no volume to archive; declare one under volumes or choose a dump method` : `"${svc}" has ${volumes.length} volumes; name the one to archive: ${volumes.map((v) => v.name).join(", ")}`);
      return undefined;
    }
    const volume = volumes.find((v) => v.name === b.volume);
    if (!volume) {
      err(where("volume"), `"${b.volume}" is not a volume of "${svc}"${didYouMean(b.volume, volumes.map((v) => v.name))}; its volumes: ${volumes.map((v) => v.name).join(", ") || "none"}`);
      return undefined;
    }
    return { ...base, volume };
  }
  if (b.volume !== undefined) err(where("volume"), `volume applies to method archive only; a ${b.method} dump reads the server over the network, so remove it`);
  if (dump && dump !== b.method) err(where("method"), `"${svc}" runs ${dump} (image ${image.shown}), so a ${b.method} dump cannot read it; use method: ${dump}`);
  const port = ports.find((p) => p.port === DUMP_PORTS[b.method as keyof typeof DUMP_PORTS]) ?? (ports.length === 1 ? ports[0] : undefined);
  if (!port) {
    err(where("method"), `a ${b.method} dump connects to the server's port, but "${svc}" ${ports.length ? `has several and none is ${DUMP_PORTS[b.method as keyof typeof DUMP_PORTS]}` : "declares none"}; declare the port (e.g. ports: [{ name: ${b.method}, port: ${DUMP_PORTS[b.method as keyof typeof DUMP_PORTS]} }])`);
    return undefined;
  }
  return { ...base, port };
}

/** A release string of `repository` checked as `release.<svc>` is: parsed, and immutable. */
function pinRelease(repository: string, svc: string, segs: Segments, rel: string, err: (segs: Segments, message: string) => void): ImageRef {
  const r = parseRelease(repository, rel);
  if (!r.ok) {
    err(segs, r.error);
    return { repository };
  }
  const mutable = checkImmutable(r.value);
  if (mutable) err(segs, `[ENVK-IMG-001] release "${rel}" of "${svc}" is mutable: ${mutable}`);
  return r.value;
}

/**
 * The suppressions as written, with a warning for a scope that can match nothing: a bare name
 * (no ".", "[" or "/" of a resource path) that is no service of the environment — a typo would
 * leave the finding suppressed nowhere, silently.
 */
function suppressionsChecked<T extends { readonly scope?: string }>(list: readonly T[], services: readonly string[], envName: string, warn: (segs: (string | number)[], message: string) => void): T[] {
  list.forEach((s, i) => {
    if (s.scope === undefined || /[.[/]/.test(s.scope) || services.includes(s.scope)) return;
    warn(["policy", "suppressions", i, "scope"], `"${s.scope}" names no service of "${envName}"${didYouMean(s.scope, services)} and is no resource path (those hold a "."), so this suppression suppresses nothing; name a service or a resource path`);
  });
  return [...list];
}

/** Which strategy a field belongs to, for "given under another strategy" messages. */
const FIELD_OWNER: Readonly<Record<string, string>> = { live: "blue-green", slots: "blue-green", idleReplicas: "blue-green", canary: "canary", maxSurge: "rolling, blue-green and canary", maxUnavailable: "rolling, blue-green and canary" };

/**
 * A service's rollout: its strategy's fields present and no other strategy's, blue-green and
 * canary refused on stateful services, slot and canary releases pinned like `release.<svc>`.
 */
function resolveRollout(
  s: EffectiveService,
  svc: string,
  stable: string | undefined,
  at: (...rest: Segments) => Segments,
  err: (segs: Segments, message: string) => void,
  secs: (segs: Segments, v: string) => number,
  pin: (segs: Segments, rel: string) => ImageRef,
  envWide: boolean,
): RolloutModel {
  const r = s.rollout;
  const strategy = r.strategy;
  const timeoutSeconds = secs(at("rollout", "timeout"), r.timeout);
  const where = at("rollout", "strategy");
  for (const field of Object.keys(r)) {
    if (field === "strategy" || field === "timeout" || ROLLOUT_FIELDS[strategy].includes(field)) continue;
    err(at("rollout", field), `${field} is a setting of ${FIELD_OWNER[field]}, and "${svc}" uses strategy ${strategy}; remove ${field} (or set the strategy it belongs to)`);
  }
  const surge = { maxSurge: r.maxSurge as SurgeValue, maxUnavailable: r.maxUnavailable as SurgeValue };
  if (strategy === "recreate") return { strategy, timeoutSeconds };
  // Kubernetes refuses such a Deployment at apply ("maxUnavailable: may not be 0 when maxSurge is
  // 0"), and no engine can roll: no new copy may start and no old one may stop.
  const zero = (v: SurgeValue): boolean => v !== undefined && Number(String(v).replace(/%$/, "")) === 0;
  if (zero(surge.maxSurge) && zero(surge.maxUnavailable)) {
    err(at("rollout", "maxSurge"), `maxSurge ${surge.maxSurge} with maxUnavailable ${surge.maxUnavailable} lets an update neither start a new copy of "${svc}" nor stop an old one, and Kubernetes refuses the Deployment at apply; set maxSurge: 1 (or maxUnavailable: 1)`);
  }
  if (strategy === "rolling") return { strategy, ...surge, timeoutSeconds };
  if (s.kind === "stateful") {
    err(where, `"${svc}" is stateful, and ${strategy} runs two copies of it side by side: two copies of one database's data (two writers on one volume, or two copies that diverge); use strategy rolling or recreate for a stateful service`);
  }
  const fromEnv = envWide ? ` (the environment's rollout.strategy is ${strategy}, so every stateless service needs its own)` : "";
  const release = (segs: Segments, v: string | undefined): ReleaseModel => ({ image: v === undefined ? { repository: s.image } : pin(segs, v), version: v ?? "" });
  if (strategy === "blue-green") {
    const now = stable ?? "<the release running now>";
    const example = `services.${svc}.rollout: { strategy: blue-green, live: blue, slots: { blue: "${now}", green: "<the next release>" } }`;
    if (r.live === undefined || r.slots === undefined) {
      const missing = [r.live === undefined && "live (the slot that takes traffic)", r.slots === undefined && "slots (the release of each slot)"].filter(Boolean).join(" and ");
      err(where, `blue-green needs ${missing}${fromEnv}; write ${example}`);
    } else {
      for (const slot of ["blue", "green"] as const) {
        if (r.slots[slot] === undefined) err(at("rollout", "slots"), `slot ${slot} has no release; blue-green runs both slots, so pin both (slots: { blue: "…", green: "…" }; the idle one may repeat the live release)`);
      }
    }
    if (stable !== undefined) err(["release", svc], `"${svc}" uses blue-green, where services.${svc}.rollout.slots pin the releases; remove release.${svc} (move its value to the live slot)`);
    return {
      strategy,
      live: r.live ?? "blue",
      slots: { blue: release(at("rollout", "slots", "blue"), r.slots?.blue), green: release(at("rollout", "slots", "green"), r.slots?.green) },
      idleReplicas: r.idleReplicas ?? s.replicas,
      ...surge,
      timeoutSeconds,
    };
  }
  // Without a canary block only the stable runs: the resting state between two canaries.
  if (r.canary === undefined) return { strategy, weight: 0, ...surge, timeoutSeconds };
  return { strategy, canary: release(at("rollout", "canary", "release"), r.canary.release), weight: r.canary.weight, ...surge, timeoutSeconds };
}

function buildModel(effective: Record<string, unknown>, envName: string, prov: Provenance, issues: ConfigIssue[], adapter: TargetAdapter | undefined, ctx: BuildContext): EnvironmentModel | undefined {
  // Validated by the schemas per file and completed by applyDefaults: this is its shape now.
  const doc = effective as unknown as EffectiveConfig;
  const err = (segs: (string | number)[], message: string): void => {
    issues.push({ ...prov.locate(segs), path: pathKey(segs), message });
  };
  const warn = (segs: (string | number)[], message: string): void => {
    issues.push({ ...prov.locate(segs), path: pathKey(segs), message, severity: "warning" });
  };
  const cpu = (segs: (string | number)[], v: unknown, bound: QuantityBound = CONTAINER_CPU): number => {
    const r = parseCpu(v as string, bound);
    if (!r.ok) err(segs, r.error);
    return r.ok ? r.value : 0;
  };
  const mem = (segs: (string | number)[], v: unknown, bound: QuantityBound = CONTAINER_MEMORY): number => {
    const r = parseMemory(v as string, bound);
    if (!r.ok) err(segs, r.error);
    return r.ok ? r.value : 0;
  };
  // A tmpfs of a few KiB is almost certainly a unit mistake, and tmpfs reads size=0 as "unlimited".
  const writableSize = (segs: (string | number)[], v: unknown): number => {
    const bytes = mem(segs, v);
    if (bytes > 0 && bytes < 1024 ** 2) err(segs, `${JSON.stringify(v)} is below 1Mi; a writable path needs at least "1Mi" (e.g. "64Mi")`);
    return bytes;
  };
  const secs = (segs: (string | number)[], v: string): number => {
    const r = parseDuration(v);
    if (!r.ok) err(segs, r.error);
    return r.ok ? r.value : 0;
  };
  const app: string = doc.name;
  const target: TargetName = doc.target;
  const serviceNames = Object.keys(doc.services);
  // Maps from own keys only: a service or secret named "constructor" must not find Object's.
  const release = new Map<string, string>(Object.entries(doc.release ?? {}));
  // The monitoring set's releases come from monitoring.images (see expandMonitoringSet): found and judged there.
  const monitoringSet = monitoringServiceNames(doc.monitoring.stack, adapter?.monitoringSet?.roles);
  const releasePath = (svc: string): Segments => (monitoringSet.has(svc) ? ["monitoring", "images", svc] : ["release", svc]);
  for (const svc of release.keys()) {
    if (!Object.hasOwn(doc.services, svc)) err(["release", svc], `pins a release for "${svc}", which app.yaml does not define${didYouMean(svc, serviceNames)}`);
  }
  const revisions = new Map<string, number>(Object.entries(doc.secretRevisions));

  const services: (ServiceModel & { connections: ConnectionModel[] })[] = [];
  const connections: ConnectionModel[] = [];
  /** Old name → the service renamed from it (a map, so "constructor" finds nothing inherited). */
  const renamedBy = new Map<string, string>();
  // Opt-in services: not deployed here, so nothing of theirs is checked (no release needed).
  const disabled = serviceNames.filter((n) => doc.services[n].enabled === false);
  for (const name of serviceNames) {
    const s = doc.services[name];
    const at = (...rest: (string | number)[]): (string | number)[] => ["services", name, ...rest];
    if (!s.enabled) continue;
    const nameProblem = checkDnsLabel(name);
    if (nameProblem) err(at(), `service name ${nameProblem}`);
    else {
      const idProblem = checkConstructId(name, "a service");
      if (idProblem) err(at(), idProblem);
    }
    // Rename: the old name becomes construct ids (moved-from addresses) and data names.
    const previousName = s.renamedFrom;
    if (previousName !== undefined) {
      const was = renamedBy.get(previousName);
      const labelProblem = checkDnsLabel(previousName);
      if (labelProblem) err(at("renamedFrom"), `${labelProblem}; write the service's previous name as it was in app.yaml`);
      else if (previousName === name) err(at("renamedFrom"), `"${previousName}" is this service's own name; remove renamedFrom (it names the service's previous name)`);
      else if (Object.hasOwn(doc.services, previousName)) err(at("renamedFrom"), `"${previousName}" is still a service in app.yaml, so "${name}" cannot take over its state; remove services.${previousName} (or this renamedFrom)`);
      else if (was !== undefined) err(at("renamedFrom"), `"${previousName}" is already renamed to "${was}"; a service is renamed to one name, so remove one of the two renamedFrom`);
      else {
        const idProblem = checkConstructId(previousName, "a renamed service");
        if (idProblem) err(at("renamedFrom"), idProblem);
      }
      if (was === undefined) renamedBy.set(previousName, name);
    }
    // Every derived name must fit a DNS-1123 label: <app>-<env>-<service>-<longest suffix>.
    const longestSuffix = Math.max("config-0123456789".length, `file-${s.files.length}-0123456789`.length, ...s.volumes.map((v) => v.name.length), ...s.secrets.map((x) => x.length), s.backup?.to.volume?.length ?? 0);
    const derived = `${app}-${envName}-${name}-${"x".repeat(longestSuffix)}`;
    if (derived.length > MAX_LABEL) {
      err(at(), `derived resource names such as "${derived}" would be ${derived.length} characters (limit ${MAX_LABEL}); shorten the application, environment, service, volume or secret name by ${derived.length - MAX_LABEL}`);
    }

    // Release: immutable image per environment (blue-green pins one per slot instead).
    const pin = (segs: Segments, rel: string): ImageRef => pinRelease(s.image, name, segs, rel, err);
    let image = { repository: s.image } as ServiceModel["image"];
    let rel = release.get(name);
    const rollout = resolveRollout(s, name, rel, at, err, secs, pin, prov.origin(at("rollout", "strategy"))?.kind === "default");
    if (rollout.strategy === "blue-green") {
      const live = rollout.slots[rollout.live];
      image = live.image;
      rel = live.version;
    } else if (rel === undefined) {
      const stable = rollout.strategy === "canary" ? " (the stable release; the canary's is services.<svc>.rollout.canary.release)" : "";
      err(["release", name], `no release for service "${name}"${stable}; pin an immutable image, e.g. release: { ${name}: "1.4.2@sha256:…" }`);
    } else image = pin(releasePath(name), rel);

    // Ports.
    const ports: PortModel[] = s.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, hostPort: p.hostPort ?? p.port, servicePort: p.servicePort, ...(p.nodePort !== undefined && { nodePort: p.nodePort }) }));
    const portNames = ports.map((p) => p.name);
    const dup = portNames.find((p, i) => portNames.indexOf(p) !== i);
    if (dup) err(at("ports", dup), `port name "${dup}" is used twice`);
    // Per file, names are unique (schema); a number can still repeat after layering.
    const byNumber = new Map<string, string>();
    for (const p of ports) {
      const key = `${p.port}/${p.protocol}`;
      const first = byNumber.get(key);
      if (first !== undefined) err(at("ports", p.name, "port"), `port ${key} of "${p.name}" is also declared as "${first}"; a container lists each port once per protocol, so remove one or change its number`);
      else byNumber.set(key, p.name);
    }

    // Environment variables: never a secret value, never one envkit sets itself.
    const secretNames: string[] = s.secrets;
    const generated = new Map<string, string>([["APP_ENV", "envkit sets it to the environment's name"]]);
    for (const sec of secretNames) generated.set(secretFileEnv(sec), `envkit sets it to the file of secret "${sec}" (${SECRETS_MOUNT}/${sec})`);
    secretNames.forEach((sec, i) => {
      const idProblem = checkConstructId(sec, "a secret");
      if (idProblem) err(at("secrets", i), idProblem);
    });
    const envEntries: [string, string][] = [];
    for (const [k, v] of Object.entries(s.env as Record<string, unknown>)) {
      const value = String(v);
      // A variable from the shared `env:` is reported once, at its own path.
      const sharedAt = prov.sharedFrom(at("env", k)) !== undefined;
      const envErr = (segs: Segments, message: string): void => (sharedAt ? err(["env", k], message.replace(`services.${name}.secrets`, "services.<name>.secrets of the services that read it")) : err(segs, message));
      // YAML reads `3.10`, `0755`, `0x1F` or `1e3` as a number, and the container would get its
      // digits as JavaScript prints them ("3.1", "755", "31", "1000"): never what was written.
      const written = typeof v === "number" ? prov.numberText(at("env", k)) : undefined;
      if (written !== undefined) envErr(at("env", k), `${written} is read by YAML as the number ${value}, so the container would get "${value}"; quote it ("${written}") to pass the text as written`);
      const validName = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k);
      if (!validName) envErr(at("env", k), `"${k}" is not a valid environment variable name (letters, digits, _; not starting with a digit)`);
      // The secret hint suggests the name as a secret name: only meaningful for a valid name.
      if (validName && SECRET_KEY.test(k) && !k.endsWith("_FILE") && value !== "") {
        envErr(at("env", k), `[ENVK-SEC-001] "${k}" looks like a secret, and secret values are never accepted in config; declare it by name under services.${name}.secrets (e.g. secrets: [${k.toLowerCase()}]) and supply TF_VAR_${k.toLowerCase()} at apply time`);
      } else if (containsUrlPassword(value)) {
        envErr(at("env", k), `[ENVK-SEC-001] the value of "${k}" embeds a password in a URL; move the credential to a declared secret and build the URL in the application`);
      } else {
        const material = secretMaterialIn(value);
        if (material) envErr(at("env", k), `[ENVK-SEC-001] the value of "${k}" holds ${material} (not shown here); declare it by name under services.${name}.secrets and supply it at apply time as TF_VAR_<name>, read from /run/secrets/<name>`);
      }
      const reserved = generated.get(k);
      if (reserved !== undefined) envErr(at("env", k), `"${k}" is reserved: ${reserved}, and a value here would hide it; remove it from env (read ${k} in the application instead)`);
      envEntries.push([k, value]);
    }
    // fromEntries defines own properties, so no key can reach the prototype.
    const env: Record<string, string> = Object.fromEntries(envEntries);
    for (const sec of secretNames) {
      if (Object.hasOwn(env, sec.toUpperCase())) err(at("env", sec.toUpperCase()), `"${sec.toUpperCase()}" clashes with secret "${sec}"; the secret is delivered as ${sec.toUpperCase()}_FILE`);
    }

    const files = resolveFiles(s, name, at, err, ctx);
    const meta = resolveMetadata(s, at, err);
    const sysctls = resolveSysctls(s.sysctls, at, err);
    const terminationGraceSeconds = Math.ceil(secs(at("terminationGracePeriod"), s.terminationGracePeriod));

    // Health.
    const health = s.health ? resolveHealth(s.health, name, ports, at, err, secs) : undefined;

    // Resources.
    const r = s.resources;
    const resources: ResourcesModel = {
      cpuMillis: cpu(at("resources", "cpu"), r.cpu),
      memoryBytes: mem(at("resources", "memory"), r.memory),
      cpuLimitMillis: cpu(at("resources", "cpuLimit"), r.cpuLimit),
      memoryLimitBytes: mem(at("resources", "memoryLimit"), r.memoryLimit),
    };
    if (resources.cpuLimitMillis < resources.cpuMillis) err(at("resources", "cpuLimit"), `${r.cpuLimit} is below the CPU request ${r.cpu}; raise cpuLimit or lower cpu`);
    if (resources.memoryLimitBytes < resources.memoryBytes) err(at("resources", "memoryLimit"), `${r.memoryLimit} is below the memory request ${r.memory}; raise memoryLimit or lower memory`);

    // Volumes.
    if (s.volumes.length > 0 && s.kind !== "stateful") err(at("volumes"), `"${name}" has volumes but kind is "${s.kind}"; set kind: stateful (volumes hold data that outlives containers)`);
    if (s.kind === "stateful" && s.volumes.length === 0) warn(at("kind"), `"${name}" is stateful but declares no volume; its data is lost when the container is replaced`);
    const volumes = s.volumes.map((v) => ({ name: v.name, path: v.path, sizeBytes: mem(at("volumes", v.name, "size"), v.size, VOLUME_SIZE), storageClass: v.storageClass }));
    const byPath = new Map<string, string>();
    for (const v of volumes) {
      if (isReservedVolumeName(v.name)) err(at("volumes", v.name), `volume name "${v.name}" is reserved for envkit's own mounts ("secrets", "writable-<n>"); rename the volume`);
      const first = byPath.get(v.path);
      if (first !== undefined) err(at("volumes", v.name, "path"), `path "${v.path}" is also the path of volume "${first}"; each volume needs its own folder`);
      else byPath.set(v.path, v.name);
      if (isWithinPath(v.path, SECRETS_MOUNT)) err(at("volumes", v.name, "path"), `path "${v.path}" is inside ${SECRETS_MOUNT}, where envkit mounts the service's secrets; choose another folder`);
    }
    // Writable paths get their own tmpfs/emptyDir mount: one on a volume or the secrets folder
    // makes the container fail at create ("duplicate mount point").
    // Asked only on a conflict: it reads the files' lines, found on first use (yaml-source.ts).
    const defaultedPaths = (): boolean => prov.origin(at("writablePaths"))?.kind === "default";
    s.writablePaths.forEach((w, i) => {
      if (isWithinPath(w, SECRETS_MOUNT)) return err(at("writablePaths", i), `"${w}" is inside ${SECRETS_MOUNT}, where envkit mounts the service's secrets; remove it from writablePaths`);
      const v = volumes.find((x) => isWithinPath(w, x.path));
      if (!v) return;
      // A defaulted list has no line of its own: report at the volume the user did write.
      if (defaultedPaths()) err(at("volumes", v.name, "path"), `volume "${v.name}" at "${v.path}" covers the default writable path "${w}", which gets its own tmpfs/emptyDir; set writablePaths to the folders the image writes to outside the volume (e.g. writablePaths: [])`);
      else err(at("writablePaths", i), `"${w}" is inside volume "${v.name}" (${v.path}), which is writable already; remove it from writablePaths`);
    });

    const backup = s.backup ? resolveBackup(s.backup, name, { repository: image.repository, shown: s.image }, ports, volumes, at, err) : undefined;

    // Security.
    const [uid, gid] = String(s.security.user).split(":").map(Number);
    if (s.security.runAsNonRoot && uid === 0) err(at("security", "user"), `user "${s.security.user}" is root while runAsNonRoot is true; use a non-zero uid such as "10001:10001" (or set runAsNonRoot: false on purpose)`);

    // Work that runs to completion, singletons, exposure, init steps, egress.
    checkShape(s, name, at, err);
    const init: InitStepModel[] = s.init.map((step, i) => {
      if (step.image === undefined) return { command: step.command };
      const r = parseImageRef(step.image);
      if (!r.ok) {
        err(at("init", i, "image"), r.error);
        return { command: step.command };
      }
      const mutable = checkImmutable(r.value);
      if (mutable) err(at("init", i, "image"), `[ENVK-IMG-001] init image "${step.image}" is mutable: ${mutable}; pin it as "<repository>:<tag>@sha256:<digest>", or leave image out to use the service's own release`);
      return { command: step.command, image: r.value };
    });
    const egress: EgressModel[] = s.egress.map((e) => ({ ...(e.host !== undefined && { host: e.host }), ...(e.cidr !== undefined && { cidr: e.cidr }), port: e.port, protocol: e.protocol }));

    // Autoscaling.
    let autoscaling: ServiceModel["autoscaling"];
    if (s.autoscaling) {
      if (s.autoscaling.minReplicas > s.autoscaling.maxReplicas) err(at("autoscaling", "minReplicas"), `minReplicas ${s.autoscaling.minReplicas} is above maxReplicas ${s.autoscaling.maxReplicas}`);
      autoscaling = { ...s.autoscaling };
    }

    services.push({
      name,
      ...(previousName !== undefined && { previousName }),
      kind: s.kind,
      public: s.public,
      singleton: s.singleton,
      ...(s.schedule !== undefined && { schedule: s.schedule }),
      runBefore: s.runBefore.filter((n) => !disabled.includes(n)),
      init,
      ...(s.exposure !== undefined && { exposure: s.exposure }),
      egress,
      image,
      version: rel ?? "",
      ...(monitoringSet.has(name) && { releasePath: pathKey(releasePath(name)) }),
      ports,
      command: s.command,
      args: s.args,
      env,
      files,
      labels: meta.labels,
      annotations: meta.annotations,
      terminationGraceSeconds,
      ...(s.stopSignal !== undefined && { stopSignal: s.stopSignal }),
      sysctls,
      secrets: secretNames.map((n) => ({ name: n, revision: revisions.get(n) ?? 1 })),
      health,
      connections: [],
      volumes,
      ...(backup && { backup }),
      resources,
      replicas: s.replicas,
      rollout,
      writablePaths: s.writablePaths,
      writableSizeBytes: writableSize(at("writableSize"), s.writableSize),
      security: {
        runAsNonRoot: s.security.runAsNonRoot,
        uid,
        gid: gid ?? uid,
        readOnlyRootFilesystem: s.security.readOnlyRootFilesystem,
        dropCapabilities: s.security.dropCapabilities,
        addCapabilities: s.security.addCapabilities,
        noNewPrivileges: s.security.noNewPrivileges,
        privileged: s.security.privileged,
        seccompProfile: s.security.seccompProfile,
        automountServiceAccountToken: s.security.automountServiceAccountToken,
      },
      restart: s.restart,
      logging: s.logging,
      metrics: resolveMetrics(s.metrics, ports, at("metrics"), err),
      autoscaling,
    });
  }

  // Connections: the target must exist and expose the named port.
  const skippedConnections: { path: string; note: string }[] = [];
  for (const svc of services) {
    const own = doc.services[svc.name].connections;
    const list: ConnectionModel[] = [];
    own.forEach((c, i) => {
      const at: (string | number)[] = ["services", svc.name, "connections", i];
      if (disabled.includes(c.to)) {
        if (c.optional) {
          skippedConnections.push({ path: pathKey(at), note: `skipped: "${c.to}" is not deployed in this environment (enabled: false)${c.env ? `, so ${c.env} is not set` : ""}` });
          return;
        }
        return err([...at, "to"], `connects to "${c.to}", which is not deployed in this environment (services.${c.to}.enabled: false); mark the connection optional: true (it is then skipped here) or enable "${c.to}"`);
      }
      const target = services.find((x) => x.name === c.to);
      // The list names the application's own services, the same in every environment (so one
      // mistake in app.yaml is one line); the suggestion also knows the monitoring set's.
      if (!target) return err([...at, "to"], `connects to "${c.to}", which is not a service${didYouMean(c.to, serviceNames)}; services: ${serviceNames.filter((n) => !monitoringSet.has(n)).join(", ")}`);
      if (target.name === svc.name) return err([...at, "to"], `a service cannot declare a connection to itself`);
      if (runsToCompletion(target.kind)) return err([...at, "to"], `"${c.to}" is a ${target.kind}, which serves nothing; connect to the services it talks to instead (or use runBefore to order it before "${svc.name}")`);
      const port = target.ports.find((p) => p.name === c.port);
      if (!port) return err([...at, "port"], `"${c.to}" has no port named "${c.port}"${didYouMean(c.port, target.ports.map((p) => p.name))}; its ports: ${target.ports.map((p) => p.name).join(", ") || "none"}`);
      if (c.env !== undefined) {
        const clash = Object.hasOwn(svc.env, c.env) ? `services.${svc.name}.env sets it too` : c.env === "APP_ENV" || svc.secrets.some((x) => secretFileEnv(x.name) === c.env) ? "envkit sets it itself" : list.find((o) => o.env === c.env) ? "another connection sets it" : undefined;
        if (clash) err([...at, "env"], `"${c.env}" would be set twice (${clash}); remove one, or name this connection's variable differently`);
      }
      list.push({ from: svc.name, to: target.name, portName: port.name, port: port.port, protocol: port.protocol, servicePort: port.servicePort, ...(c.env !== undefined && { env: c.env }) });
    });
    svc.connections = list;
    connections.push(...list);
  }
  for (const svc of services) {
    svc.runBefore.forEach((dependant) => {
      const i = doc.services[svc.name].runBefore.indexOf(dependant);
      const at = ["services", svc.name, "runBefore", i];
      if (dependant === svc.name) err(at, `a job cannot run before itself; remove "${dependant}"`);
      else if (!Object.hasOwn(doc.services, dependant)) err(at, `"${dependant}" is not a service${didYouMean(dependant, serviceNames)}; services: ${serviceNames.join(", ")}`);
    });
  }
  // Addresses in environment variables must be declared connections (default-deny blocks the rest).
  for (const svc of services) issues.push(...addressIssues(svc, services, disabled, prov));

  for (const sec of revisions.keys()) {
    if (!services.some((s) => s.secrets.some((x) => x.name === sec))) err(["secretRevisions", sec], `"${sec}" is not a secret of any service; declared secrets: ${[...new Set(services.flatMap((s) => s.secrets.map((x) => x.name)))].join(", ") || "none"}`);
  }

  // Environment-wide settings; the target checks those it reads (checkSettings, below).
  let subnet: Cidr | undefined;
  if (doc.network?.subnet) {
    const c = parseCidr(doc.network.subnet);
    if (c.ok) subnet = c.value;
  }
  // Located only when there is a budget: locating reads the files' lines, found on first use (yaml-source.ts).
  const budgetAt: { file?: string; line?: number } = (doc as { budget?: unknown }).budget ? prov.locate(["budget"]) : {};
  const budget = applyBudget(doc as unknown as BudgetDoc, envName, adapter, { ...ctx, where: `${budgetAt.file ?? "budget"}${budgetAt.line ? `:${budgetAt.line}` : ""}` }, err, services);
  const q = doc.quota;
  const quota = q
    ? {
        cpuMillis: q.cpu !== undefined ? cpu(["quota", "cpu"], q.cpu, QUOTA_CPU) : undefined,
        memoryBytes: q.memory !== undefined ? mem(["quota", "memory"], q.memory, QUOTA_MEMORY) : undefined,
        cpuLimitMillis: q.cpuLimit !== undefined ? cpu(["quota", "cpuLimit"], q.cpuLimit, QUOTA_CPU) : undefined,
        memoryLimitBytes: q.memoryLimit !== undefined ? mem(["quota", "memoryLimit"], q.memoryLimit, QUOTA_MEMORY) : undefined,
        pods: q.pods,
        persistentVolumeClaims: q.persistentVolumeClaims,
        storageBytes: q.storage !== undefined ? mem(["quota", "storage"], q.storage, QUOTA_MEMORY) : undefined,
      }
    : undefined;
  const lr = doc.limitRange;
  const limitRange: ResourcesModel | undefined = lr && {
    cpuMillis: cpu(["limitRange", "cpu"], lr.cpu),
    memoryBytes: mem(["limitRange", "memory"], lr.memory),
    cpuLimitMillis: cpu(["limitRange", "cpuLimit"], lr.cpuLimit),
    memoryLimitBytes: mem(["limitRange", "memoryLimit"], lr.memoryLimit),
  };

  const targetOptions = (effective as Record<string, unknown>)[target];
  const model: EnvironmentModel = {
    app,
    name: envName,
    target,
    services,
    subnet,
    ...(disabled.length > 0 && { disabledServices: disabled }),
    ...(skippedConnections.length > 0 && { skippedConnections }),
    quota,
    limitRange,
    domain: doc.domain,
    ...(budget && { budget }),
    extendsChain: [...ctx.chain],
    tlsSecretName: doc.tls?.secretName,
    ...resolveMonitoring(doc.slo, doc.monitoring, secs, err),
    backend: doc.backend,
    enforcement: doc.policy.enforcement,
    suppressions: suppressionsChecked(doc.policy.suppressions, Object.keys(doc.services), envName, warn),
    rollout: { strategy: doc.rollout.strategy, maxSurge: doc.rollout.maxSurge as SurgeValue, maxUnavailable: doc.rollout.maxUnavailable as SurgeValue, timeoutSeconds: secs(["rollout", "timeout"], doc.rollout.timeout) },
    preventDestroyVolumes: doc.volumes.preventDestroy,
    // Only an adapter's own block is its settings (no adapter: a planned target, refused later).
    targetOptions: adapter && typeof targetOptions === "object" && targetOptions !== null ? { ...(targetOptions as Record<string, unknown>) } : {},
    promotedFrom: doc.promotion?.from,
    connections,
    effective: doc,
  };
  for (const t of adapter?.checkSettings?.(model) ?? []) {
    issues.push({ ...prov.locate(t.path), path: pathKey(t.path), message: t.message, ...(t.severity === "warning" ? { severity: "warning" as const } : {}) });
  }
  if (issues.some((i) => i.severity !== "warning")) return undefined;
  return model;
}

/**
 * What a service's kind allows: a job or cron job runs to completion, so it is never public,
 * serves no port, has no health check (its exit code is its health) and runs one pod; a singleton
 * runs exactly one replica.
 */
function checkShape(s: EffectiveService, name: string, at: (...rest: Segments) => Segments, err: (segs: Segments, message: string) => void): void {
  const done = s.kind === "job" || s.kind === "cronjob";
  if (done) {
    const what = `a ${s.kind} runs to completion`;
    if (s.public) err(at("public"), `${what} and serves nothing; remove public (or use kind: stateless)`);
    if (s.ports.length > 0) err(at("ports"), `${what} and serves nothing, so it has no ports; remove ports (connect from the job to what it uses instead)`);
    if (s.health) err(at("health"), `${what}, and its exit code says whether it worked; remove health`);
    if (s.autoscaling) err(at("autoscaling"), `${what} in one pod; remove autoscaling`);
    if (s.replicas !== 1) err(at("replicas"), `${what} in one pod, so replicas is 1; to not run it in this environment set enabled: false`);
    if (s.singleton) err(at("singleton"), `${what} in one pod already; remove singleton`);
  }
  if (s.kind === "cronjob" && s.schedule === undefined) err(at("schedule"), `a cronjob needs a schedule, e.g. schedule: "0 3 * * *" (03:00 UTC daily)`);
  if (s.kind !== "cronjob" && s.schedule !== undefined) err(at("schedule"), `only a cronjob runs on a schedule, and "${name}" is ${s.kind}; set kind: cronjob or remove schedule`);
  if (s.kind !== "job" && s.runBefore.length > 0) err(at("runBefore"), `only a job runs before other services, and "${name}" is ${s.kind}; set kind: job or remove runBefore`);
  if ((s.singleton || done) && s.rollout.strategy !== "recreate") {
    const what = done ? `"${name}" is a ${s.kind}, which runs to completion and never rolls` : `"${name}" is a singleton, and ${s.rollout.strategy} runs a second copy while it updates`;
    err(at("rollout", "strategy"), `${what}; use rollout.strategy: recreate (or remove it: it is the default here)`);
  }
  if (s.singleton) {
    if (s.replicas > 1) err(at("replicas"), `"${name}" is a singleton, so it runs exactly one replica, not ${s.replicas}; set replicas: 1 (or remove singleton to run several)`);
    if (s.autoscaling) err(at("autoscaling"), `"${name}" is a singleton, so it is never scaled; remove autoscaling (or singleton)`);
  }
  if (s.exposure !== undefined && !s.public) err(at("exposure"), `exposure ${s.exposure} makes "${name}" reachable from outside the environment, and it is not public; set public: true or remove exposure`);
  s.ports.forEach((p) => {
    if (p.nodePort !== undefined && !s.public) err(at("ports", p.name, "nodePort"), `a node port is reachable from outside the cluster, and "${name}" is not public; set public: true (and exposure: NodePort) or remove nodePort`);
  });
}

/**
 * Environment variables whose value names another service's address (`REDIS_HOST=redis`,
 * `API_URL=http://api:8080/`) must match a declared connection: otherwise default-deny blocks the
 * traffic at run time. Each finding names the variable, the address and the connection to add.
 */
function addressIssues(svc: ServiceModel, services: readonly ServiceModel[], disabled: readonly string[], prov: Provenance): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const [k, v] of Object.entries(svc.env)) {
    const ref = parseAddress(k, v);
    if (!ref || ref.host === svc.name) continue;
    const segs = ["services", svc.name, "env", k];
    const push = (message: string): void => void out.push({ ...prov.locate(segs), path: pathKey(segs), message });
    if (disabled.includes(ref.host)) {
      push(`"${v}" names service "${ref.host}", which is not deployed in this environment (enabled: false); generate the variable from an optional connection instead: connections: [{ to: ${ref.host}, port: <port name>, optional: true, env: ${k} }]`);
      continue;
    }
    const server = services.find((x) => x.name === ref.host);
    if (!server) continue;
    const conns = svc.connections.filter((c) => c.to === server.name);
    const portHint = server.ports.find((p) => p.servicePort === ref.port || p.port === ref.port)?.name ?? server.ports[0]?.name ?? "<port name>";
    // connections[].env writes `<host>:<port>`: offered for a value of that form only.
    const plainAddress = v.trim() === `${ref.host}:${ref.port}`;
    const generate = (port: string): string => (plainAddress ? `let envkit set the variable: { to: ${server.name}, port: ${port}, env: ${k} }` : `connections[].env can write "${server.name}:<port>" into a variable of its own, e.g. { to: ${server.name}, port: ${port}, env: ${server.name.toUpperCase().replace(/-/g, "_")}_ADDR }`);
    if (conns.length === 0) {
      push(`"${v}" is the address of service "${server.name}", but "${svc.name}" declares no connection to it, so default-deny blocks the traffic; add connections: [{ to: ${server.name}, port: ${portHint} }] (${generate(portHint)})`);
      continue;
    }
    if (ref.port !== undefined && !conns.some((c) => c.servicePort === ref.port)) {
      const dial = conns.map((c) => `${c.portName} = ${c.servicePort}`).join(", ");
      push(`"${v}" dials port ${ref.port} of "${server.name}", but the declared connection allows ${dial}; fix the port, or ${generate(conns[0].portName)}`);
    }
  }
  return out;
}

/**
 * Settings the environment's target does not read, set in the environment's file: another
 * target's block, or an environment-wide setting only other targets read (a quota on Docker).
 * Each would do nothing, silently; it is an error naming what to do instead.
 */
function unreadSettingIssues(envDoc: SourceDocument, adapter: TargetAdapter, registry: TargetRegistry): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const at = (segs: string[], message: string): void => {
    out.push({ file: envDoc.file, line: lineAt(envDoc, segs), path: pathKey(segs), message });
  };
  const others = [...registry.adapters.values()].filter((a) => a.name !== adapter.name);
  for (const other of others) {
    if (holds(envDoc.data, [other.name])) at([other.name], `settings of target "${other.name}" have no effect on target "${adapter.name}"; remove the block, or set target: ${other.name}`);
  }
  for (const setting of TARGET_READ_SETTINGS) {
    const segs = setting.split(".");
    if (adapter.settings.reads.includes(setting) || !holds(envDoc.data, segs)) continue;
    const readers = others.filter((a) => a.settings.reads.includes(setting)).map((a) => `"${a.name}"`);
    const hint = adapter.settings.unreadHints?.[setting];
    const instead = readers.length ? `, or run the environment on a target that reads it (${readers.join(", ")})` : "";
    at(segs, `has no effect on target "${adapter.name}"${hint ? ` (${hint})` : ""}; remove ${setting} from this environment${instead}`);
  }
  return out;
}

/** Checks across environments: Docker subnets of two environments must not overlap. */
function crossEnvironmentChecks(envs: readonly ResolvedEnvironment[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const withSubnet = envs.filter((e) => e.model.subnet);
  for (let i = 0; i < withSubnet.length; i++) {
    for (let j = i + 1; j < withSubnet.length; j++) {
      const a = withSubnet[i].model;
      const b = withSubnet[j].model;
      if (overlaps(a.subnet!, b.subnet!)) {
        const which = contains(a.subnet!, b.subnet!) || contains(b.subnet!, a.subnet!) ? "contains" : "overlaps";
        issues.push({
          ...withSubnet[j].provenance.locate(["network", "subnet"]),
          path: "network.subnet",
          message: `[ENVK-NET-002] "${b.subnet!.text}" of environment "${b.name}" ${which === "contains" ? "overlaps (contains or is contained by)" : "overlaps"} "${a.subnet!.text}" of environment "${a.name}"; give every environment its own range (e.g. 10.200.0.0/16, 10.201.0.0/16)`,
        });
      }
    }
  }
  return issues;
}
