import { z } from "zod";
import { parseCidr } from "../model/cidr";
import { parseDuration } from "../model/duration";
import { parseCpu, parseMemory } from "../model/quantity";
import { DNS1123_LABEL, SECRET_NAME, checkDnsLabel } from "../model/names";
import { Parsed } from "../model/result";

/*
 * The zod schemas are the contract of the config files *and* the library's public input types:
 * `AppConfig` and `EnvironmentConfig` can be written as YAML or passed as objects from TypeScript.
 * Every object is strict (unknown keys are errors). Fields that have a default are optional here;
 * the defaults live in one table (defaults.ts) so that `envkit explain` can say where each came from.
 */

function parsedString(parse: (s: string) => Parsed<unknown>) {
  return z.union([z.string(), z.number()]).check((ctx) => {
    const r = parse(String(ctx.value));
    if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
  });
}

/** CPU quantity: `500m`, `0.5`, `2`. */
export const CpuQuantity = parsedString(parseCpu);
/** Memory quantity: `512Mi`, `2Gi`, `512M`. */
export const MemoryQuantity = parsedString(parseMemory);
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
const PortNumber = z.number().int().min(1).max(65535);
const Percentage = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, { message: 'write a count (1) or a percentage ("25%")' })]);
const AbsolutePath = z.string().regex(/^\//, { message: "must be an absolute path inside the container, e.g. /tmp" });

/** One port a service listens on. Named so connections and overlays can refer to it. */
export const PortSchema = z.strictObject({
  name: Name,
  port: PortNumber,
  /** @default "tcp" */
  protocol: z.enum(["tcp", "udp"]).optional(),
  /** Docker only: host port to publish on (public services only). @default same as `port` */
  hostPort: PortNumber.optional(),
});

/** How to tell that a service is healthy: an HTTP GET or a command run inside the container. */
export const HealthSchema = z
  .strictObject({
    http: z.strictObject({ path: z.string().regex(/^\//, { message: 'must start with "/", e.g. "/healthz"' }), port: Name }).optional(),
    command: z.array(z.string()).min(1).optional(),
    /** @default "10s" */
    interval: Duration.optional(),
    /** @default "5s" */
    timeout: Duration.optional(),
    /** @default 3 */
    retries: z.number().int().min(1).max(100).optional(),
    /** @default "30s" */
    startPeriod: Duration.optional(),
  })
  .check((ctx) => {
    if (ctx.value.http && ctx.value.command) {
      ctx.issues.push({ code: "custom", message: "set either http or command, not both", input: ctx.value });
    }
  });

/** A declared connection: this service may talk to `to` on port `port` (a port name). */
export const ConnectionSchema = z.strictObject({ to: Name, port: Name });

/** A persistent volume of a stateful service. */
export const VolumeSchema = z.strictObject({
  name: Name,
  path: AbsolutePath,
  /** @default "1Gi" */
  size: MemoryQuantity.optional(),
  /** Kubernetes storage class. @default the cluster's default class */
  storageClass: z.string().optional(),
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
  /** @default ["ALL"] */
  dropCapabilities: z.array(z.string()).optional(),
  /** @default [] */
  addCapabilities: z.array(z.string()).optional(),
  /** @default true */
  noNewPrivileges: z.boolean().optional(),
  /** @default false */
  privileged: z.boolean().optional(),
  /** `RuntimeDefault`, `Unconfined` or `Localhost/<profile>`. @default "RuntimeDefault" */
  seccompProfile: z.string().optional(),
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
  minReplicas: z.number().int().min(1),
  maxReplicas: z.number().int().min(1),
  /** @default 70 */
  cpuUtilization: z.number().int().min(1).max(100).optional(),
});

const envValue = z.union([z.string(), z.number(), z.boolean()]);

/** One service of the application, as written in app.yaml. */
export const ServiceSchema = z.strictObject({
  /** Image repository without tag, e.g. `ghcr.io/acme/api`; the release pins it per environment. */
  image: z.string(),
  /** @default "stateless" */
  kind: z.enum(["stateless", "stateful"]).optional(),
  /** Reachable from outside the environment (published port / ingress). @default false */
  public: z.boolean().optional(),
  /** @default [] */
  ports: z.array(PortSchema).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  /** Non-secret environment variables. @default {} */
  env: z.record(z.string(), envValue).optional(),
  /** Names of secrets this service needs; values are supplied at apply time. @default [] */
  secrets: z.array(SecretName).optional(),
  health: HealthSchema.optional(),
  /** @default [] */
  connections: z.array(ConnectionSchema).optional(),
  /** @default [] */
  volumes: z.array(VolumeSchema).optional(),
  resources: ResourcesSchema.optional(),
  /** @default 1 */
  replicas: z.number().int().min(0).optional(),
  /** Paths the image writes to; mounted as tmpfs/emptyDir on a read-only root. @default ["/tmp"] */
  writablePaths: z.array(AbsolutePath).optional(),
  security: SecuritySchema.optional(),
  restart: RestartSchema.optional(),
  logging: LoggingSchema.optional(),
  autoscaling: AutoscalingSchema.optional(),
});

/** app.yaml: the application, described once. */
export const AppSchema = z.strictObject({
  name: Name,
  services: z.record(z.string(), ServiceSchema),
});

/** Per-environment overrides of a service: any service field, all optional. */
export const ServiceOverlaySchema = ServiceSchema.partial().extend({
  ports: z.array(PortSchema.partial().required({ name: true })).optional(),
  volumes: z.array(VolumeSchema.partial().required({ name: true })).optional(),
  health: HealthSchema.optional(),
});

/** A reasoned suppression of one guardrail rule. */
export const SuppressionSchema = z.strictObject({
  /** Rule id, e.g. `ENVK-K8S-003`. */
  rule: z.string().regex(/^ENVK-[A-Z0-9]+-\d{3}$/, { message: 'must be a rule id like "ENVK-K8S-003"' }),
  /** Service name or resource path the suppression applies to. @default the whole environment */
  scope: z.string().optional(),
  /** Why it is acceptable; required. */
  reason: z.string().min(10, { message: "a suppression needs a reason of at least 10 characters" }),
  /** `YYYY-MM-DD`; after it the finding is reported again. */
  expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date "YYYY-MM-DD"' }).optional(),
});

const NoCredential = { message: "credentials are never accepted in config; supply them through the backend's environment variables" };
const S3Backend = z.strictObject({ type: z.literal("s3"), bucket: z.string(), key: z.string(), region: z.string(), encrypt: z.boolean().optional(), dynamodbTable: z.string().optional(), useLockfile: z.boolean().optional(), accessKey: z.never(NoCredential).optional(), secretKey: z.never(NoCredential).optional() });
const GcsBackend = z.strictObject({ type: z.literal("gcs"), bucket: z.string(), prefix: z.string().optional(), credentials: z.never(NoCredential).optional() });
const AzurermBackend = z.strictObject({ type: z.literal("azurerm"), resourceGroupName: z.string(), storageAccountName: z.string(), containerName: z.string(), key: z.string(), accessKey: z.never(NoCredential).optional() });
const PgBackend = z.strictObject({ type: z.literal("pg"), schemaName: z.string().optional(), connStr: z.never({ message: "a connection string holds a password; set PG_CONN_STR in the environment instead" }).optional() });
const RemoteBackend = z.strictObject({ type: z.literal("remote"), organization: z.string(), workspace: z.string(), hostname: z.string().optional(), token: z.never(NoCredential).optional() });
const LocalBackend = z.strictObject({
  type: z.literal("local"),
  /** Relative to the stack's folder (`<out>/stacks/<env>`). @default "../../../terraform.<env>.tfstate" */
  path: z.string().optional(),
});

/** Where an environment keeps its Terraform state. */
export const BackendSchema = z.discriminatedUnion("type", [LocalBackend, S3Backend, GcsBackend, AzurermBackend, PgBackend, RemoteBackend]);

/** environments/<env>.yaml: one environment as an overlay on the application. */
export const EnvironmentSchema = z.strictObject({
  /** Where this environment runs. */
  target: z.enum(["docker", "kubernetes", "swarm"]),
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
      cpu: CpuQuantity.optional(),
      memory: MemoryQuantity.optional(),
      cpuLimit: CpuQuantity.optional(),
      memoryLimit: MemoryQuantity.optional(),
      pods: z.number().int().min(1).optional(),
      persistentVolumeClaims: z.number().int().min(0).optional(),
      storage: MemoryQuantity.optional(),
    })
    .optional(),
  /** Container defaults for the namespace's LimitRange. */
  limitRange: ResourcesSchema.optional(),
  /** DNS domain for public services: `<service>.<domain>`. */
  domain: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: "must be a lowercase DNS name, e.g. staging.shop.example.com" }).optional(),
  /** TLS for the ingress, by reference to an existing Kubernetes secret. */
  tls: z.strictObject({ secretName: Name }).optional(),
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
      /** @default "25%" */
      maxSurge: Percentage.optional(),
      /** @default 0 */
      maxUnavailable: Percentage.optional(),
      /** How long apply waits for a rollout. @default "10m" */
      timeout: Duration.optional(),
    })
    .optional(),
  volumes: z.strictObject({ /** @default false */ preventDestroy: z.boolean().optional() }).optional(),
  docker: z
    .strictObject({
      /** @default "unix:///var/run/docker.sock" */
      host: z.string().regex(/^(unix|tcp|ssh):\/\//, { message: 'must start with unix://, tcp:// or ssh://' }).optional(),
      /** Folder with ca.pem, cert.pem, key.pem, read at apply time (tcp:// hosts). @default DOCKER_CERT_PATH */
      certPath: z.string().optional(),
      /** Address published ports bind to. @default "127.0.0.1" */
      publishAddress: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, { message: 'must be an IPv4 address such as "127.0.0.1"' }).optional(),
      /**
       * Host folder holding one file per secret, bind-mounted read-only; the value then never
       * enters Terraform state. @default unset: values come from TF_VAR_<name> and are uploaded
       */
      secretsHostDir: z.string().regex(/^\//, { message: "must be an absolute path on the Docker host, e.g. /etc/envkit/secrets/dev" }).optional(),
    })
    .optional(),
  kubernetes: z
    .strictObject({
      /** @default KUBE_CONFIG_PATH at apply time */
      configPath: z.string().optional(),
      context: z.string().optional(),
      /** Label selector value of the ingress controller's namespace. @default "ingress-nginx" */
      ingressNamespace: Name.optional(),
      /** @default "nginx" */
      ingressClassName: z.string().optional(),
      /** Pod Security Admission level of the namespace (enforce, audit, warn). @default "restricted" */
      podSecurity: z.enum(["restricted", "baseline", "privileged"]).optional(),
      /** Default-deny plus per-connection NetworkPolicies. @default true */
      networkPolicies: z.boolean().optional(),
    })
    .optional(),
  /** Promotion order: this environment may only run releases that `from` runs or ran before. */
  promotion: z.strictObject({ from: Name }).optional(),
  /** Secret rotation: bump a secret's revision to push a new value (Kubernetes write-only secrets). */
  secretRevisions: z.record(SecretName, z.number().int().min(1)).optional(),
});

/** The input type of app.yaml. */
export type AppConfig = z.infer<typeof AppSchema>;
/** The input type of one service in app.yaml. */
export type ServiceConfig = z.infer<typeof ServiceSchema>;
/** The input type of environments/<env>.yaml. */
export type EnvironmentConfig = z.infer<typeof EnvironmentSchema>;
/** A state backend. */
export type BackendConfig = z.infer<typeof BackendSchema>;

export { DNS1123_LABEL };
