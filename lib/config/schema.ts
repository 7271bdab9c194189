import { z } from "zod";
import { CAPABILITY_NAMES, SECCOMP_FORMS } from "../model/capabilities";
import { parseCidr } from "../model/cidr";
import { parseDuration } from "../model/duration";
import { parseRepository } from "../model/image-ref";
import { CONTAINER_CPU, CONTAINER_MEMORY, MAX_QUOTA_COUNT, MAX_REPLICAS, QUOTA_CPU, QUOTA_MEMORY, QuantityBound, VOLUME_SIZE } from "../model/limits";
import { parseCpu, parseMemory } from "../model/quantity";
import { DNS1123_LABEL, SECRET_NAME, checkContainerPath, checkDnsLabel, checkPortName, checkRelativeSource } from "../model/names";
import { BACKUP_METHODS, HEALTH_CHECK_KINDS, PROBE_TOOLS, ROLLOUT_STRATEGIES, SLOTS } from "../model/environment";
import { numericKubernetesCron, parseCron } from "../model/cron";
import { Parsed } from "../model/result";
import { KnownTargetName, REGISTRY, TARGETS, TargetRegistry, targetNames } from "../targets/registry";
import { didYouMean } from "./suggest";
import { isCalendarDate } from "../model/calendar-date";

/*
 * The zod schemas are the contract of the config files *and* the library's public input types:
 * `AppConfig` and `EnvironmentConfig` can be written as YAML or passed as objects from TypeScript.
 * Every object is strict (unknown keys are errors). Fields that have a default are optional here;
 * the defaults live in one table (defaults.ts) so that `envkit explain` can say where each came from.
 * Each target's own block (`docker:`, `kubernetes:`) is that target's schema, taken from the
 * target registry: this file names no target.
 */

function parsedString(parse: (s: string) => Parsed<unknown>) {
  return z.union([z.string(), z.number()]).check((ctx) => {
    const r = parse(String(ctx.value));
    if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
  });
}

const cpuWithin = (bound: QuantityBound) => parsedString((s) => parseCpu(s, bound));
const memoryWithin = (bound: QuantityBound) => parsedString((s) => parseMemory(s, bound));
/** CPU quantity of a container: `500m`, `0.5`, `2`; at most 1024 cores. */
export const CpuQuantity = cpuWithin(CONTAINER_CPU);
/** Memory quantity of a container: `512Mi`, `2Gi`, `512M`; at most 1Pi. */
export const MemoryQuantity = memoryWithin(CONTAINER_MEMORY);
const VolumeSize = memoryWithin(VOLUME_SIZE);
const QuotaCpu = cpuWithin(QUOTA_CPU);
const QuotaMemory = memoryWithin(QUOTA_MEMORY);
/** Duration: `30s`, `5m`. */
export const Duration = z.string().check((ctx) => {
  const r = parseDuration(ctx.value);
  if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
});
const Cidr = z.string().check((ctx) => {
  const r = parseCidr(ctx.value);
  if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
});
const Name = z.string().check((ctx) => {
  const m = checkDnsLabel(ctx.value);
  if (m) ctx.issues.push({ code: "custom", message: m, input: ctx.value });
});
const SecretName = z.string().regex(SECRET_NAME, {
  message: "secret names are lowercase letters, digits and _ starting with a letter (e.g. db_password); they become Terraform variables",
});
const PORT_RANGE = { message: "ports are 1-65535" };
const PortNumber = z.number().int().min(1, PORT_RANGE).max(65535, PORT_RANGE);
const NODE_PORT_RANGE = { message: "node ports are 30000-32767 (the Kubernetes default service-node-port-range); leave nodePort out to let the cluster allocate one" };
const PortName = z.string().check((ctx) => {
  const m = checkPortName(ctx.value);
  if (m) ctx.issues.push({ code: "custom", message: m, input: ctx.value });
});
const Percentage = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, { message: 'write a count (1) or a percentage ("25%")' })]);
/** A normalised absolute path inside the container, other than "/" (a mount there hides the image). */
const ContainerPath = z.string().check((ctx) => {
  const m = ctx.value === "/" ? `"/" cannot be mounted over (it would hide the whole image); name the folder the image writes to, e.g. "/tmp"` : checkContainerPath(ctx.value);
  if (m) ctx.issues.push({ code: "custom", message: m, input: ctx.value });
});
const REPLICA_RANGE = { message: `at most ${MAX_REPLICAS} replicas per service; more is a typo, not a workload` };
const Replicas = z.number().int().max(MAX_REPLICAS, REPLICA_RANGE);

/** A list without repeated values (a repeat is always a typo, and some APIs reject it). */
function uniqueList<T extends z.ZodType<string>>(item: T, what: string) {
  return z.array(item).check((ctx) => {
    const seen = new Set<string>();
    ctx.value.forEach((v, i) => {
      if (seen.has(v)) ctx.issues.push({ code: "custom", message: `${what} "${v}" is listed twice; remove the repeat`, input: v, path: [i] });
      seen.add(v);
    });
  });
}

/**
 * A list of named items (ports, volumes) without two items of one name: layering addresses items
 * by name, so a second `- name: data` in the same file would silently replace or shadow the first.
 */
function namedList<T extends z.ZodType<{ name: string }>>(item: T, what: string) {
  return z.array(item).check((ctx) => {
    const seen = new Set<string>();
    ctx.value.forEach((v, i) => {
      const name = typeof v === "object" && v !== null ? (v as { name?: unknown }).name : undefined;
      if (typeof name !== "string") return;
      if (seen.has(name)) ctx.issues.push({ code: "custom", message: `${what} "${name}" is declared twice in this list; merge the two items or rename one`, input: name, path: [i] });
      seen.add(name);
    });
  });
}

/** A Linux capability name without the `CAP_` prefix, or `ALL`. */
const Capability = z.string().check((ctx) => {
  const v = ctx.value;
  if (CAPABILITY_NAMES.has(v)) return;
  const bare = v.replace(/^cap_/i, "");
  if (bare !== v && CAPABILITY_NAMES.has(bare.toUpperCase())) {
    ctx.issues.push({ code: "custom", message: `write "${bare.toUpperCase()}" without the CAP_ prefix (Kubernetes rejects the prefix; Docker accepts both)`, input: v });
    return;
  }
  ctx.issues.push({ code: "custom", message: `"${v}" is not a Linux capability${didYouMean(bare, CAPABILITY_NAMES)}; write capability names in capitals without CAP_, e.g. "NET_BIND_SERVICE", or "ALL"`, input: v });
});

/** `RuntimeDefault`, `Unconfined` or `Localhost/<relative path>` (what both targets can express). */
const SeccompProfile = z.string().check((ctx) => {
  const v = ctx.value;
  if (v === "RuntimeDefault" || v === "Unconfined") return;
  const local = /^localhost\/(.*)$/i.exec(v);
  if (local) {
    const profile = local[1];
    const segments = profile.split("/");
    if (!profile || profile.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) {
      ctx.issues.push({ code: "custom", message: `"${v}": a Localhost profile is a relative path below the node's seccomp folder, without "..", "." or empty segments, e.g. "Localhost/profiles/app.json"`, input: v });
    } else if (!v.startsWith("Localhost/")) {
      ctx.issues.push({ code: "custom", message: `"${v}" is not a seccomp profile (did you mean "Localhost/${profile}"?); use ${SECCOMP_FORMS.map((f) => `"${f}"`).join(", ")}`, input: v });
    }
    return;
  }
  ctx.issues.push({ code: "custom", message: `"${v}" is not a seccomp profile${didYouMean(v, SECCOMP_FORMS.slice(0, 2))}; use ${SECCOMP_FORMS.map((f) => `"${f}"`).join(", ")}`, input: v });
});

const ImageRepository = z.string().check((ctx) => {
  const r = parseRepository(ctx.value);
  if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
});

/** One port a service listens on. Named so connections and overlays can refer to it. */
export const PortSchema = z.strictObject({
  /** An IANA service name: at most 15 lowercase letters, digits and "-", with a letter. */
  name: PortName,
  port: PortNumber,
  /** @default "tcp" */
  protocol: z.enum(["tcp", "udp"]).optional(),
  /** Docker only: host port to publish on (public services only). @default same as `port` */
  hostPort: PortNumber.optional(),
  /**
   * The port clients dial (the Kubernetes Service port; `port` is the container's). On Docker and
   * Swarm, when it differs and a service connects to this one, the envkit proxy answers for the
   * service on those connections' networks, listens on it and forwards to `port`.
   * @default same as `port`
   */
  servicePort: PortNumber.optional(),
  /** Kubernetes NodePort/LoadBalancer services: the node port, 30000-32767. @default allocated by the cluster */
  nodePort: z.number().int().min(30000, NODE_PORT_RANGE).max(32767, NODE_PORT_RANGE).optional(),
});

/**
 * An HTTP health-check path: URL path and query characters only. On Docker the check runs as a
 * shell command inside the container, so shell metacharacters (`;`, `|`, `&`, `$`, quotes,
 * backquotes, spaces) are refused rather than quoted.
 */
const HttpPath = z.string().regex(/^\/[A-Za-z0-9._~%/:@+,=?-]*$/, {
  message: 'must start with "/" and use only URL path characters (letters, digits, . _ ~ % / : @ + , = ? -), e.g. "/healthz"',
});

/**
 * A gRPC health service name (`grpc.health.v1.Health/Check`'s `service`): a protobuf full name.
 * Empty or absent asks for the server's overall health.
 */
const GrpcService = z.string().regex(/^([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/, {
  message: 'must be a protobuf service name such as "grpc.health.v1.Health" or "shop.Api" (letters, digits, _ and dots)',
});

/** The check kinds, each optional; exactly one is set per check (see {@link oneCheckKind}). */
const CHECK_KINDS = {
  /** HTTP GET on a named port; healthy on 2xx/3xx. */
  http: z.strictObject({ path: HttpPath, port: Name }).optional(),
  /** A TCP connection to a named port. */
  tcp: z.strictObject({ port: Name }).optional(),
  /** The gRPC health-checking protocol on a named port. */
  grpc: z.strictObject({ port: Name, service: GrpcService.optional() }).optional(),
  /** A command run inside the container, exec form (no shell). */
  command: z.array(z.string()).min(1).optional(),
};

/** Refuses a check with more than one kind: each kind is a different way to decide health. */
function oneCheckKind(ctx: { value: Record<string, unknown>; issues: unknown[] }): void {
  const set = HEALTH_CHECK_KINDS.filter((k) => ctx.value[k] !== undefined);
  if (set.length < 2) return;
  const which = set.length === 2 ? `either ${set[0]} or ${set[1]}, not both` : `one of ${set.join(", ")}, not ${set.length}`;
  ctx.issues.push({ code: "custom", message: `set ${which}: a health check has exactly one kind (http, tcp, grpc or command)`, input: ctx.value });
}

const Retries = z.number().int().min(1).max(100);

/** A role's own check (Kubernetes readiness, liveness, startup): a kind and/or timings. */
const HealthRoleSchema = z
  .strictObject({
    ...CHECK_KINDS,
    /** @default the service's `health.interval` */
    interval: Duration.optional(),
    /** @default the service's `health.timeout` */
    timeout: Duration.optional(),
    /** @default the service's `health.retries` */
    retries: Retries.optional(),
  })
  .check(oneCheckKind);

/**
 * How an http/tcp/grpc check runs where the target checks from inside the container (Docker):
 * a `tool` the image has (envkit writes its arguments) or your own exec-form `command`.
 */
const ProbeSchema = z
  .strictObject({
    /** @default "wget" for http checks (busybox/alpine); tcp and grpc checks need one */
    tool: z.enum(PROBE_TOOLS).optional(),
    command: z.array(z.string()).min(1).optional(),
  })
  .check((ctx) => {
    if (ctx.value.tool !== undefined && ctx.value.command !== undefined) {
      ctx.issues.push({ code: "custom", message: "set either tool or command, not both: command replaces the tool's command line", input: ctx.value });
    }
  });

/**
 * How to tell that a service is healthy: an HTTP GET, a TCP connect, a gRPC health check or a
 * command run inside the container; per-role overrides where the target has roles.
 */
export const HealthSchema = z
  .strictObject({
    ...CHECK_KINDS,
    /** @default "10s" */
    interval: Duration.optional(),
    /** @default "5s" */
    timeout: Duration.optional(),
    /** @default 3 */
    retries: Retries.optional(),
    /** @default "30s" */
    startPeriod: Duration.optional(),
    /** How an in-container check runs an http/tcp/grpc check. @default "wget" for http */
    probe: ProbeSchema.optional(),
    /** Kubernetes readiness probe. @default the service-wide check */
    readiness: HealthRoleSchema.optional(),
    /** Kubernetes liveness probe. @default the service-wide check */
    liveness: HealthRoleSchema.optional(),
    /** Kubernetes startup probe. @default the service-wide check */
    startup: HealthRoleSchema.optional(),
  })
  .check(oneCheckKind);

/** A declared connection: this service may talk to `to` on port `port` (a port name). */
export const ConnectionSchema = z.strictObject({
  to: Name,
  port: Name,
  /**
   * The connection is skipped (with a note in `envkit explain`) where `to` is not deployed
   * (`enabled: false` in that environment), instead of being an error. @default false
   */
  optional: z.boolean().optional(),
  /**
   * An environment variable set to the server's address, `<host>:<port>` as this target spells it
   * (the Kubernetes Service name and its servicePort, the Docker network alias, the Swarm service
   * alias), e.g. `REDIS_ADDR`. @default none
   */
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name (letters, digits, _; not starting with a digit), e.g. REDIS_ADDR" }).optional(),
});

/** An allowed destination outside the application (through default-deny). */
export const EgressSchema = z
  .strictObject({
    /** A DNS name, e.g. `smtp.example.com` (Docker and Swarm; Kubernetes needs `cidr`). */
    host: z.string().regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { message: "must be a lowercase DNS name, e.g. smtp.example.com" }).optional(),
    /** An IPv4 range, e.g. `203.0.113.0/24`; Kubernetes NetworkPolicy matches addresses only. */
    cidr: Cidr.optional(),
    port: PortNumber,
    /** @default "tcp" */
    protocol: z.enum(["tcp", "udp"]).optional(),
  })
  .check((ctx) => {
    if (ctx.value.host === undefined && ctx.value.cidr === undefined) ctx.issues.push({ code: "custom", message: 'name the destination: host (e.g. "smtp.example.com") and/or cidr (e.g. "203.0.113.0/24"; Kubernetes needs it)', input: ctx.value });
  });

/** A step run to completion before the service's container starts (Kubernetes init container). */
export const InitStepSchema = z.strictObject({
  command: z.array(z.string()).min(1),
  /** A pinned image reference with a digest. @default the service's own image */
  image: z.string().optional(),
});

/** A cron schedule: five fields (minute hour day-of-month month day-of-week), or a macro such as `@daily`. */
const CronSchedule = z.string().check((ctx) => {
  const r = parseCron(numericKubernetesCron(ctx.value));
  if (!r.ok) ctx.issues.push({ code: "custom", message: `${r.error} (a schedule is five fields, minute hour day-of-month month day-of-week, e.g. "0 3 * * *", or a macro such as "@daily")`, input: ctx.value });
});

/** A persistent volume of a stateful service. */
export const VolumeSchema = z.strictObject({
  name: Name,
  path: ContainerPath,
  /** @default "1Gi" */
  size: VolumeSize.optional(),
  /** Kubernetes storage class. @default the cluster's default class */
  storageClass: z.string().optional(),
});

/** A five-field cron schedule, numbers only: `"0 2 * * *"` is daily at 02:00 (the cluster's or host's time zone). */
const CronText = z.string().check((ctx) => {
  const r = parseCron(ctx.value);
  if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
});

/** An absolute folder on the Docker host, plain characters only (it becomes a bind mount's source). */
const HostPath = z.string().regex(/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { message: 'must be an absolute folder on the Docker host of letters, digits, ".", "_", "-" and "/", e.g. "/srv/backups/shop"' }).refine((v) => !v.split("/").some((seg) => seg === "." || seg === ".."), { message: 'a host folder may not contain "." or ".." segments; write the folder itself, e.g. "/srv/backups/shop"' });

/**
 * Where a service's backups go: exactly one of `volume` (created and protected by envkit),
 * `hostPath` (Docker), `claim` (an existing Kubernetes claim) or `objectStore` (Kubernetes).
 */
export const BackupDestinationSchema = z.strictObject({
  /** A volume (Docker) or claim (Kubernetes) envkit creates with prevent_destroy: `<app>-<env>-<service>-<name>`. */
  volume: Name.optional(),
  /** Size of the backup volume (`volume` only). @default "10Gi" */
  size: VolumeSize.optional(),
  /** Docker: a folder on the host (bind mount); it must exist and be writable by the backup's uid. */
  hostPath: HostPath.optional(),
  /** Kubernetes: an existing claim (not created or deleted by envkit). */
  claim: Name.optional(),
  /** Kubernetes: an S3-compatible bucket; credentials from an existing Secret, never in config. */
  objectStore: z
    .strictObject({
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "must be an S3 bucket name (3-63 lowercase letters, digits, . and -)" }),
      /** Name of an existing Kubernetes Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
      secret: Name,
      /** S3 endpoint for non-AWS stores. @default AWS */
      endpoint: z.string().regex(/^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/, { message: 'must be an https:// endpoint, e.g. "https://s3.eu-central-1.amazonaws.com"' }).optional(),
      /** The uploader image, pinned by digest, carrying the `aws` CLI (e.g. amazon/aws-cli@sha256:…). */
      image: z.string().regex(/^[a-z0-9./_:-]+@sha256:[0-9a-f]{64}$/, { message: 'must be an image pinned by digest, "<repository>@sha256:<64 hex>", carrying the aws CLI' }),
    })
    .optional(),
});

/** A scheduled backup of a service (see README "Backups and restore"). */
export const BackupSchema = z.strictObject({
  /**
   * `postgres` (pg_dump custom format), `mysql` (mysqldump --single-transaction | gzip), `redis`
   * (redis-cli --rdb), or `archive` (a tar of a volume: consistent only for data at rest).
   */
  method: z.enum(BACKUP_METHODS),
  /** Five-field cron schedule. @default "0 2 * * *" (daily at 02:00) */
  schedule: CronText.optional(),
  /** Backups kept: a count (`14`) or an age in days (`"30d"`). @default "30d" in prod, "7d" elsewhere */
  retention: z.union([z.number().int().min(1).max(1000), z.string().regex(/^[1-9]\d{0,3}d$/, { message: 'write a count (e.g. 14) or an age in days (e.g. "30d")' })]).optional(),
  /** `archive`: the service's volume to archive. @default the service's only volume */
  volume: Name.optional(),
  /** @default { volume: "backups" } */
  to: BackupDestinationSchema.optional(),
});

/** Requests and limits. */
export const ResourcesSchema = z.strictObject({
  /** CPU request. @default "100m" */
  cpu: CpuQuantity.optional(),
  /** Memory request. @default "128Mi" */
  memory: MemoryQuantity.optional(),
  /** CPU limit. @default 2 × cpu */
  cpuLimit: CpuQuantity.optional(),
  /** Memory limit. @default same as memory */
  memoryLimit: MemoryQuantity.optional(),
});

/** Hardening of the container. Every field has a secure default that can be switched off. */
export const SecuritySchema = z.strictObject({
  /** @default true */
  runAsNonRoot: z.boolean().optional(),
  /** `uid` or `uid:gid`; numeric so Kubernetes can verify non-root. @default "10001:10001" */
  user: z.string().regex(/^\d+(:\d+)?$/, { message: 'must be numeric "uid" or "uid:gid", e.g. "10001:10001"' }).optional(),
  /** @default true */
  readOnlyRootFilesystem: z.boolean().optional(),
  /** Linux capability names without `CAP_`, or `ALL`. @default ["ALL"] */
  dropCapabilities: uniqueList(Capability, "capability").optional(),
  /** Linux capability names without `CAP_`, or `ALL`. @default [] */
  addCapabilities: uniqueList(Capability, "capability").optional(),
  /** @default true */
  noNewPrivileges: z.boolean().optional(),
  /** @default false */
  privileged: z.boolean().optional(),
  /** `RuntimeDefault`, `Unconfined` or `Localhost/<profile>`. @default "RuntimeDefault" */
  seccompProfile: SeccompProfile.optional(),
  /** Kubernetes: mount the service-account token. @default false */
  automountServiceAccountToken: z.boolean().optional(),
});

/** Restart behaviour on Docker. */
export const RestartSchema = z.strictObject({
  /** @default "on-failure" */
  policy: z.enum(["on-failure", "unless-stopped", "always", "no"]).optional(),
  /** Only for on-failure. @default 5 */
  maxRetries: z.number().int().min(0).optional(),
});

/** json-file log rotation on Docker. */
export const LoggingSchema = z.strictObject({
  /** @default "10m" */
  maxSize: z.string().regex(/^\d+[kmg]$/, { message: 'write e.g. "10m" (k, m or g)' }).optional(),
  /** @default 3 */
  maxFile: z.number().int().min(1).optional(),
});

/** Horizontal autoscaling (Kubernetes HPA autoscaling/v2). */
export const AutoscalingSchema = z.strictObject({
  minReplicas: Replicas.min(1),
  maxReplicas: Replicas.min(1),
  /** @default 70 */
  cpuUtilization: z.number().int().min(1).max(100).optional(),
});

/** A Prometheus metric name (no labels, no spaces). */
const MetricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'must be a Prometheus metric name: letters, digits, "_" and ":", not starting with a digit, e.g. "http_requests_total"' });
/** A Prometheus label name. */
const LabelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { message: 'must be a Prometheus label name: letters, digits and "_", not starting with a digit, e.g. "code"' });

/**
 * The service's metrics endpoint and the names its HTTP metrics use (the Prometheus client
 * libraries' conventions by default), read by the generated SLO alerts and dashboards.
 */
export const MetricsSchema = z.strictObject({
  /** The named port (from `ports`) that serves the metrics. */
  port: Name,
  /** @default "/metrics" */
  path: HttpPath.optional(),
  /** Counter of handled requests, labelled with the status. @default "http_requests_total" */
  requests: MetricName.optional(),
  /** Label of {@link requests} holding the HTTP status code. @default "code" */
  statusLabel: LabelName.optional(),
  /** Histogram of request durations in seconds (`<name>_bucket`). @default "http_request_duration_seconds" */
  latency: MetricName.optional(),
});

const envValue = z.union([z.string(), z.number(), z.boolean()]);

/** Signals a process is asked to stop with (what Docker and Swarm accept as `stop_signal`). */
export const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

/** One config file: a path in the container and its text, inline or from a file of the application folder. */
export const ConfigFileSchema = z
  .strictObject({
    /** Absolute path of the file inside the container, e.g. `/etc/nginx/conf.d/default.conf`. */
    path: ContainerPath,
    /** The file's text. */
    content: z.string().optional(),
    /** A file relative to the application folder (no "..", no absolute path), read at synth. */
    source: z.string().optional(),
  })
  .check((ctx) => {
    const { content, source } = ctx.value;
    if ((content === undefined) === (source === undefined)) ctx.issues.push({ code: "custom", message: "set exactly one of content (the text) or source (a file in the application folder)", input: ctx.value });
    if (source !== undefined) {
      const m = checkRelativeSource(source);
      if (m) ctx.issues.push({ code: "custom", message: m, input: source, path: ["source"] });
    }
  });
const Strategy = z.enum(ROLLOUT_STRATEGIES);
/** A release as in `release.<svc>` (checked against the service's image in resolve.ts). */
const SlotRelease = z.string().min(1, { message: 'write a release such as "1.4.2@sha256:…"' });
const WEIGHT_RANGE = { message: "the canary weight is a percentage of traffic: a whole number from 0 to 100" };

/**
 * A service's own rollout. Which fields apply depends on the strategy (checked after layering,
 * in resolve.ts): rolling, blue-green and canary take maxSurge/maxUnavailable; blue-green takes
 * live, slots and idleReplicas; canary takes canary.
 */
export const ServiceRolloutSchema = z.strictObject({
  /**
   * `recreate` | `rolling` | `blue-green` | `canary`.
   * @default the environment's `rollout.strategy` (`rolling` for a stateful service when that is blue-green or canary)
   */
  strategy: Strategy.optional(),
  /** Extra pods while a workload rolls (rolling, blue-green, canary). @default the environment's `rollout.maxSurge` */
  maxSurge: Percentage.optional(),
  /** Pods that may be missing while a workload rolls. @default the environment's `rollout.maxUnavailable` */
  maxUnavailable: Percentage.optional(),
  /** How long apply waits for this service's rollout. @default the environment's `rollout.timeout` */
  timeout: Duration.optional(),
  /** blue-green: the slot that takes traffic (`blue` | `green`); the other is the preview. */
  live: z.enum(SLOTS).optional(),
  /** blue-green: the release of each slot, written like `release.<svc>`. */
  slots: z.strictObject({ blue: SlotRelease.optional(), green: SlotRelease.optional() }).optional(),
  /** blue-green: replicas of the idle slot (0 scales it down after a soak). @default the service's replicas */
  idleReplicas: Replicas.min(0).optional(),
  /** canary: the canary release and its share of traffic; the stable release is `release.<svc>`. */
  canary: z
    .strictObject({
      release: SlotRelease,
      /** Percent of traffic, 0..100. */
      weight: z.number().int(WEIGHT_RANGE).min(0, WEIGHT_RANGE).max(100, WEIGHT_RANGE),
    })
    .optional(),
});

/** One service of the application, as written in app.yaml. */
export const ServiceSchema = z.strictObject({
  /** Image repository without tag, e.g. `ghcr.io/acme/api`; the release pins it per environment. */
  image: ImageRepository,
  /**
   * `stateless` and `stateful` run continuously; a `job` runs to completion once per release
   * (e.g. a migration), a `cronjob` on `schedule` (a Kubernetes CronJob; envkit's scheduler on
   * Docker and Swarm, which needs its `command`). @default "stateless"
   */
  kind: z.enum(["stateless", "stateful", "job", "cronjob"]).optional(),
  /**
   * The service's previous name, when it is renamed: its resources move (Terraform `moved`
   * blocks) instead of being destroyed and created, and what holds its data (volumes, the
   * StatefulSet, the Swarm node pin) keeps this name. Keep it as long as the service exists.
   * @default none (not renamed)
   */
  renamedFrom: z.string().optional(),
  /** Reachable from outside the environment (published port / ingress). @default false */
  public: z.boolean().optional(),
  /** Whether the service is deployed in this environment (`false`: opt-in elsewhere). @default true */
  enabled: z.boolean().optional(),
  /** Exactly one replica, never two at once (stop before start on every update). @default false */
  singleton: z.boolean().optional(),
  /** Kind `cronjob`: when it runs, cron syntax in UTC. @default none (required for a cronjob) */
  schedule: CronSchedule.optional(),
  /** Kind `job`: services that start only after this job completed successfully. @default [] */
  runBefore: uniqueList(Name, "service").optional(),
  /** Steps run to completion before the container starts (Kubernetes init containers). @default [] */
  init: z.array(InitStepSchema).optional(),
  /**
   * How a public service is exposed on Kubernetes: `ClusterIP` (behind the ingress),
   * `LoadBalancer` or `NodePort`. @default the environment's `kubernetes.exposure`
   */
  exposure: z.enum(["ClusterIP", "LoadBalancer", "NodePort"]).optional(),
  /** Destinations outside the application this service may reach through default-deny. @default [] */
  egress: z.array(EgressSchema).optional(),
  /** @default [] */
  ports: namedList(PortSchema, "port").optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  /** Non-secret environment variables. @default {} */
  env: z.record(z.string(), envValue).optional(),
  /**
   * Config files rendered into the container, read-only, content-hashed (a change rolls the
   * workload, a rollback restores it). Each is `{ path, content }` or `{ path, source }` (a file
   * relative to the application folder). A list: an environment's `files` replaces the app's.
   * @default []
   */
  files: z.array(ConfigFileSchema).optional(),
  /** Extra labels on the workload and its pods/containers (not envkit's own keys). @default {} */
  labels: z.record(z.string(), z.string()).optional(),
  /** Annotations on the pod template (Kubernetes) or labels on the container (Docker, Swarm). @default {} */
  annotations: z.record(z.string(), z.string()).optional(),
  /** Time between the stop signal and SIGKILL. @default "30s" */
  terminationGracePeriod: Duration.optional(),
  /** Signal that asks the process to stop (Docker, Swarm; Kubernetes has no such field). @default the image's STOPSIGNAL, else SIGTERM */
  stopSignal: z.enum(STOP_SIGNALS).optional(),
  /** Namespaced kernel parameters from the safe set, e.g. `net.ipv4.tcp_keepalive_time: 600`. @default {} */
  sysctls: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  /** Names of secrets this service needs; values are supplied at apply time. @default [] */
  secrets: uniqueList(SecretName, "secret").optional(),
  health: HealthSchema.optional(),
  /** @default [] */
  connections: z.array(ConnectionSchema).optional(),
  /** @default [] */
  volumes: namedList(VolumeSchema, "volume").optional(),
  /** Scheduled backups of this service's data. @default none */
  backup: BackupSchema.optional(),
  resources: ResourcesSchema.optional(),
  /** @default 1 */
  replicas: Replicas.min(0).optional(),
  /** How a new release of this service replaces the running one. @default the environment's `rollout` */
  rollout: ServiceRolloutSchema.optional(),
  /** Paths the image writes to; mounted as tmpfs/emptyDir on a read-only root. @default ["/tmp"] */
  writablePaths: uniqueList(ContainerPath, "writable path").optional(),
  /**
   * Size of each writable path: a tmpfs on Docker (it counts against the memory limit), an
   * emptyDir `sizeLimit` on Kubernetes. @default "64Mi"
   */
  writableSize: MemoryQuantity.optional(),
  security: SecuritySchema.optional(),
  restart: RestartSchema.optional(),
  logging: LoggingSchema.optional(),
  /** Where Prometheus scrapes the service's own metrics; absent: no scrape, no SLO alerts. */
  metrics: MetricsSchema.optional(),
  autoscaling: AutoscalingSchema.optional(),
});

/** app.yaml: the application, described once. */
export const AppSchema = z.strictObject({
  name: Name,
  /** Environment variables every service gets; a service's own `env` wins. @default {} */
  env: z.record(z.string(), envValue).optional(),
  services: z.record(z.string(), ServiceSchema),
});

/** Per-environment overrides of a service: any service field, all optional. */
export const ServiceOverlaySchema = ServiceSchema.partial().extend({
  ports: namedList(PortSchema.partial().required({ name: true }), "port").optional(),
  volumes: namedList(VolumeSchema.partial().required({ name: true }), "volume").optional(),
  /** `null` removes the application's backup in this environment (e.g. dev). */
  backup: BackupSchema.partial().nullable().optional(),
  /** `null` removes the application's health check in this environment. */
  health: HealthSchema.nullable().optional(),
  /** Refused: a rename is of the application, in every environment at once. */
  renamedFrom: z.custom<string>(() => false, { message: "a rename is declared once, in app.yaml (services.<name>.renamedFrom); remove it here and rename this environment's services.<name> key to the new name instead" }).optional(),
});

/** A reasoned suppression of one guardrail rule. */
export const SuppressionSchema = z.strictObject({
  /** Rule id, e.g. `ENVK-K8S-003`. */
  rule: z.string().regex(/^ENVK-[A-Z0-9]+-\d{3}$/, { message: 'must be a rule id like "ENVK-K8S-003"' }),
  /** Service name or resource path the suppression applies to. @default the whole environment */
  scope: z.string().min(1, { message: 'is empty, which would suppress the rule for the whole environment; name a service or resource path, or leave scope out to mean the whole environment' }).optional(),
  /** Why it is acceptable; required. */
  reason: z.string().min(10, { message: "a suppression needs a reason of at least 10 characters" }),
  /** `YYYY-MM-DD`; after it the finding is reported again. */
  expires: z
    .string()
    .check((ctx) => {
      if (!isCalendarDate(ctx.value)) ctx.issues.push({ code: "custom", message: `must be a real date "YYYY-MM-DD" (e.g. "2027-03-31"); ${JSON.stringify(ctx.value)} is none, and would never expire or expire at once`, input: ctx.value });
    })
    .optional(),
});

/**
 * A backend setting. Terraform reads backend blocks verbatim (no templates; checked with terraform
 * 1.11), so escaping would change the value: template openers are refused instead, as is cdktf's
 * token marker (cdktf would resolve it as a reference).
 */
const BackendString = z.string().refine((v) => !/[$%]\{|TfToken\[/.test(v), {
  message: 'backend settings are used verbatim by Terraform; remove "${", "%{" and "TfToken[" from the value',
});
/** Credentials are never accepted in config; each message names where the backend reads them. */
const noCredential = (where: string) => ({ message: `credentials are never accepted in config (they would land in git and in the synthesized JSON); ${where}` });
const S3Backend = z.strictObject({ type: z.literal("s3"), bucket: BackendString, key: BackendString, region: BackendString, encrypt: z.boolean().optional(), dynamodbTable: BackendString.optional(), useLockfile: z.boolean().optional(), accessKey: z.never(noCredential("set AWS_ACCESS_KEY_ID in the environment of terraform, or use a profile or role")).optional(), secretKey: z.never(noCredential("set AWS_SECRET_ACCESS_KEY in the environment of terraform, or use a profile or role")).optional() });
const GcsBackend = z.strictObject({ type: z.literal("gcs"), bucket: BackendString, prefix: BackendString.optional(), credentials: z.never(noCredential("set GOOGLE_APPLICATION_CREDENTIALS (a key file path) or GOOGLE_CREDENTIALS in the environment of terraform")).optional() });
const AzurermBackend = z.strictObject({ type: z.literal("azurerm"), resourceGroupName: BackendString, storageAccountName: BackendString, containerName: BackendString, key: BackendString, accessKey: z.never(noCredential("set ARM_ACCESS_KEY in the environment of terraform, or use Azure AD authentication")).optional() });
const PgBackend = z.strictObject({ type: z.literal("pg"), schemaName: BackendString.optional(), connStr: z.never({ message: "a connection string holds a password; set PG_CONN_STR in the environment instead" }).optional() });
const RemoteBackend = z.strictObject({ type: z.literal("remote"), organization: BackendString, workspace: BackendString, hostname: BackendString.optional(), token: z.never(noCredential("set TF_TOKEN_<hostname with dots as underscores> (e.g. TF_TOKEN_app_terraform_io) or run terraform login")).optional() });
const LocalBackend = z.strictObject({
  type: z.literal("local"),
  /** Relative to the stack's folder (`<out>/stacks/<env>`). @default "../../../terraform.<env>.tfstate" */
  path: BackendString.optional(),
});

/** Where an environment keeps its Terraform state. */
export const BackendSchema = z.discriminatedUnion("type", [LocalBackend, S3Backend, GcsBackend, AzurermBackend, PgBackend, RemoteBackend]);

/** A share in percent, above 0 and at most 100. */
const Percent = z.number().gt(0, { message: "a percentage above 0" }).max(100, { message: "a percentage of at most 100" });

/** Objectives per environment (`slo:`), in percent and as a duration. */
export const SloSchema = z.strictObject({
  /** Share of requests that succeed, in percent; the error budget is 100 − this. @default 99.95 */
  availability: z.number().min(90, { message: "an availability below 90% leaves an error budget no burn-rate alert can use; write e.g. 99.9" }).lt(100, { message: "an availability of 100% leaves no error budget (every error pages); write e.g. 99.95" }).optional(),
  /** Share of 5xx responses over 5 minutes above which an alert fires, in percent. @default 0.1 */
  errorRate: Percent.optional(),
  /** 99th-percentile latency above which an alert fires. @default "500ms" */
  latencyP99: Duration.optional(),
});

/** Warning, critical and emergency thresholds in percent of the limit (rising: checked once layered). */
const Tiers = z.strictObject({ warning: Percent.optional(), critical: Percent.optional(), emergency: Percent.optional() });

/** An Alertmanager receiver of the monitoring set (Docker, Swarm): a webhook whose URL is a secret. */
export const ReceiverSchema = z.strictObject({
  name: Name,
  /**
   * Name of an envkit secret holding the webhook URL (a chat webhook URL carries its token);
   * Alertmanager reads it from a file (`url_file`).
   */
  webhookSecret: SecretName,
});

/** An image pinned by tag and digest: `prom/prometheus:v2.53.0@sha256:<64 hex digits>`. */
const PinnedImage = z.string().regex(/^[a-z0-9][a-z0-9._/:-]*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[0-9a-f]{64}$/, {
  message: 'must be pinned as "repository:tag@sha256:<64 hex digits>", e.g. "docker.io/prom/prometheus:v2.53.0@sha256:…" (take the digest from your registry: docker buildx imagetools inspect <image>)',
});

/** What the environment monitors and how loudly (`monitoring:`). */
export const MonitoringSchema = z.strictObject({
  /**
   * `basic`: down, restart loops, the top CPU and memory tier, disk; `standard`: every tier;
   * `full`: standard plus the SLO alerts (burn rates, error rate, latency). @default "basic"
   */
  level: z.enum(["basic", "standard", "full"]).optional(),
  /** @default "15s" */
  scrapeInterval: Duration.optional(),
  /** A target or container down this long alerts. @default "1m" */
  downAfter: Duration.optional(),
  /** CPU use in percent of the CPU limit. @default {warning: 70, critical: 85, emergency: 95} */
  cpu: Tiers.optional(),
  /** Memory working set in percent of the memory limit. @default {warning: 80, critical: 85, emergency: 90} */
  memory: Tiers.optional(),
  /** Volume or host disk used, in percent. @default {warning: 85, critical: 90} */
  disk: z.strictObject({ warning: Percent.optional(), critical: Percent.optional() }).optional(),
  /** A restart loop: more than `count` restarts of one replica within `window`. */
  restarts: z.strictObject({ /** @default 3 */ count: z.number().int().min(1).optional(), /** @default "1h" */ window: Duration.optional() }).optional(),
  /** Run the monitoring set next to the services: Prometheus, Alertmanager, Grafana and (Docker only) cAdvisor. @default false */
  stack: z.boolean().optional(),
  /**
   * Images of the monitoring set, each pinned `repository:tag@sha256:<digest>` (required with
   * `stack: true` for every role the target runs: envkit ships no digest it could not vouch for).
   */
  images: z
    .strictObject({ prometheus: PinnedImage.optional(), alertmanager: PinnedImage.optional(), grafana: PinnedImage.optional(), cadvisor: PinnedImage.optional() })
    .optional(),
  /** Where the monitoring set's Alertmanager sends alerts. @default [] */
  receivers: namedList(ReceiverSchema, "receiver").optional(),
});

/** The keys of an environment file every target shares, before the targets' own blocks. */
const ENVIRONMENT_HEAD = {
  /**
   * Another environment this one is, with changes: its file is layered under this one (same
   * semantics as an environment over app.yaml). Not inherited: `backend`, `network.subnet`,
   * `extends`. @default none
   */
  extends: Name.optional(),
  /** Immutable image per service: `"<tag>"`, `"<tag>@sha256:…"` or `"@sha256:…"`. */
  release: z.record(z.string(), z.string()).optional(),
  /** Per-service overrides. */
  services: z.record(z.string(), ServiceOverlaySchema).optional(),
  network: z
    .strictObject({
      /** Docker: the environment's range, split into a front (public) and back (internal) network. */
      subnet: Cidr.optional(),
    })
    .optional(),
  quota: z
    .strictObject({
      cpu: QuotaCpu.optional(),
      memory: QuotaMemory.optional(),
      cpuLimit: QuotaCpu.optional(),
      memoryLimit: QuotaMemory.optional(),
      pods: z.number().int().min(1).max(MAX_QUOTA_COUNT).optional(),
      persistentVolumeClaims: z.number().int().min(0).max(MAX_QUOTA_COUNT).optional(),
      storage: QuotaMemory.optional(),
    })
    .optional(),
  /** Container defaults for the namespace's LimitRange. */
  limitRange: ResourcesSchema.optional(),
  /** DNS domain for public services: `<service>.<domain>`. */
  domain: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: "must be a lowercase DNS name, e.g. staging.shop.example.com" }).optional(),
  /** Environment variables every service of this environment gets (over app.yaml's `env`). @default {} */
  env: z.record(z.string(), envValue).optional(),
  /**
   * A share of another environment's totals: quota (where the target reads one) and the
   * environment's total requests derive from `of`'s totals × `ratio` unless set explicitly.
   */
  budget: z
    .strictObject({
      /** The environment whose totals this one is a share of (e.g. prod). */
      of: Name,
      /** `"40%"`. @default dev 20%, test 30%, staging 40%; other names must set it */
      ratio: z.string().regex(/^(100|[1-9][0-9]?)%$/, { message: 'must be a percentage from "1%" to "100%", e.g. "40%"' }).optional(),
    })
    .optional(),
  /** TLS for the ingress, by reference to an existing Kubernetes secret. */
  tls: z.strictObject({ secretName: Name }).optional(),
  /** Service-level objectives of the services with `metrics`; the burn-rate alerts derive from them. */
  slo: SloSchema.optional(),
  /** Which alerts are generated, their thresholds, and the monitoring set (Docker, Swarm). */
  monitoring: MonitoringSchema.optional(),
  backend: BackendSchema.optional(),
  policy: z
    .strictObject({
      /** `advisory` warns; `mandatory` fails validate/synth. */
      enforcement: z.enum(["advisory", "mandatory"]).optional(),
      suppressions: z.array(SuppressionSchema).optional(),
    })
    .optional(),
  rollout: z
    .strictObject({
      /** `recreate` | `rolling` | `blue-green` | `canary`; each service may override it. @default "rolling" */
      strategy: Strategy.optional(),
      /** @default "25%" */
      maxSurge: Percentage.optional(),
      /** @default 0 */
      maxUnavailable: Percentage.optional(),
      /** How long apply waits for a rollout. @default "10m" */
      timeout: Duration.optional(),
    })
    .optional(),
  volumes: z.strictObject({ /** @default false */ preventDestroy: z.boolean().optional() }).optional(),
};

/** The keys after the targets' own blocks. */
const ENVIRONMENT_TAIL = {
  /** Promotion order: this environment may only run releases that `from` runs or ran before. */
  promotion: z
    .strictObject({
      from: Name,
      /**
       * How long a release must have run in `from` before `envkit promote` copies it here:
       * `"30m"`, `"24h"`, `"3d"`. Counted from the release record's day (from its end) or, without
       * an entry, from the oldest commit that pinned it in `from`. @default no soak
       */
      soak: z.string().regex(/^[1-9][0-9]{0,3}(m|h|d)$/, { message: 'must be a soak time: a whole number of minutes, hours or days, e.g. "30m", "24h" or "3d"' }).optional(),
    })
    .optional(),
  /** Secret rotation: bump a secret's revision to push a new value (Kubernetes write-only secrets). */
  secretRevisions: z.record(SecretName, z.number().int().min(1)).optional(),
};

/** Each target's settings block, optional: `docker:`, `kubernetes:`, … (from the registry). */
type TargetBlocks<T extends Record<string, { readonly settings: { readonly schema: z.ZodType } }>> = { [K in keyof T]: z.ZodOptional<T[K]["settings"]["schema"]> };

function targetBlocks(registry: TargetRegistry): Record<string, z.ZodOptional<z.ZodType>> {
  return Object.fromEntries([...registry.adapters.values()].map((a) => [a.name, a.settings.schema.optional()]));
}

/** `target:`: every name the registry knows; a planned one is refused later as not implemented. */
function targetEnum<N extends string>(names: readonly N[]) {
  return z.enum(names as unknown as [N, ...N[]]);
}

/** environments/<env>.yaml: one environment as an overlay on the application. */
export const EnvironmentSchema = z.strictObject({
  /** Where this environment runs. */
  target: targetEnum(targetNames() as KnownTargetName[]),
  ...ENVIRONMENT_HEAD,
  ...(targetBlocks(REGISTRY) as TargetBlocks<typeof TARGETS>),
  ...ENVIRONMENT_TAIL,
});

const SCHEMAS = new WeakMap<TargetRegistry, z.ZodType>([[REGISTRY, EnvironmentSchema]]);

/**
 * The environment schema of a set of targets: the shared keys, `target:` accepting the
 * registry's names, and one optional block per target validated by that target's own schema.
 * {@link EnvironmentSchema} is the one of the built-in targets.
 */
export function environmentSchemaFor(registry: TargetRegistry): z.ZodType {
  let schema = SCHEMAS.get(registry);
  if (!schema) {
    schema = z.strictObject({ target: targetEnum(targetNames(registry)), ...ENVIRONMENT_HEAD, ...targetBlocks(registry), ...ENVIRONMENT_TAIL });
    SCHEMAS.set(registry, schema);
  }
  return schema;
}

/** The input type of app.yaml. */
export type AppConfig = z.infer<typeof AppSchema>;
/** The input type of one service in app.yaml. */
export type ServiceConfig = z.infer<typeof ServiceSchema>;
/** The input type of environments/<env>.yaml. */
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;
/** A state backend. */
export type BackendConfig = z.infer<typeof BackendSchema>;

export { DNS1123_LABEL };
