import { Container } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Volume } from "@cdktf/provider-docker/lib/volume";
import { Construct } from "constructs";
import { EnvironmentModel } from "../../model/environment";
import { scopedName } from "../../model/names";
import { memoryToDockerMb } from "../../model/quantity";
import { proxyLimits } from "../shared/proxy-settings";
import { STOP_GRACE_SECONDS, labelList } from "../shared/container-spec";
import { LABEL, environmentLabels } from "../shared/labels";
import { PROXY_CONFIG_DIR, PROXY_CONFIG_FILE, PROXY_UID, configHash, haproxyConfig, proxyEntrypoint, proxyHealthTest } from "../shared/proxy";
import { DockerProxyPlan } from "./docker-routing";
import { CPU_PERIOD_MICROS, SEED_ENTRYPOINT, SEED_ROLE_LABEL, SECRET_FILE_MODE } from "./docker-service";
import { dockerOptions } from "./options";

/** {@link SEED_ROLE_LABEL} value of the proxy's configuration seed. */
export const PROXY_CONFIG_ROLE = "proxy-config-seed";
/** {@link SEED_ROLE_LABEL} value of the proxy container. */
export const PROXY_ROLE = "proxy";
/** The proxy's `app.kubernetes.io/name`. */
export const PROXY_NAME = "envkit-proxy";
/**
 * Label on the proxy listing which service each published host port serves (`8080=web,18080=web`),
 * so a guardrail finding about a published port is the service's (a suppression scoped to `web`
 * covers the proxy publishing web's port).
 */
export const PUBLISHED_FOR_LABEL = "envkit.dev/published-for";

/** A network the proxy joins, with the names it answers to there. */
export interface DockerProxyNetwork {
  readonly name: string;
  readonly aliases: readonly string[];
}

/** Props of {@link DockerProxy}. */
export interface DockerProxyProps {
  readonly environment: EnvironmentModel;
  readonly plan: DockerProxyPlan;
  readonly networks: readonly DockerProxyNetwork[];
  /** The containers the proxy routes to: traffic moves only after they exist and are healthy. */
  readonly upstreams: readonly Container[];
}

/**
 * The envkit proxy of one Docker environment: a hardened HAProxy container that publishes the
 * routed services' public ports (and loopback preview ports) and whose configuration lives in a
 * volume written by a never-started seed, like a service's secrets (docker-service.ts).
 *
 * What apply does on a switch (kreuzwerker/docker 3.6.2): the configuration is the seed's
 * `upload.content`, ForceNew like every `upload` field (resource_docker_container.go:791-846), so
 * a new configuration replaces the seed only. The seed is named by the configuration's hash and
 * is create_before_destroy: the new seed is created (ContainerCreate, then the upload, extracted
 * at `/` into the volume mounted at its config folder, resource_docker_container_funcs.go:420,
 * 456-533; never started) after every upstream container it depends on is healthy, and the old
 * seed is then removed (its named volume stays: remove_volumes only removes anonymous volumes).
 * The proxy container references the volume by name and nothing of the configuration, so
 * Terraform plans no change to it: it keeps its published ports and its connections, notices the
 * new file within a second and reloads gracefully (shared/proxy.ts proxyEntrypoint).
 * `image`, `configVolume`, `configSeed` and `container` are public escape hatches.
 */
export class DockerProxy extends Construct {
  public readonly image: Image;
  public readonly configVolume: Volume;
  public readonly configSeed: Container;
  public readonly container: Container;
  /** The HAProxy configuration this stack installs. */
  public readonly config: string;

  constructor(scope: Construct, id: string, props: DockerProxyProps) {
    super(scope, id);
    const env = props.environment;
    const o = dockerOptions(env);
    this.config = haproxyConfig(props.plan.plan);
    const labels = (role: string, extra: Record<string, string> = {}) => labelList({ ...environmentLabels(env), [LABEL.name]: PROXY_NAME, [SEED_ROLE_LABEL]: role, ...extra });
    const publishedFor = props.plan.publish.map((p) => `${p.hostPort}=${p.service}`).join(",");
    const user = `${PROXY_UID}:${PROXY_UID}`;

    this.image = new Image(this, "image", { name: o.proxy.image, keepLocally: true });
    this.configVolume = new Volume(this, "config-volume", { name: scopedName(env.app, env.name, "proxy-config"), labels: labelList(environmentLabels(env)) });

    this.configSeed = new Container(this, "config-seed", {
      // Named by the configuration: the successor exists next to its predecessor (create_before_destroy).
      name: scopedName(env.app, env.name, "proxy-config", configHash(this.config)),
      image: this.image.imageId,
      entrypoint: SEED_ENTRYPOINT,
      start: false,
      mustRun: false,
      readOnly: false,
      networkMode: "none",
      user,
      capabilities: { drop: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      labels: labels(PROXY_CONFIG_ROLE),
      mounts: [{ type: "volume", source: this.configVolume.name, target: PROXY_CONFIG_DIR }],
      upload: [{ file: PROXY_CONFIG_FILE, content: this.config, permissions: SECRET_FILE_MODE }],
      // Traffic moves only to containers that exist and passed their health check (`wait`).
      dependsOn: [...props.upstreams],
      lifecycle: { createBeforeDestroy: true },
    });

    const limits = proxyLimits(o.proxy, "docker.proxy");
    this.container = new Container(this, "container", {
      name: scopedName(env.app, env.name, "proxy"),
      image: this.image.imageId,
      entrypoint: proxyEntrypoint(),
      user,
      readOnly: true,
      tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
      // Listens on unprivileged-or-not ports without any capability: Engine 20.10 sets
      // net.ipv4.ip_unprivileged_port_start=0 in each container's network namespace.
      capabilities: { drop: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      memory: memoryToDockerMb(limits.memoryBytes),
      memorySwap: memoryToDockerMb(limits.memoryBytes),
      cpuPeriod: CPU_PERIOD_MICROS,
      cpuQuota: limits.cpuMillis * (CPU_PERIOD_MICROS / 1000),
      healthcheck: { test: proxyHealthTest(), interval: "2s", timeout: "2s", retries: 3, startPeriod: "2s" },
      wait: true,
      waitTimeout: 60,
      restart: "unless-stopped",
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
      labels: labels(PROXY_ROLE, publishedFor ? { [PUBLISHED_FOR_LABEL]: publishedFor } : {}),
      networksAdvanced: props.networks.map((n) => ({ name: n.name, aliases: n.aliases.length ? [...n.aliases] : undefined })),
      ports: props.plan.publish.length ? props.plan.publish.map((p) => ({ internal: p.listen, external: p.hostPort, ip: p.ip, protocol: p.protocol })) : undefined,
      mounts: [{ type: "volume", source: this.configVolume.name, target: PROXY_CONFIG_DIR, readOnly: true }],
      destroyGraceSeconds: STOP_GRACE_SECONDS,
      stopTimeout: STOP_GRACE_SECONDS,
      mustRun: false,
      // The first configuration exists before HAProxy starts; later seeds do not touch the container.
      dependsOn: [this.configSeed],
    });
  }
}
