import { CONTAINER_CPU } from "../model/limits";
import { parseCpu } from "../model/quantity";
import { REGISTRY, TargetRegistry, adapterFor } from "../targets/registry";
import type { TargetReadSetting } from "../targets/target";
import { DefaultedValues } from "./defaulted-values";
import { clone, isNamedList, isPlainObject, setOwn } from "./merge";

/** Context a default may read: the environment's name and the effective document so far. */
export interface DefaultContext {
  readonly envName: string;
  readonly doc: Record<string, unknown>;
  /** The object that will hold the value (e.g. the service's `resources`). */
  readonly parent: Record<string, unknown>;
  /** The names bound by the `*` segments of the path, in order (e.g. the service name). */
  readonly bound: readonly string[];
}

/** One documented default. `*` matches every key of a map or every item of a named list. */
export interface DefaultRule {
  readonly path: string;
  readonly value: unknown | ((ctx: DefaultContext) => unknown);
  readonly doc: string;
  /** Only apply when the parent object already exists (e.g. health timings need a health check). */
  readonly onlyIfParentExists?: boolean;
  /** Only for environments whose target is one of these (a target's own block). */
  readonly targets?: readonly string[];
  /** Only for environments whose target reads this environment-wide setting (see `TargetSettings.reads`). */
  readonly setting?: TargetReadSetting;
  /** The file that defines the rule, as `envkit explain` names it. @default {@link DEFAULTS_SOURCE} */
  readonly where?: string;
}

/** Where defaults are defined, as shown by `envkit explain`. */
export const DEFAULTS_SOURCE = "lib/config/defaults.ts";

// Maps, not object literals: an environment named "constructor" must not read Object's.
const BY_NAME_ENFORCEMENT: ReadonlyMap<string, string> = new Map([
  ["dev", "advisory"],
  ["test", "advisory"],
]);
/**
 * Default ranges per well-known environment name. Deliberately *outside* Docker's default address
 * pools (172.17.0.0/16–172.31.0.0/16, 192.168.0.0/16): the seeds' 172.20.0.0/16 and 172.21.0.0/16
 * sit inside them, where a network Docker creates on its own can already hold the range.
 */
const BY_NAME_SUBNET: ReadonlyMap<string, string> = new Map([
  ["dev", "10.200.0.0/16"],
  ["test", "10.201.0.0/16"],
  ["staging", "10.202.0.0/16"],
  ["prod", "10.203.0.0/16"],
]);

/**
 * Backup retention per well-known environment name (seeds S0 L164-167: "prod daily, long
 * retention; test periodic, short retention; dev on demand"; S4 L1291-1339: 30 days).
 */
const BY_NAME_BACKUP_RETENTION: ReadonlyMap<string, string> = new Map([["prod", "30d"]]);

/** The seeds' shares of production per well-known environment name (`budget.ratio`). */
const BY_NAME_BUDGET: ReadonlyMap<string, string> = new Map([
  ["dev", "20%"],
  ["test", "30%"],
  ["staging", "40%"],
]);
/** The environment-wide `rollout` (defaulted before the per-service rows that read it). */
function envRollout(c: DefaultContext): Record<string, unknown> {
  const r = c.doc.rollout;
  return isPlainObject(r) ? r : {};
}

/** The service a `services.*` rule is filling. */
function serviceOf(c: DefaultContext): Record<string, unknown> {
  const services = c.doc.services;
  const svc = isPlainObject(services) && Object.hasOwn(services, c.bound[0]) ? services[c.bound[0]] : undefined;
  return isPlainObject(svc) ? svc : {};
}

/** Local state lives next to the output folder: `<out>/stacks/<env>/../../../terraform.<env>.tfstate`. */
function localStatePath(env: string): string {
  return `../../../terraform.${env}.tfstate`;
}

/**
 * The defaults of settings every target shares, in application order. Environment-wide settings
 * whose meaning is a target's (the subnet, the limit range) apply only where the environment's
 * target reads them; each target's own block is defaulted by its adapter (see {@link DEFAULTS}).
 */
const SHARED_DEFAULTS: readonly DefaultRule[] = [
  // Service shape
  { path: "services.*.kind", value: "stateless", doc: "services are stateless unless they keep data" },
  { path: "services.*.public", value: false, doc: "services are internal unless exposed on purpose" },
  { path: "services.*.enabled", value: true, doc: "every service of app.yaml is deployed unless an environment opts it out" },
  { path: "services.*.singleton", value: false, doc: "services may run several replicas side by side" },
  { path: "services.*.runBefore", value: [], doc: "no service waits for this job" },
  { path: "services.*.init", value: [], doc: "no init steps" },
  { path: "services.*.egress", value: [], doc: "no traffic leaves the application (default-deny)" },
  { path: "services.*.egress.*.protocol", value: "tcp", doc: "TCP" },
  { path: "services.*.ports.*.servicePort", value: (c: DefaultContext) => c.parent.port, doc: "clients dial the container's own port" },
  { path: "services.*.connections.*.optional", value: false, doc: "a connection to a service that is not deployed is an error" },
  { path: "services.*.ports", value: [], doc: "no ports" },
  { path: "services.*.ports.*.protocol", value: "tcp", doc: "TCP" },
  { path: "services.*.env", value: {}, doc: "no environment variables" },
  { path: "services.*.files", value: [], doc: "no config files" },
  { path: "services.*.labels", value: {}, doc: "no extra labels (envkit's own are always set)" },
  { path: "services.*.annotations", value: {}, doc: "no annotations" },
  { path: "services.*.terminationGracePeriod", value: "30s", doc: "30s between the stop signal and SIGKILL (Kubernetes' default), so databases shut down cleanly" },
  { path: "services.*.sysctls", value: {}, doc: "the kernel's defaults" },
  { path: "env", value: {}, doc: "no environment variables shared by every service" },
  { path: "budget.ratio", value: (c: DefaultContext) => BY_NAME_BUDGET.get(c.envName), doc: "dev 20%, test 30%, staging 40% of the environment named in budget.of (the seeds' shares); other names must set it", onlyIfParentExists: true },
  { path: "services.*.secrets", value: [], doc: "no secrets" },
  { path: "services.*.connections", value: [], doc: "no outgoing connections: undeclared traffic is blocked" },
  { path: "services.*.volumes", value: [], doc: "no volumes" },
  { path: "services.*.volumes.*.size", value: "1Gi", doc: "1 GiB per volume" },
  { path: "services.*.backup.schedule", value: "0 2 * * *", doc: "daily at 02:00 (seeds: prod backs up daily; a daily dump of a test database costs only its short retention)", onlyIfParentExists: true },
  { path: "services.*.backup.retention", value: (c: DefaultContext) => BY_NAME_BACKUP_RETENTION.get(c.envName) ?? "7d", doc: "30 days in prod (long retention: the seeds' RETENTION_DAYS=30), 7 days elsewhere (short retention); dev has no backup unless it declares one", onlyIfParentExists: true },
  {
    path: "services.*.backup.volume",
    value: (c: DefaultContext) => {
      const vols = (c.doc.services as Record<string, { volumes?: { name: string }[] }>)[c.bound[0]]?.volumes ?? [];
      return c.parent.method === "archive" && vols.length === 1 ? vols[0].name : undefined;
    },
    doc: "archive: the service's only volume (a service with several must name one)",
    onlyIfParentExists: true,
  },
  { path: "services.*.backup.to", value: () => ({ volume: "backups" }), doc: "a protected volume (Docker) or claim (Kubernetes) <app>-<env>-<service>-backups, kept on destroy", onlyIfParentExists: true },
  { path: "services.*.backup.to.size", value: (c: DefaultContext) => (c.parent.volume !== undefined ? "10Gi" : undefined), doc: "10 GiB for the backup volume (dumps are compressed; check its use against the retention)", onlyIfParentExists: true },
  { path: "services.*.replicas", value: 1, doc: "one replica" },
  { path: "services.*.writablePaths", value: ["/tmp"], doc: "only /tmp is writable on the read-only root filesystem" },
  { path: "services.*.writableSize", value: "64Mi", doc: "64 MiB per writable path (tmpfs on Docker counts against the memory limit)" },
  // Resources
  { path: "services.*.resources.cpu", value: "100m", doc: "CPU request 100m" },
  { path: "services.*.resources.memory", value: "128Mi", doc: "memory request 128Mi" },
  {
    path: "services.*.resources.cpuLimit",
    value: (c: DefaultContext) => {
      const r = parseCpu(c.parent.cpu as string);
      // Capped at the per-container maximum (1024 cores), so a request above 512 cores still
      // gets a limit that validates.
      return r.ok ? `${Math.max(r.value, Math.min(r.value * 2, CONTAINER_CPU.max))}m` : c.parent.cpu;
    },
    doc: "twice the CPU request",
  },
  { path: "services.*.resources.memoryLimit", value: (c: DefaultContext) => c.parent.memory, doc: "equal to the memory request (no overcommit)" },
  // Health timings (only when a health check is declared)
  { path: "services.*.health.interval", value: "10s", doc: "check every 10s", onlyIfParentExists: true },
  { path: "services.*.health.timeout", value: "5s", doc: "5s per check", onlyIfParentExists: true },
  { path: "services.*.health.retries", value: 3, doc: "3 failures mark it unhealthy", onlyIfParentExists: true },
  { path: "services.*.health.startPeriod", value: "30s", doc: "30s to start before failures count", onlyIfParentExists: true },
  // Hardening (Pod Security "restricted", CIS Docker Benchmark §5)
  { path: "services.*.security.runAsNonRoot", value: true, doc: "PSS restricted; CIS 4.1" },
  { path: "services.*.security.user", value: "10001:10001", doc: "an unprivileged numeric uid:gid" },
  { path: "services.*.security.readOnlyRootFilesystem", value: true, doc: "CIS 5.12; writablePaths get tmpfs/emptyDir" },
  { path: "services.*.security.dropCapabilities", value: ["ALL"], doc: "PSS restricted; CIS 5.3" },
  { path: "services.*.security.addCapabilities", value: [], doc: "no capabilities added back" },
  { path: "services.*.security.noNewPrivileges", value: true, doc: "PSS restricted; CIS 5.25" },
  { path: "services.*.security.privileged", value: false, doc: "CIS 5.4" },
  { path: "services.*.security.seccompProfile", value: "RuntimeDefault", doc: "PSS restricted; CIS 5.21" },
  { path: "services.*.security.automountServiceAccountToken", value: false, doc: "no API token unless asked" },
  // Docker runtime
  { path: "services.*.restart.policy", value: "on-failure", doc: "restart on failure (CIS 5.14)" },
  { path: "services.*.restart.maxRetries", value: 5, doc: "at most 5 restarts (CIS 5.14)" },
  { path: "services.*.logging.maxSize", value: "10m", doc: "json-file logs rotate at 10 MB" },
  { path: "services.*.logging.maxFile", value: 3, doc: "3 rotated log files kept" },
  // Metrics, SLOs and alerts (seeds: S0 L892-927, S1 L1338-1412, S4 L1066-1107; see lib/observability)
  { path: "services.*.metrics.path", value: "/metrics", doc: "the Prometheus client libraries' endpoint (seed S0 L880)", onlyIfParentExists: true },
  { path: "services.*.metrics.requests", value: "http_requests_total", doc: "the Prometheus client libraries' request counter name", onlyIfParentExists: true },
  { path: "services.*.metrics.statusLabel", value: "code", doc: "the status label of the client libraries' HTTP middleware", onlyIfParentExists: true },
  { path: "services.*.metrics.latency", value: "http_request_duration_seconds", doc: "the client libraries' request-duration histogram", onlyIfParentExists: true },
  { path: "slo.availability", value: 99.95, doc: "the SLA of seed S1 L1409 (its 99.9% target at L1357 is looser); error budget 0.05%, the SLA's error rate (L1411)" },
  { path: "slo.errorRate", value: 0.1, doc: "error rate < 0.1% (seed S1 L350, L1356): the post-deploy gate and target, alerted over 5 minutes; the 0.05% SLA is the availability's budget" },
  { path: "slo.latencyP99", value: "500ms", doc: "P99 < 500 ms (seed S1 L1410)" },
  { path: "monitoring.level", value: "basic", doc: "basic monitoring (seed S0 L79: dev); environment files name standard or full" },
  { path: "monitoring.scrapeInterval", value: "15s", doc: "seeds S0 L873 and S4 L1032 scrape every 15s" },
  { path: "monitoring.downAfter", value: "1m", doc: "ContainerDown after 1m (seeds S0 L901-908, S4 L1072-1079)" },
  { path: "monitoring.cpu.warning", value: 70, doc: "CPU tiers 70/85/95% (seed S1 L1401-1404), of the CPU limit (the seeds' rules measure cores)" },
  { path: "monitoring.cpu.critical", value: 85, doc: "CPU critical at 85% of the limit (seed S1 L1403)" },
  { path: "monitoring.cpu.emergency", value: 95, doc: "CPU emergency at 95% of the limit (seed S1 L1404)" },
  { path: "monitoring.memory.warning", value: 80, doc: "memory < 80% target (seeds S0 L211, S1 L1341)" },
  { path: "monitoring.memory.critical", value: 85, doc: "memory alert at 85% of the limit (seed S4 L1090-1097)" },
  { path: "monitoring.memory.emergency", value: 90, doc: "memory alert at 90% of the limit (seed S0 L919-926); the OOM kill comes at 100%" },
  { path: "monitoring.disk.warning", value: 85, doc: "disk usage < 85% target (seeds S0 L212, S1 L1342)" },
  { path: "monitoring.disk.critical", value: 90, doc: "disk > 90% alert (seed S4 L1264-1268; its < 15% free at L1099 is 85%, the warning)" },
  { path: "monitoring.restarts.count", value: 3, doc: "3 restarts per hour is a loop (seed S4 auto-heal MAX_RESTARTS=3)" },
  { path: "monitoring.restarts.window", value: "1h", doc: "within an hour (seed S4 RESTART_WINDOW=3600)" },
  { path: "monitoring.stack", value: false, doc: "no monitoring containers unless asked (Docker: Prometheus, Alertmanager, Grafana, cAdvisor; Swarm: the first three)" },
  { path: "monitoring.receivers", value: [], doc: "no receivers (guardrail ENVK-MON-001 asks for one in mandatory environments with the monitoring set)" },
  { path: "services.*.autoscaling.cpuUtilization", value: 70, doc: "HPA target 70% CPU", onlyIfParentExists: true },
  // Environment
  { path: "policy.enforcement", value: (c: DefaultContext) => BY_NAME_ENFORCEMENT.get(c.envName) ?? "mandatory", doc: "advisory for dev and test, mandatory for every other environment" },
  { path: "policy.suppressions", value: [], doc: "no suppressions" },
  { path: "network.subnet", value: (c: DefaultContext) => BY_NAME_SUBNET.get(c.envName), doc: "dev 10.200.0.0/16, test 10.201.0.0/16, staging 10.202.0.0/16, prod 10.203.0.0/16; other names must set it", setting: "network.subnet" },
  { path: "backend", value: (c: DefaultContext) => ({ type: "local", path: localStatePath(c.envName) }), doc: "local state next to the output folder (relative, so output is machine-independent)" },
  { path: "backend.path", value: (c: DefaultContext) => (c.parent.type === "local" ? localStatePath(c.envName) : undefined), doc: "local state path relative to the stack folder, so output is machine-independent" },
  { path: "rollout.strategy", value: "rolling", doc: "rolling updates: no downtime, about 1.2x resources while rolling" },
  { path: "rollout.maxSurge", value: "25%", doc: "25% extra pods during a rolling update" },
  { path: "rollout.maxUnavailable", value: 0, doc: "no capacity lost during a rolling update" },
  { path: "rollout.timeout", value: "10m", doc: "apply waits 10 minutes for a rollout" },
  {
    path: "services.*.rollout.strategy",
    value: (c: DefaultContext) => {
      const strategy = envRollout(c).strategy;
      const svc = serviceOf(c);
      // A singleton never runs twice, and a job or cron job runs to completion: nothing rolls.
      if (svc.singleton === true || svc.kind === "job" || svc.kind === "cronjob") return "recreate";
      // Two copies of a stateful service would share (or split) one database's data.
      return svc.kind === "stateful" && (strategy === "blue-green" || strategy === "canary") ? "rolling" : strategy;
    },
    doc: "the environment's rollout.strategy (a stateful service rolls instead of running two copies of its data; a singleton, job or cron job is recreated: never two at once)",
  },
  { path: "services.*.rollout.maxSurge", value: (c: DefaultContext) => (c.parent.strategy === "recreate" ? undefined : envRollout(c).maxSurge), doc: "the environment's rollout.maxSurge" },
  { path: "services.*.rollout.maxUnavailable", value: (c: DefaultContext) => (c.parent.strategy === "recreate" ? undefined : envRollout(c).maxUnavailable), doc: "the environment's rollout.maxUnavailable" },
  { path: "services.*.rollout.timeout", value: (c: DefaultContext) => envRollout(c).timeout, doc: "the environment's rollout.timeout" },
  { path: "services.*.rollout.idleReplicas", value: (c: DefaultContext) => (c.parent.strategy === "blue-green" ? serviceOf(c).replicas : undefined), doc: "the idle blue-green slot keeps the service's replicas (an instant switch back); set 0 after a soak" },
  { path: "volumes.preventDestroy", value: false, doc: "volumes can be destroyed (set true for data you keep)" },
  { path: "limitRange.cpu", value: "100m", doc: "LimitRange default CPU request", setting: "limitRange" },
  { path: "limitRange.memory", value: "128Mi", doc: "LimitRange default memory request", setting: "limitRange" },
  { path: "limitRange.cpuLimit", value: "500m", doc: "LimitRange default CPU limit", setting: "limitRange" },
  { path: "limitRange.memoryLimit", value: "256Mi", doc: "LimitRange default memory limit", setting: "limitRange" },
  { path: "secretRevisions", value: {}, doc: "every secret at revision 1" },
];

const COMPOSED = new WeakMap<TargetRegistry, readonly DefaultRule[]>();

/**
 * The one defaults table of a set of targets: the shared defaults, then each target's block
 * defaults as `<target>.<path>`, limited to that target's environments and naming the file that
 * defines them.
 */
export function defaultsFor(registry: TargetRegistry): readonly DefaultRule[] {
  let rules = COMPOSED.get(registry);
  if (!rules) {
    const own = [...registry.adapters.values()].flatMap((a) => a.settings.defaults.map((d): DefaultRule => ({ ...d, path: `${a.name}.${d.path}`, targets: [a.name], where: a.settings.source })));
    rules = [...SHARED_DEFAULTS, ...own];
    COMPOSED.set(registry, rules);
  }
  return rules;
}

/** Every default envkit applies, in application order. The README's config reference lists them. */
export const DEFAULTS: readonly DefaultRule[] = defaultsFor(REGISTRY);

/** A rule ready to apply: its path split once, how its value is made. */
interface CompiledRule {
  readonly rule: DefaultRule;
  readonly segs: readonly string[];
  /** The value as given (a function is called per place; an object or list is copied per place). */
  readonly make: "call" | "copy" | "share";
}

const COMPILED = new WeakMap<readonly DefaultRule[], readonly CompiledRule[]>();

function compiled(rules: readonly DefaultRule[]): readonly CompiledRule[] {
  let c = COMPILED.get(rules);
  if (!c) {
    c = rules.map((rule) => ({ rule, segs: rule.path.split("."), make: typeof rule.value === "function" ? "call" : typeof rule.value === "object" && rule.value !== null ? "copy" : "share" }));
    COMPILED.set(rules, c);
  }
  return c;
}

/**
 * Fills in every default that the document does not set, and returns which values were defaulted
 * by which rule. The document is modified in place (callers pass a fresh merge result).
 */
export function applyDefaults(doc: Record<string, unknown>, envName: string, target: string, registry: TargetRegistry = REGISTRY): DefaultedValues {
  const applied = new DefaultedValues();
  const reads: readonly string[] = adapterFor(target, registry)?.settings.reads ?? [];
  // One binding list, pushed and popped as the walk descends (no copy per node: at 1,000
  // services the copies were most of this function's time), and no key/value pairs.
  const bound: string[] = [];
  for (const c of compiled(defaultsFor(registry))) {
    const { rule, segs, make } = c;
    if (rule.targets && !rule.targets.includes(target)) continue;
    if (rule.setting && !reads.includes(rule.setting)) continue;
    const last = segs.length - 1;
    const visit = (obj: Record<string, unknown>, i: number): void => {
      const seg = segs[i];
      if (seg === "*") {
        if (Array.isArray(obj)) {
          // Items of named lists by name (else by index), as in config paths.
          for (let k = 0; k < obj.length; k++) {
            const child: unknown = obj[k];
            if (!isPlainObject(child)) continue;
            bound.push(typeof child.name === "string" ? child.name : String(k));
            visit(child, i + 1);
            bound.pop();
          }
        } else {
          for (const k of Object.keys(obj)) {
            const child = obj[k];
            if (!isPlainObject(child)) continue;
            bound.push(k);
            visit(child, i + 1);
            bound.pop();
          }
        }
        return;
      }
      if (i === last) {
        if (!Object.hasOwn(obj, seg) || obj[seg] === undefined) {
          const value = make === "call" ? (rule.value as (c: DefaultContext) => unknown)({ envName, doc, parent: obj, bound: bound.slice() }) : make === "copy" ? clone(rule.value) : rule.value;
          if (value === undefined) return;
          setOwn(obj, seg, value);
          applied.applied(rule, segs, bound);
        }
        return;
      }
      let next = Object.hasOwn(obj, seg) ? obj[seg] : undefined;
      if (next === undefined) {
        // Never create the parent (or any ancestor) of a value that exists only under its parent.
        if (rule.onlyIfParentExists) return;
        next = segs[i + 1] === "*" ? undefined : {};
        if (next === undefined) return;
        setOwn(obj, seg, next);
      }
      // Lists of items without names (connections, egress) are walked by index.
      const itemList = Array.isArray(next) && segs[i + 1] === "*" && next.every((x) => isPlainObject(x));
      if (isPlainObject(next) || isNamedList(next) || itemList) visit(next as Record<string, unknown>, i + 1);
    };
    visit(doc, 0);
  }
  return applied;
}
