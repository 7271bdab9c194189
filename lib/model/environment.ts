import { createHash } from "node:crypto";
import type { BackendConfig } from "../config/schema";
import { Cidr } from "./cidr";
import { ImageRef } from "./image-ref";

/*
 * The target-neutral model: everything resolved (defaults applied, quantities parsed, images
 * pinned). It names no target: each target's own settings travel opaquely in `targetOptions`,
 * read only by that target's accessor; each target adapter reads the model and never asks which
 * environment it is lowering.
 */

/** Where the environment runs: a name the target registry (lib/targets/registry.ts) knows. */
export type TargetName = string;

/** A port a service listens on. */
export interface PortModel {
  readonly name: string;
  readonly port: number;
  readonly protocol: "tcp" | "udp";
  /** Host port for publishing (Docker, public services). */
  readonly hostPort: number;
  /** The port clients dial (Kubernetes Service port); equals `port` unless set. */
  readonly servicePort: number;
  /** Kubernetes node port (NodePort/LoadBalancer exposure), when pinned. */
  readonly nodePort?: number;
}

/** The kinds of health check; a check has exactly one (layering replaces one kind by another). */
export const HEALTH_CHECK_KINDS = ["http", "tcp", "grpc", "command"] as const;
/** One of {@link HEALTH_CHECK_KINDS}. */
export type HealthCheckKind = (typeof HEALTH_CHECK_KINDS)[number];

/** What one health check does, ports resolved to numbers. */
export type HealthCheck =
  | { readonly kind: "http"; readonly path: string; readonly port: number }
  | { readonly kind: "tcp"; readonly port: number }
  | { readonly kind: "grpc"; readonly port: number; readonly service?: string }
  | { readonly kind: "command"; readonly command: readonly string[] };

/**
 * The check of one role (readiness, liveness, startup). Timings are set only where the user
 * overrode them for this role: each target derives the rest from the service's timings.
 */
export interface HealthRoleModel {
  readonly check: HealthCheck;
  /** Whether the role names its own check (`health.<role>.<kind>`) rather than the service-wide one. */
  readonly own: boolean;
  readonly intervalSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly retries?: number;
}

/** Programs that can run an http/tcp/grpc check inside the container (`health.probe.tool`). */
export const PROBE_TOOLS = ["wget", "curl", "nc", "grpc_health_probe"] as const;
/** One of {@link PROBE_TOOLS}. */
export type ProbeTool = (typeof PROBE_TOOLS)[number];

/**
 * How an http/tcp/grpc check runs where the target checks from inside the container: a known
 * tool (envkit writes its arguments) or the user's own exec-form command.
 */
export type HealthProbeModel = { readonly tool: ProbeTool } | { readonly command: readonly string[] };

/** Health check, timings in seconds. */
export interface HealthModel {
  /** The service-wide check when it is HTTP (kept for readers of the base check; roles are complete). */
  readonly http?: { readonly path: string; readonly port: number };
  /** The service-wide check when it is a command. */
  readonly command?: readonly string[];
  /** The service-wide check (absent when every role names its own). */
  readonly check?: HealthCheck;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly startPeriodSeconds: number;
  /** Resolved per role: the role's own check, else the service-wide one. */
  readonly readiness: HealthRoleModel;
  readonly liveness: HealthRoleModel;
  readonly startup: HealthRoleModel;
  /** How an in-container check runs it (set by the user; absent means the target's default). */
  readonly probe?: HealthProbeModel;
}

/** A declared connection from one service to another's port. */
export interface ConnectionModel {
  readonly from: string;
  readonly to: string;
  readonly portName: string;
  readonly port: number;
  readonly protocol: "tcp" | "udp";
  /** The port clients dial: the server port's `servicePort`. */
  readonly servicePort: number;
  /** Environment variable of the client set to the server's address (`connections[].env`). */
  readonly env?: string;
}

/** What runs continuously (`stateless`, `stateful`) and what runs to completion (`job`, `cronjob`). */
export type ServiceKind = "stateless" | "stateful" | "job" | "cronjob";

/** Whether a kind runs to completion rather than continuously. */
export function runsToCompletion(kind: ServiceKind): kind is "job" | "cronjob" {
  return kind === "job" || kind === "cronjob";
}

/** A destination outside the application a service may reach. */
export interface EgressModel {
  readonly host?: string;
  readonly cidr?: string;
  readonly port: number;
  readonly protocol: "tcp" | "udp";
}

/** A step run to completion before a service's container starts. */
export interface InitStepModel {
  readonly command: readonly string[];
  /** The image, pinned; absent means the service's own image. */
  readonly image?: ImageRef;
}

/** A persistent volume. */
export interface VolumeModel {
  readonly name: string;
  readonly path: string;
  readonly sizeBytes: number;
  readonly storageClass?: string;
}

/** How a backup is taken: a logical dump by the database's own client, or a tar of a volume. */
export const BACKUP_METHODS = ["postgres", "mysql", "redis", "archive"] as const;
/** One of {@link BACKUP_METHODS}. */
export type BackupMethod = (typeof BACKUP_METHODS)[number];

/**
 * Where backups are written. `volume`: a volume (Docker) or claim (Kubernetes) envkit creates and
 * protects (prevent_destroy); `hostPath`: a folder on the Docker host; `claim`: an existing
 * Kubernetes claim; `objectStore`: a bucket, credentials by reference to a Kubernetes secret.
 */
export type BackupDestination =
  | { readonly kind: "volume"; readonly name: string; readonly sizeBytes: number }
  | { readonly kind: "hostPath"; readonly path: string }
  | { readonly kind: "claim"; readonly name: string }
  | { readonly kind: "objectStore"; readonly bucket: string; readonly secret: string; readonly endpoint?: string; readonly image: string };

/** A scheduled backup of one service, resolved. */
export interface BackupModel {
  readonly method: BackupMethod;
  /** Five-field cron schedule, validated (see model/cron.ts). */
  readonly schedule: string;
  /** Keep the newest `count` backups, or those younger than `days`. */
  readonly retention: { readonly count: number } | { readonly days: number };
  /** `archive`: the service's volume that is archived. */
  readonly volume?: VolumeModel;
  /** Dump methods: the service's port the client connects to. */
  readonly port?: PortModel;
  readonly to: BackupDestination;
}

/** A config file of a service: where it appears in the container and its text. */
export interface ConfigFileModel {
  readonly path: string;
  readonly content: string;
}

/** Content hash of a service's config files (path and text): names the objects that carry them, so a change rolls the workload and a revert restores the old one. */
export function filesHash(files: readonly ConfigFileModel[]): string {
  const canonical = JSON.stringify([...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => [f.path, f.content]));
  return createHash("sha256").update(canonical).digest("hex").slice(0, 10);
}

/** A secret, by name only. Its value is supplied at apply time as `TF_VAR_<name>`. */
export interface SecretRef {
  readonly name: string;
  /** Rotation counter (Kubernetes write-only secrets re-send the value when it changes). */
  readonly revision: number;
}

/** Requests and limits, canonical units. */
export interface ResourcesModel {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly cpuLimitMillis: number;
  readonly memoryLimitBytes: number;
}

/** Container hardening, resolved. */
export interface SecurityModel {
  readonly runAsNonRoot: boolean;
  readonly uid: number;
  readonly gid: number;
  readonly readOnlyRootFilesystem: boolean;
  readonly dropCapabilities: readonly string[];
  readonly addCapabilities: readonly string[];
  readonly noNewPrivileges: boolean;
  readonly privileged: boolean;
  readonly seccompProfile: string;
  readonly automountServiceAccountToken: boolean;
}

/** One service in one environment. */
export interface ServiceModel {
  readonly name: string;
  /**
   * The name before a rename (`renamedFrom`): targets move the service's resources from their
   * addresses under it and keep it on what holds data (see targets/shared/renames.ts).
   */
  readonly previousName?: string;
  readonly kind: ServiceKind;
  readonly public: boolean;
  /** Exactly one replica, never two at once (`singleton`). */
  readonly singleton: boolean;
  /** Kind `cronjob`: its cron schedule. */
  readonly schedule?: string;
  /** Kind `job`: services that start only after it completed. */
  readonly runBefore: readonly string[];
  /** Init steps, in order. */
  readonly init: readonly InitStepModel[];
  /** Kubernetes exposure, when the service sets it (else the target's default applies). */
  readonly exposure?: "ClusterIP" | "LoadBalancer" | "NodePort";
  /** Destinations outside the application it may reach. */
  readonly egress: readonly EgressModel[];
  readonly image: ImageRef;
  /** The release string as written (tag and/or digest), used as the `version` label. */
  readonly version: string;
  /**
   * Where the configuration pins the release (not for blue-green, whose slots pin theirs).
   * @default `release.<name>`; `monitoring.images.<name>` for a service of the monitoring set
   */
  readonly releasePath?: string;
  readonly ports: readonly PortModel[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Config files, read-only in the container (content already read from `source`). */
  readonly files: readonly ConfigFileModel[];
  /** The user's extra labels (never envkit's own keys). */
  readonly labels: Readonly<Record<string, string>>;
  /** The user's annotations (Kubernetes pod template; container labels on Docker and Swarm). */
  readonly annotations: Readonly<Record<string, string>>;
  /** Seconds between the stop signal and SIGKILL. */
  readonly terminationGraceSeconds: number;
  /** The stop signal, where the user set one (absent: the image's STOPSIGNAL, else SIGTERM). */
  readonly stopSignal?: string;
  /** Namespaced kernel parameters from the safe set, values as strings. */
  readonly sysctls: Readonly<Record<string, string>>;
  readonly secrets: readonly SecretRef[];
  readonly health?: HealthModel;
  /** Outgoing connections of this service. */
  readonly connections: readonly ConnectionModel[];
  readonly volumes: readonly VolumeModel[];
  /** The scheduled backup, where this environment has one (`backup`). */
  readonly backup?: BackupModel;
  readonly resources: ResourcesModel;
  readonly replicas: number;
  /**
   * How a new release replaces the running one (`services.<svc>.rollout`, else the environment's
   * `rollout`). For blue-green, `image`/`version` are the live slot's release; for canary, the
   * stable release (`release.<svc>`).
   */
  readonly rollout: RolloutModel;
  readonly writablePaths: readonly string[];
  /** Size of each writable path (tmpfs / emptyDir), bytes. */
  readonly writableSizeBytes: number;
  readonly security: SecurityModel;
  readonly restart: { readonly policy: string; readonly maxRetries: number };
  readonly logging: { readonly maxSize: string; readonly maxFile: number };
  /** Where Prometheus scrapes the service's own metrics, and their names (absent: not scraped). */
  readonly metrics?: MetricsModel;
  readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpuUtilization: number };
}

/** A service's metrics endpoint (its port resolved) and the names of its HTTP metrics. */
export interface MetricsModel {
  readonly portName: string;
  readonly port: number;
  readonly path: string;
  /** Request counter, labelled with {@link statusLabel}. */
  readonly requests: string;
  readonly statusLabel: string;
  /** Request-duration histogram in seconds (its `_bucket` series). */
  readonly latency: string;
}

/** Objectives, as fractions and seconds. */
export interface SloModel {
  /** e.g. 0.9995; the error budget is 1 − this. */
  readonly availability: number;
  /** e.g. 0.001 (0.1%). */
  readonly errorRate: number;
  readonly latencyP99Seconds: number;
}

/** How loudly an environment is monitored (see lib/observability/rules.ts). */
export const MONITORING_LEVELS = ["basic", "standard", "full"] as const;
/** One of {@link MONITORING_LEVELS}. */
export type MonitoringLevel = (typeof MONITORING_LEVELS)[number];

/** Alert tiers in percent of a limit. */
export interface TiersModel {
  readonly warning: number;
  readonly critical: number;
  readonly emergency: number;
}

/** Monitoring settings, resolved. */
export interface MonitoringModel {
  readonly level: MonitoringLevel;
  readonly scrapeIntervalSeconds: number;
  readonly downAfterSeconds: number;
  readonly cpu: TiersModel;
  readonly memory: TiersModel;
  readonly disk: { readonly warning: number; readonly critical: number };
  readonly restarts: { readonly count: number; readonly windowSeconds: number };
  /** Run the monitoring set (Prometheus, Alertmanager, Grafana, cAdvisor) where the target can. */
  readonly stack: boolean;
  readonly receivers: readonly { readonly name: string; readonly webhookSecret: string }[];
}

/** Namespace quota, canonical units. */
export interface QuotaModel {
  readonly cpuMillis?: number;
  readonly memoryBytes?: number;
  readonly cpuLimitMillis?: number;
  readonly memoryLimitBytes?: number;
  readonly pods?: number;
  readonly persistentVolumeClaims?: number;
  readonly storageBytes?: number;
}

/** A rolling-update bound: a count or a percentage of replicas. */
export type SurgeValue = number | `${number}%`;

/** The delivery strategies (`rollout.strategy`). */
export const ROLLOUT_STRATEGIES = ["recreate", "rolling", "blue-green", "canary"] as const;
/** One of {@link ROLLOUT_STRATEGIES}. */
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];
/**
 * The fields of `services.<svc>.rollout` each strategy reads, besides `strategy` and `timeout`
 * (which all read). Layering drops the base's fields of another strategy when an overlay
 * changes the strategy; a field of another strategy written next to it is an error.
 */
export const ROLLOUT_FIELDS: Readonly<Record<RolloutStrategy, readonly string[]>> = {
  recreate: [],
  rolling: ["maxSurge", "maxUnavailable"],
  "blue-green": ["live", "slots", "idleReplicas", "maxSurge", "maxUnavailable"],
  canary: ["canary", "maxSurge", "maxUnavailable"],
};

/** The two slots of a blue-green service. */
export const SLOTS = ["blue", "green"] as const;
/** One of {@link SLOTS}. */
export type SlotName = (typeof SLOTS)[number];

/** One pinned release: the parsed image and the release string as written. */
export interface ReleaseModel {
  readonly image: ImageRef;
  readonly version: string;
}

/**
 * How a service's new release replaces the running one. `maxSurge`/`maxUnavailable` on
 * blue-green and canary bound how each slot's (or the stable/canary) workload rolls when its own
 * release changes.
 */
export type RolloutModel =
  | { readonly strategy: "recreate"; readonly timeoutSeconds: number }
  | { readonly strategy: "rolling"; readonly maxSurge: SurgeValue; readonly maxUnavailable: SurgeValue; readonly timeoutSeconds: number }
  | {
      readonly strategy: "blue-green";
      /** The slot that takes traffic; the other one is reachable under `<svc>-preview`. */
      readonly live: SlotName;
      readonly slots: { readonly blue: ReleaseModel; readonly green: ReleaseModel };
      /** Replicas of the idle slot (0 after a soak). */
      readonly idleReplicas: number;
      readonly maxSurge: SurgeValue;
      readonly maxUnavailable: SurgeValue;
      readonly timeoutSeconds: number;
    }
  | {
      readonly strategy: "canary";
      /** The release in trial; absent: no canary in flight, only the stable runs (weight 0). */
      readonly canary?: ReleaseModel;
      /** Percent of traffic (0..100) the canary should take. */
      readonly weight: number;
      readonly maxSurge: SurgeValue;
      readonly maxUnavailable: SurgeValue;
      readonly timeoutSeconds: number;
    };

/**
 * Every release a service runs, with the config path that pins it: `release.<svc>` (the stable or
 * only one), each blue-green slot, and a canary's. The live slot comes first.
 */
export function serviceReleases(svc: ServiceModel): { readonly path: string; readonly release: ReleaseModel }[] {
  const r = svc.rollout;
  const at = `services.${svc.name}.rollout`;
  if (r.strategy === "blue-green") return [r.live, idleSlot(r.live)].map((slot) => ({ path: `${at}.slots.${slot}`, release: r.slots[slot] }));
  const main = { path: svc.releasePath ?? `release.${svc.name}`, release: { image: svc.image, version: svc.version } };
  return r.strategy === "canary" && r.canary ? [main, { path: `${at}.canary.release`, release: r.canary }] : [main];
}

/** The idle slot of a blue-green rollout. */
export function idleSlot(live: SlotName): SlotName {
  return live === "blue" ? "green" : "blue";
}

/** A suppression of a guardrail finding. */
export interface SuppressionModel {
  readonly rule: string;
  readonly scope?: string;
  readonly reason: string;
  readonly expires?: string;
}

/** One environment of one application, fully resolved. */
export interface EnvironmentModel {
  readonly app: string;
  readonly name: string;
  readonly target: TargetName;
  readonly services: readonly ServiceModel[];
  /** The environment's address range, where its target reads `network.subnet`. */
  readonly subnet?: Cidr;
  /** Services of the application not deployed here (`enabled: false`). @default none */
  readonly disabledServices?: readonly string[];
  /** Connections skipped because their server is not deployed here (optional ones), with why, for explain. @default none */
  readonly skippedConnections?: readonly { readonly path: string; readonly note: string }[];
  readonly quota?: QuotaModel;
  /** Container defaults for the environment, where its target reads `limitRange`. */
  readonly limitRange?: ResourcesModel;
  readonly domain?: string;
  /** This environment as a share of another's totals (`budget`), ratio as a fraction. */
  readonly budget?: { readonly of: string; readonly ratio: number };
  /** The environment this one extends (`extends`), nearest first. */
  readonly extendsChain: readonly string[];
  readonly tlsSecretName?: string;
  /** The objectives the SLO alerts derive from. */
  readonly slo: SloModel;
  /** Which alerts are generated, with which thresholds, and whether the monitoring set runs. */
  readonly monitoring: MonitoringModel;
  readonly backend: BackendConfig;
  readonly enforcement: "advisory" | "mandatory";
  readonly suppressions: readonly SuppressionModel[];
  /** The environment-wide rollout settings (each service's effective ones are `ServiceModel.rollout`). */
  readonly rollout: { readonly strategy: RolloutStrategy; readonly maxSurge: SurgeValue; readonly maxUnavailable: SurgeValue; readonly timeoutSeconds: number };
  readonly preventDestroyVolumes: boolean;
  /**
   * The settings block of the environment's target (`<target>:` in its file), validated by that
   * target's schema and defaulted. Opaque here: only the target's accessor interprets it
   * (`dockerOptions(env)`, `kubernetesOptions(env)`).
   */
  readonly targetOptions: Readonly<Record<string, unknown>>;
  /** The environment this one is promoted from (releases must have run there first). */
  readonly promotedFrom?: string;
  /** Every connection of every service. */
  readonly connections: readonly ConnectionModel[];
  /** The effective configuration document (defaults applied), for explain/compare. */
  readonly effective: Readonly<Record<string, unknown>>;
}

/** Secrets of the environment, deduplicated across services, sorted by name. */
export function environmentSecrets(env: EnvironmentModel): SecretRef[] {
  const m = new Map<string, SecretRef>();
  for (const s of env.services) for (const sec of s.secrets) m.set(sec.name, sec);
  return [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
}
