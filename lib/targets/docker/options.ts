import { z } from "zod";
import { RegistryAuth, RegistryAuthSchema } from "../shared/registry-auth-schema";
import type { DefaultRule } from "../../config/defaults";
import { parseIpAddress } from "../../model/cidr";
import { EnvironmentModel } from "../../model/environment";
import { QUOTA_CPU, QUOTA_MEMORY } from "../../model/limits";
import { parseCpu, parseMemory } from "../../model/quantity";
import { EngineHostSchema } from "../shared/engine-host";
import { PROXY_DEFAULTS, PROXY_SETTINGS, ProxySettings, parsedString as parsed, proxySettings } from "../shared/proxy-settings";

/** This target's name: the `target:` value and the key of its settings block. */
export const DOCKER = "docker";

/** The Docker engine address: the one every engine-API target checks (no credentials in it). */
const DockerHost = EngineHostSchema;

/** The `docker.proxy` block: the environment's envkit proxy (see lib/targets/shared/proxy.ts). */
export const DockerProxySchema = z.strictObject({
  ...PROXY_SETTINGS,
  /** A public blue-green or canary service's preview (idle slot, or canary alone) is on 127.0.0.1 at hostPort + this. @default 10000 */
  previewPortOffset: z.number().int().min(1).max(60000).optional(),
});

/** The `docker.hostBudget` block: what the host can give the environment, checked against every strategy's peak. */
export const HostBudgetSchema = z.strictObject({
  /** CPU the environment's containers may be limited to in total, at peak. */
  cpu: parsed((s) => parseCpu(s, QUOTA_CPU)).optional(),
  /** Memory the environment's containers may be limited to in total, at peak. */
  memory: parsed((s) => parseMemory(s, QUOTA_MEMORY)).optional(),
});

/** The `docker:` block of an environment file. */
export const DockerSettingsSchema = z.strictObject({
  /** @default "unix:///var/run/docker.sock" */
  host: DockerHost.optional(),
  /** Folder with ca.pem, cert.pem, key.pem, read at apply time (tcp:// hosts). @default DOCKER_CERT_PATH */
  certPath: z.string().optional(),
  /** Address published ports bind to. @default "127.0.0.1" */
  publishAddress: z
    .string()
    .check((ctx) => {
      const r = parseIpAddress(ctx.value);
      if (!r.ok) ctx.issues.push({ code: "custom", message: r.error, input: ctx.value });
    })
    .optional(),
  /**
   * Host folder holding one file per secret, bind-mounted read-only; the value then never
   * enters Terraform state. @default unset: values come from TF_VAR_<name> and are uploaded
   */
  secretsHostDir: z.string().regex(/^\//, { message: "must be an absolute path on the Docker host, e.g. /etc/envkit/secrets/dev" }).optional(),
  /**
   * Give each container CPU shares from its service's CPU request (1024 per core), so a busy
   * host divides CPU by request as a Kubernetes node does. @default true
   */
  cpuSharesFromRequests: z.boolean().optional(),
  /** Private registries the engine pulls from (provider `registry_auth`). @default none */
  registryAuth: RegistryAuthSchema.optional(),
  /** The envkit proxy in front of public rolling, blue-green and canary services. @default the defaults of each field */
  proxy: DockerProxySchema.optional(),
  /** The host's capacity for this environment (sum of container limits at each strategy's peak). @default unset: not checked */
  hostBudget: HostBudgetSchema.optional(),
});

/** Defaults of the `docker:` block (paths relative to it); composed into the one defaults table. */
export const DOCKER_DEFAULTS: readonly DefaultRule[] = [
  { path: "host", value: "unix:///var/run/docker.sock", doc: "the local Docker engine" },
  { path: "publishAddress", value: "127.0.0.1", doc: "published ports listen on loopback only" },
  { path: "cpuSharesFromRequests", value: true, doc: "CPU shares follow the CPU request (1024 per core): a busy host shares CPU by request (kreuzwerker/docker 3.6.2 has no memory_reservation, so memory has only its limit)" },
  ...PROXY_DEFAULTS,
  { path: "proxy.previewPortOffset", value: 10000, doc: "a public service on hostPort 8080 previews its idle slot on 127.0.0.1:18080" },
];

/** Where the defaults above are defined, as `envkit explain` names it. */
export const DOCKER_SETTINGS_SOURCE = "lib/targets/docker/options.ts";

/** The Docker target's settings of an environment (`docker:` in its file), defaults applied. */
export interface DockerOptions {
  /** Private registries and the variables of their passwords. @default none */
  readonly registryAuth?: RegistryAuth;
  /** Engine address. @default "unix:///var/run/docker.sock" */
  readonly host: string;
  /** Folder of the TLS client certificates for a `tcp://` host (never key material). @default DOCKER_CERT_PATH */
  readonly certPath?: string;
  /** Address published ports listen on. @default "127.0.0.1" */
  readonly publishAddress: string;
  /** Host folder holding one file per secret, bind-mounted read-only instead of uploading. @default unset */
  readonly secretsHostDir?: string;
  /** CPU shares from the CPU request. @default true */
  readonly cpuSharesFromRequests: boolean;
  /** The envkit proxy's settings, defaults applied. */
  readonly proxy: ProxySettings & { readonly previewPortOffset: number };
  /** The host budget, if declared. @default unset */
  readonly hostBudget?: { readonly cpu?: string; readonly memory?: string };
}

/** The literal defaults, for a model built by hand without some of the keys. */
const FILLED: Readonly<Record<string, unknown>> = Object.fromEntries(DOCKER_DEFAULTS.filter((d) => !d.path.includes(".")).map((d) => [d.path, d.value]));


/**
 * The Docker settings of `env`: the one reader, so the model's shape is this target's business.
 * The model carries them opaquely (`targetOptions`, validated by {@link DockerSettingsSchema} and
 * defaulted); keys a hand-built model leaves out get the documented defaults, and the settings
 * of another target's environment are never read as Docker's.
 */
export function dockerOptions(env: EnvironmentModel): DockerOptions {
  const own = (env.target === DOCKER ? env.targetOptions : {}) as Record<string, unknown>;
  return { ...FILLED, ...own, proxy: proxySettings(own.proxy, DOCKER_DEFAULTS) } as unknown as DockerOptions;
}
