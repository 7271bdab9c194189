import { z } from "zod";
import { RegistryAuth, RegistryAuthSchema } from "../shared/registry-auth-schema";
import type { DefaultRule } from "../../config/defaults";
import { EnvironmentModel } from "../../model/environment";
import { EngineHostSchema } from "../shared/engine-host";
import { PROXY_DEFAULTS, PROXY_SETTINGS, ProxySettings, proxySettings } from "../shared/proxy-settings";

/** This target's name: the `target:` value and the key of its settings block. */
export const SWARM = "swarm";

/** A node hostname as Swarm matches it in `node.hostname == …` (no spaces or operators). */
const Hostname = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$/, { message: "must be a node hostname such as \"node-1\" (letters, digits, '.', '_', '-')" });

/** A placement constraint in Swarm's own syntax: `<attribute> == <value>` or `!=`. */
const Constraint = z.string().regex(/^[A-Za-z0-9_.-]+ *(==|!=) *[^\s=!]+$/, { message: 'must be a Swarm constraint such as "node.role == worker" or "node.labels.zone != eu-1"' });

/** The `swarm:` block of an environment file. */
export const SwarmSettingsSchema = z.strictObject({
  /** A manager's engine address. @default "unix:///var/run/docker.sock" */
  host: EngineHostSchema.optional(),
  /** Folder with ca.pem, cert.pem, key.pem, read at apply time (tcp:// hosts). @default DOCKER_CERT_PATH */
  certPath: z.string().optional(),
  /** How public ports are published: the routing mesh on every node, or the node running the task. @default "ingress" */
  publishMode: z.enum(["ingress", "host"]).optional(),
  /** Placement constraints of every service (e.g. "node.role == worker"). @default [] */
  constraints: z.array(Constraint).max(32).optional(),
  /** Spread preference of stateless services: replicas spread evenly over the values of this node label. @default unset */
  spread: z.string().regex(/^node\.labels\.[A-Za-z0-9_.-]+$/, { message: 'must be a node label such as "node.labels.zone"' }).optional(),
  /** Most replicas of a stateless service on one node. @default unset (no limit) */
  maxReplicasPerNode: z.number().int().min(1).max(1000).optional(),
  /** What Swarm does when an update fails its health gate. @default "rollback" */
  failureAction: z.enum(["rollback", "pause", "continue"]).optional(),
  /** Apply waits until each service has converged (and fails when Swarm rolled it back). @default true */
  converge: z.boolean().optional(),
  /** IPsec encryption of the overlay networks' traffic between nodes. @default false */
  encryptNetworks: z.boolean().optional(),
  /** Stateful service → the hostname of the node holding its data. @default unset: pinned by the node label envkit.<app>.<env>.<service> */
  nodes: z.record(z.string(), Hostname).optional(),
  /** Stateful services allowed to run on any node (their local data does not follow them). @default [] */
  unpinned: z.array(z.string()).max(1000).optional(),
  /** Private registries the engine pulls from (provider `registry_auth`). @default none */
  registryAuth: RegistryAuthSchema.optional(),
  /** The envkit proxy service in front of blue-green and canary services. @default the defaults of each field */
  proxy: z.strictObject(PROXY_SETTINGS).optional(),
});

/** Defaults of the `swarm:` block (paths relative to it); composed into the one defaults table. */
export const SWARM_DEFAULTS: readonly DefaultRule[] = [
  { path: "host", value: "unix:///var/run/docker.sock", doc: "the local engine, a Swarm manager" },
  { path: "publishMode", value: "ingress", doc: "public ports on every node through the routing mesh, so replicas can be updated start-first" },
  { path: "failureAction", value: "rollback", doc: "an update whose tasks fail their health check rolls back by itself" },
  { path: "converge", value: true, doc: "terraform apply waits for each service to converge and fails when Swarm rolled it back" },
  { path: "encryptNetworks", value: false, doc: "overlay traffic unencrypted (IPsec needs ESP, IP protocol 50, open between nodes)" },
  ...PROXY_DEFAULTS,
];

/** Where the defaults above are defined, as `envkit explain` names it. */
export const SWARM_SETTINGS_SOURCE = "lib/targets/swarm/options.ts";

/** The Swarm target's settings of an environment (`swarm:` in its file), defaults applied. */
export interface SwarmOptions {
  /** Private registries and the variables of their passwords. @default none */
  readonly registryAuth?: RegistryAuth;
  /** Manager address. @default "unix:///var/run/docker.sock" */
  readonly host: string;
  /** Folder of the TLS client certificates for a `tcp://` host. @default DOCKER_CERT_PATH */
  readonly certPath?: string;
  /** Publish mode of public ports. @default "ingress" */
  readonly publishMode: "ingress" | "host";
  /** Constraints of every service. @default [] */
  readonly constraints: readonly string[];
  /** Spread label of stateless services. @default unset */
  readonly spread?: string;
  /** Replicas of a stateless service per node. @default unset */
  readonly maxReplicasPerNode?: number;
  /** Update failure action. @default "rollback" */
  readonly failureAction: "rollback" | "pause" | "continue";
  /** Apply waits for convergence. @default true */
  readonly converge: boolean;
  /** Encrypted overlay networks. @default false */
  readonly encryptNetworks: boolean;
  /** Stateful service → node hostname. @default {} */
  readonly nodes: Readonly<Record<string, string>>;
  /** Stateful services not pinned to a node. @default [] */
  readonly unpinned: readonly string[];
  /** The envkit proxy's settings, defaults applied. */
  readonly proxy: ProxySettings;
}

/** The literal defaults, for a model built by hand without some of the keys. */
const FILLED: Readonly<Record<string, unknown>> = { ...Object.fromEntries(SWARM_DEFAULTS.filter((d) => !d.path.includes(".")).map((d) => [d.path, d.value])), constraints: [], nodes: {}, unpinned: [] };

/**
 * The Swarm settings of `env`: the one reader of its `targetOptions`; keys a hand-built model
 * leaves out get the documented defaults, and another target's settings are never read as these.
 */
export function swarmOptions(env: EnvironmentModel): SwarmOptions {
  const own = (env.target === SWARM ? env.targetOptions : {}) as Record<string, unknown>;
  return { ...FILLED, ...own, proxy: proxySettings(own.proxy, SWARM_DEFAULTS) } as unknown as SwarmOptions;
}

/** The node label that pins a stateful service when no hostname is set: `envkit.<app>.<env>.<service>`. */
export function pinLabel(env: Pick<EnvironmentModel, "app" | "name">, service: string): string {
  return `envkit.${env.app}.${env.name}.${service}`;
}

/**
 * How the Swarm target plans its networks: with a `<service>-backup` network for every backup
 * job, an archive's too (a task without a network joins the node's default bridge: moby v20.10.24
 * daemon/cluster/executor/container/container.go:397-402 sets a network mode only for a predefined
 * network, and Swarm predefines only bridge and host).
 */
export const SWARM_NETWORK_PLAN = { backups: true, archiveNetworks: true } as const;
