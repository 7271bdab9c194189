/*
 * The documented input types of the service constructs. They are the TypeScript face of a
 * service in app.yaml (lib/config/schema.ts validates both the same way, and a compile-time check
 * in declarations.ts keeps the two in step); every default is the one in lib/config/defaults.ts.
 */

/** A CPU quantity: `"500m"`, `"0.5"`, `2`. */
export type CpuQuantity = string | number;
/** A memory quantity: `"512Mi"`, `"2Gi"`, `"512M"` (a number is bytes). */
export type MemoryQuantity = string | number;
/** A duration: `"30s"`, `"5m"`. */
export type Duration = string;

/** One port a service listens on. */
export interface PortProps {
  /** An IANA service name (at most 15 lowercase letters, digits and "-"); connections name it. */
  readonly name: string;
  /** The port number, 1-65535. */
  readonly port: number;
  /** Transport protocol. @default "tcp" */
  readonly protocol?: "tcp" | "udp";
  /** Docker only: the host port a public service publishes on. @default same as `port` */
  readonly hostPort?: number;
  /** The port clients dial (the Kubernetes Service port; on Docker and Swarm the envkit proxy listens on it and forwards to `port`). @default same as `port` */
  readonly servicePort?: number;
  /** Kubernetes node port (30000-32767) for NodePort/LoadBalancer exposure. @default allocated by the cluster */
  readonly nodePort?: number;
}

/** The ways a check decides health: exactly one per check. */
export interface CheckKindProps {
  /** HTTP GET of `path` on the named TCP port; healthy on 2xx/3xx. @default unset (set exactly one kind) */
  readonly http?: { readonly path: string; readonly port: string };
  /** A TCP connection to the named port. @default unset (set exactly one kind) */
  readonly tcp?: { readonly port: string };
  /** The gRPC health-checking protocol on the named port, for `service` or the whole server. @default unset (set exactly one kind) */
  readonly grpc?: { readonly port: string; readonly service?: string };
  /** A command (exec form, no shell) run inside the container; healthy on exit 0. @default unset (set exactly one kind) */
  readonly command?: readonly string[];
}

/** A role's own check (Kubernetes readiness, liveness or startup probe). */
export interface HealthRoleProps extends CheckKindProps {
  /**
   * Time between checks. @default the service's `health.interval`, except readiness on
   * Kubernetes: the smaller of `health.interval` and 5s (a pod is taken out of service fast)
   */
  readonly interval?: Duration;
  /** Time one check may take. @default the service's `health.timeout` */
  readonly timeout?: Duration;
  /** Failures in a row that count. @default the service's `health.retries`, except readiness on Kubernetes: 3 */
  readonly retries?: number;
}

/** How the target tells that a service is healthy: one check kind, its timings, and per-role overrides. */
export interface HealthProps extends CheckKindProps {
  /** Time between checks. @default "10s" */
  readonly interval?: Duration;
  /** Time one check may take. @default "5s" */
  readonly timeout?: Duration;
  /** Failures in a row that mark it unhealthy. @default 3 */
  readonly retries?: number;
  /** Grace time after start before failures count. @default "30s" */
  readonly startPeriod?: Duration;
  /**
   * How an http/tcp/grpc check runs where the engine checks from inside the container (Docker):
   * a `tool` the image has (`wget`, `curl`, `nc`, `grpc_health_probe`) or your own `command`.
   * @default `wget` for http checks; tcp and grpc checks on Docker must set it
   */
  readonly probe?: { readonly tool?: "wget" | "curl" | "nc" | "grpc_health_probe"; readonly command?: readonly string[] };
  /** The readiness check (the one Docker runs). @default the service-wide check */
  readonly readiness?: HealthRoleProps;
  /** The liveness check (Kubernetes). @default the service-wide check */
  readonly liveness?: HealthRoleProps;
  /** The startup check (Kubernetes). @default the service-wide check */
  readonly startup?: HealthRoleProps;
}

/** Requests and limits. */
export interface ResourcesProps {
  /** CPU request. @default "100m" */
  readonly cpu?: CpuQuantity;
  /** Memory request. @default "128Mi" */
  readonly memory?: MemoryQuantity;
  /** CPU limit. @default twice the CPU request */
  readonly cpuLimit?: CpuQuantity;
  /** Memory limit. @default equal to the memory request (no overcommit) */
  readonly memoryLimit?: MemoryQuantity;
}

/** Hardening of the container; every field has a secure default that can be switched off. */
export interface SecurityProps {
  /** Refuse to start as uid 0 (Kubernetes checks the image user). @default true */
  readonly runAsNonRoot?: boolean;
  /** Numeric `"uid"` or `"uid:gid"`. @default "10001:10001" */
  readonly user?: string;
  /** Mount the image read-only; `writablePaths` get tmpfs/emptyDir. @default true */
  readonly readOnlyRootFilesystem?: boolean;
  /** Capability names without `CAP_`, or `"ALL"`. @default ["ALL"] */
  readonly dropCapabilities?: readonly string[];
  /** Capability names without `CAP_`. @default [] */
  readonly addCapabilities?: readonly string[];
  /** Forbid gaining privileges through setuid binaries (`no-new-privileges`). @default true */
  readonly noNewPrivileges?: boolean;
  /** Run with every host privilege (guardrails refuse it in mandatory environments). @default false */
  readonly privileged?: boolean;
  /** `"RuntimeDefault"`, `"Unconfined"` or `"Localhost/<profile>"`. @default "RuntimeDefault" */
  readonly seccompProfile?: string;
  /** Kubernetes: mount the service-account token. @default false */
  readonly automountServiceAccountToken?: boolean;
}

/** A step run to completion before the container starts (Kubernetes init container). */
export interface InitStepProps {
  /** The step's command, exec form. */
  readonly command: readonly string[];
  /** A pinned image reference with a digest. @default the service's own image */
  readonly image?: string;
}

/** A destination outside the application the service may reach through default-deny. */
export interface EgressProps {
  /** A DNS name (Docker, Swarm); Kubernetes needs `cidr`. @default none */
  readonly host?: string;
  /** An IPv4 range, e.g. `"203.0.113.0/24"`. @default none */
  readonly cidr?: string;
  /** The destination port. */
  readonly port: number;
  /** Transport protocol. @default "tcp" */
  readonly protocol?: "tcp" | "udp";
}

/** Restart behaviour (Docker). */
export interface RestartProps {
  /** When the engine restarts the container. @default "on-failure" */
  readonly policy?: "on-failure" | "unless-stopped" | "always" | "no";
  /** Only for `on-failure`. @default 5 */
  readonly maxRetries?: number;
}

/** json-file log rotation (Docker). */
export interface LoggingProps {
  /** Size at which a log file rotates (`k`, `m` or `g`). @default "10m" */
  readonly maxSize?: string;
  /** Rotated log files kept. @default 3 */
  readonly maxFile?: number;
}

/** Where Prometheus scrapes the service's own metrics, and the names its HTTP metrics use. */
export interface MetricsProps {
  /** The named port (from `ports`) that serves the metrics. */
  readonly port: string;
  /** The HTTP path of the metrics endpoint. @default "/metrics" */
  readonly path?: string;
  /** Counter of handled requests, labelled with the status. @default "http_requests_total" */
  readonly requests?: string;
  /** Label of `requests` holding the HTTP status code. @default "code" */
  readonly statusLabel?: string;
  /** Histogram of request durations in seconds. @default "http_request_duration_seconds" */
  readonly latency?: string;
}

/** A rolling-update bound: a count (`1`) or a percentage of the replicas (`"25%"`; validated). */
export type SurgeProp = number | string;

/**
 * How a new release of the service replaces the running one (README "Rollout strategies"). The
 * fields that apply depend on the strategy; validation names the ones that do not.
 */
export interface RolloutProps {
  /** `recreate`, `rolling`, `blue-green` or `canary`. @default the environment's `rollout.strategy` */
  readonly strategy?: "recreate" | "rolling" | "blue-green" | "canary";
  /** Extra pods while a workload rolls. @default the environment's `rollout.maxSurge` */
  readonly maxSurge?: SurgeProp;
  /** Pods that may be missing while a workload rolls. @default the environment's `rollout.maxUnavailable` */
  readonly maxUnavailable?: SurgeProp;
  /** How long apply waits for the rollout, e.g. `"10m"`. @default the environment's `rollout.timeout` */
  readonly timeout?: string;
  /** blue-green: the slot that takes traffic; the other is reachable as the preview. @default none (required for blue-green) */
  readonly live?: "blue" | "green";
  /** blue-green: the release of each slot (`"<tag>@sha256:…"`); the service then has no `release`. @default none (required for blue-green) */
  readonly slots?: { readonly blue?: string; readonly green?: string };
  /** blue-green: replicas of the idle slot (0 scales it down after a soak). @default the service's replicas */
  readonly idleReplicas?: number;
  /** canary: the canary release and its percent of traffic (0..100); the stable one is `release`. @default none (only the stable release runs) */
  readonly canary?: { readonly release: string; readonly weight: number };
}

/** Horizontal autoscaling (Kubernetes HPA autoscaling/v2). */
export interface AutoscalingProps {
  /** Fewest replicas the autoscaler keeps. */
  readonly minReplicas: number;
  /** Most replicas the autoscaler may run. */
  readonly maxReplicas: number;
  /** Target average CPU utilisation, percent. @default 70 */
  readonly cpuUtilization?: number;
}

/** Where a service's backups go: exactly one of `volume`, `hostPath`, `claim`, `objectStore`. */
export interface BackupDestinationProps {
  /** A protected volume (Docker) or claim (Kubernetes) envkit creates. @default "backups" when no other destination is set */
  readonly volume?: string;
  /** Size of the backup volume. @default "10Gi" */
  readonly size?: string;
  /** Docker: an existing host folder. @default none */
  readonly hostPath?: string;
  /** Kubernetes: an existing claim. @default none */
  readonly claim?: string;
  /** Kubernetes: an S3-compatible bucket, credentials from an existing Secret. @default none */
  readonly objectStore?: { readonly bucket: string; readonly secret: string; readonly endpoint?: string; readonly image: string };
}

/** A scheduled backup of a stateful service (README "Backups and restore"). */
export interface BackupProps {
  /** `postgres`, `mysql`, `redis` or `archive` (a tar of a volume at rest). */
  readonly method: "postgres" | "mysql" | "redis" | "archive";
  /** Five-field cron schedule, UTC. @default "0 2 * * *" */
  readonly schedule?: string;
  /** A count of backups or an age in days (`"30d"`). @default "30d" in prod, "7d" elsewhere */
  readonly retention?: number | string;
  /** `archive`: the volume to archive. @default the service's only volume */
  readonly volume?: string;
  /** Where the backups go. @default { volume: "backups" } */
  readonly to?: BackupDestinationProps;
}
