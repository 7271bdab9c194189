import { Construct } from "constructs";
import type { ServiceConfig } from "../config/schema";
import { EnvkitError } from "../errors";
import { Connection } from "./connection";
import { DeclaredService, Declarations, declarationsOf } from "./declarations";
import type { Secret } from "./secret";
import { AutoscalingProps, EgressProps, HealthProps, InitStepProps, LoggingProps, MemoryQuantity, MetricsProps, PortProps, ResourcesProps, RestartProps, RolloutProps, SecurityProps } from "./service-props";

/** Props of {@link Service} (and of {@link StatefulService}, which adds volumes). */
export interface ServiceProps {
  /**
   * The service name: a DNS label, unique in the environment; other services reach it by this
   * name. @default the construct id
   */
  readonly name?: string;
  /**
   * The service's previous name, when it is renamed: its resources move (Terraform `moved`
   * blocks) instead of being destroyed and created, and what holds its data keeps this name.
   * Keep it as long as the service exists. @default none (not renamed)
   */
  readonly renamedFrom?: string;
  /** Image repository without tag, e.g. `"ghcr.io/acme/api"`. */
  readonly image: string;
  /**
   * The immutable release this environment runs: `"<tag>@sha256:<digest>"` (or `"@sha256:…"`). A
   * tag alone is mutable and refused where releases must be immutable. A blue-green service pins
   * its releases in `rollout.slots` instead. @default none (required unless the service is blue-green)
   */
  readonly release?: string;
  /** Reachable from outside the environment (published port on Docker, ingress on Kubernetes). @default false */
  readonly public?: boolean;
  /**
   * `"job"` runs to completion once per release, `"cronjob"` on `schedule` (a CronJob, or envkit's
   * scheduler on Docker and Swarm); a {@link StatefulService} is stateful. @default "stateless"
   */
  readonly kind?: "stateless" | "job" | "cronjob";
  /** Whether the service is deployed. @default true */
  readonly enabled?: boolean;
  /** Exactly one replica, never two at once. @default false */
  readonly singleton?: boolean;
  /** A cronjob's cron schedule (UTC). @default none (required for a cronjob) */
  readonly schedule?: string;
  /** A job's dependants, by service name: they start after it succeeded. @default [] */
  readonly runBefore?: readonly string[];
  /** Steps run before the container starts (Kubernetes init containers). @default [] */
  readonly init?: readonly InitStepProps[];
  /** Kubernetes exposure of a public service. @default the environment's `kubernetes.exposure` */
  readonly exposure?: "ClusterIP" | "LoadBalancer" | "NodePort";
  /** Destinations outside the application. @default [] */
  readonly egress?: readonly EgressProps[];
  /** Ports the service listens on; connections and exposure name them. @default [] (no ports) */
  readonly ports?: readonly PortProps[];
  /** Overrides the image's entrypoint. @default the image's entrypoint */
  readonly command?: readonly string[];
  /** Overrides the image's arguments. @default the image's command */
  readonly args?: readonly string[];
  /** Non-secret environment variables. @default {} */
  readonly env?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Config files rendered read-only into the container, content-hashed (a change rolls the
   * workload). From code only `content` (there is no application folder to read `source` from).
   * @default []
   */
  readonly files?: readonly { readonly path: string; readonly content: string }[];
  /** Extra labels on the workload and its pods/containers (not envkit's own keys). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations (Kubernetes pod template; container labels on Docker and Swarm). @default {} */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Time between the stop signal and SIGKILL. @default "30s" */
  readonly terminationGracePeriod?: string;
  /** Stop signal (Docker, Swarm). @default the image's STOPSIGNAL, else SIGTERM */
  readonly stopSignal?: "SIGTERM" | "SIGINT" | "SIGQUIT" | "SIGHUP" | "SIGUSR1" | "SIGUSR2" | "SIGWINCH";
  /** Safe namespaced sysctls, e.g. `{ "net.ipv4.tcp_keepalive_time": 600 }`. @default {} */
  readonly sysctls?: Readonly<Record<string, string | number>>;
  /**
   * Secrets the service reads, each as a file under `/run/secrets/<name>` with `<NAME>_FILE`
   * pointing at it; values are supplied at apply time, never written in code or output. @default []
   */
  readonly secrets?: readonly Secret[];
  /** How the target tells the service is healthy. @default none (guardrails require one in mandatory environments) */
  readonly health?: HealthProps;
  /** CPU and memory requests and limits. @default the defaults of each field */
  readonly resources?: ResourcesProps;
  /** Number of running copies. @default 1 */
  readonly replicas?: number;
  /** Paths the image writes to, mounted as tmpfs/emptyDir on the read-only root. @default ["/tmp"] */
  readonly writablePaths?: readonly string[];
  /** Size of each writable path (tmpfs on Docker counts against the memory limit). @default "64Mi" */
  readonly writableSize?: MemoryQuantity;
  /** Container hardening. @default the secure defaults of each field */
  readonly security?: SecurityProps;
  /** Restart behaviour (Docker). @default { policy: "on-failure", maxRetries: 5 } */
  readonly restart?: RestartProps;
  /** Log rotation (Docker json-file). @default { maxSize: "10m", maxFile: 3 } */
  readonly logging?: LoggingProps;
  /** Where Prometheus scrapes the service's metrics (scrape annotations, SLO alerts, dashboards). @default none (not scraped) */
  readonly metrics?: MetricsProps;
  /** Horizontal autoscaling (Kubernetes). @default none (a fixed replica count) */
  readonly autoscaling?: AutoscalingProps;
  /** How a new release replaces the running one. @default the environment's `rollout` settings */
  readonly rollout?: RolloutProps;
}

/** Copies readonly props into the mutable shape of the config schema, dropping unset keys. */
export function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * One stateless service of an environment: its container(s), hardened by default, reachable only
 * over the connections declared with {@link connectTo}. It records intent; the environment lowers
 * it through its target (a Docker container set, a Kubernetes Deployment with its Service and
 * policies, …) when the stack is synthesized, so the same code serves every target.
 *
 * ```ts
 * const db = new StatefulService(env, "db", { image: "postgres", release: "16.4@sha256:…", ports: [{ name: "postgres", port: 5432 }] });
 * const api = new Service(env, "api", { image: "ghcr.io/acme/api", release: "1.4.2@sha256:…" });
 * api.connectTo(db, "postgres");
 * ```
 */
export class Service extends Construct implements DeclaredService {
  /** The service name other services and the environment use. */
  public readonly serviceName: string;
  public readonly release?: string;
  protected readonly props: ServiceProps;
  protected readonly declarations: Declarations;
  private readonly extraSecrets: Secret[] = [];
  /** Connections this service opened, in order. */
  public readonly connections: Connection[] = [];

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    this.serviceName = props.name ?? id;
    this.release = props.release;
    this.props = props;
    this.declarations = declarationsOf(this, "service");
    this.declarations.add(this, () => {
      const clash = this.declarations.serviceNamed(this.serviceName);
      if (clash) {
        throw new EnvkitError([{ file: this.node.path, path: "name", message: `service "${this.serviceName}" is already declared by ${clash.node.path}; give each service its own name` }]);
      }
      this.declarations.addService(this);
    });
  }

  /** The host name other services of the environment reach this one by. */
  public get host(): string {
    return this.serviceName;
  }

  /** The number of the named port; a clear error when there is none. */
  public port(name: string): number {
    const p = (this.props.ports ?? []).find((x) => x.name === name);
    if (!p) {
      const names = (this.props.ports ?? []).map((x) => x.name);
      throw new EnvkitError([{ file: this.node.path, path: "ports", message: `service "${this.serviceName}" has no port named "${name}"; its ports: ${names.join(", ") || "none"}` }]);
    }
    return p.port;
  }

  /** `host:port` of the named port, for another service's configuration (e.g. `DB_ADDR`). */
  public address(portName: string): string {
    // Clients dial the servicePort on every target (the Kubernetes Service port; the envkit proxy's listener on Docker and Swarm).
    const p = (this.props.ports ?? []).find((x) => x.name === portName);
    return `${this.host}:${p?.servicePort ?? this.port(portName)}`;
  }

  /**
   * Declares that this service talks to `server` on its port `portName`: the only traffic the
   * environment lets through (a network per connection on Docker, a NetworkPolicy on Kubernetes).
   * On Docker this service also starts after `server` is healthy.
   */
  public connectTo(server: Service, portName: string, options: { readonly optional?: boolean; readonly env?: string } = {}): Connection {
    const base = `to-${server.serviceName}-${portName}`;
    let id = base;
    for (let n = 2; this.node.tryFindChild(id); n++) id = `${base}-${n}`;
    return new Connection(this, id, { server, port: portName, ...options });
  }

  /** Lets this service read `secret` (in addition to the `secrets` prop). */
  public useSecret(secret: Secret): void {
    this.declarations.add(this, () => void this.extraSecrets.push(secret));
  }

  /** The kind the environment lowers: overridden by {@link StatefulService}. */
  protected get kind(): "stateless" | "stateful" | "job" | "cronjob" {
    return this.props.kind ?? "stateless";
  }

  /** Extra configuration of subclasses (volumes). */
  protected extraConfig(): Partial<ServiceConfig> {
    return {};
  }

  public toServiceConfig(): ServiceConfig {
    const p = this.props;
    const secrets = [...(p.secrets ?? []), ...this.extraSecrets].map((s) => s.secretName);
    const config: ServiceConfig = {
      image: p.image,
      kind: this.kind,
      renamedFrom: p.renamedFrom,
      public: p.public,
      enabled: p.enabled,
      singleton: p.singleton,
      schedule: p.schedule,
      runBefore: plain(p.runBefore as string[] | undefined),
      init: plain(p.init as ServiceConfig["init"]),
      exposure: p.exposure,
      egress: plain(p.egress as ServiceConfig["egress"]),
      ports: plain(p.ports as ServiceConfig["ports"]),
      command: plain(p.command as string[] | undefined),
      args: plain(p.args as string[] | undefined),
      env: plain(p.env as ServiceConfig["env"]),
      files: plain(p.files as ServiceConfig["files"]),
      labels: plain(p.labels as ServiceConfig["labels"]),
      annotations: plain(p.annotations as ServiceConfig["annotations"]),
      terminationGracePeriod: p.terminationGracePeriod,
      stopSignal: p.stopSignal,
      sysctls: plain(p.sysctls as ServiceConfig["sysctls"]),
      secrets: secrets.length > 0 ? [...new Set(secrets)] : undefined,
      health: plain(p.health as ServiceConfig["health"]),
      resources: plain(p.resources as ServiceConfig["resources"]),
      replicas: p.replicas,
      writablePaths: plain(p.writablePaths as string[] | undefined),
      writableSize: p.writableSize,
      security: plain(p.security as ServiceConfig["security"]),
      restart: plain(p.restart as ServiceConfig["restart"]),
      logging: plain(p.logging as ServiceConfig["logging"]),
      metrics: plain(p.metrics as ServiceConfig["metrics"]),
      autoscaling: plain(p.autoscaling as ServiceConfig["autoscaling"]),
      rollout: plain(p.rollout as ServiceConfig["rollout"]),
      ...this.extraConfig(),
    };
    for (const k of Object.keys(config) as (keyof ServiceConfig)[]) if (config[k] === undefined) delete config[k];
    return config;
  }
}
