import { Container, ContainerConfig } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Volume } from "@cdktf/provider-docker/lib/volume";
import { Construct } from "constructs";
import { TerraformVariable } from "../../facade/cdktf";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { scopedName } from "../../model/names";
import { cpuToDocker, memoryToDockerMb } from "../../model/quantity";
import { formatDuration } from "../../model/duration";
import { componentLabels, serviceLabels } from "../shared/labels";
import { serviceEnvironment } from "../shared/service-env";

/** A network a service's containers join, with the DNS aliases they answer to there. */
export interface DockerServiceNetwork {
  readonly name: string;
  readonly aliases: readonly string[];
}

/** Props of {@link DockerService}. */
export interface DockerServiceProps {
  readonly environment: EnvironmentModel;
  readonly service: ServiceModel;
  /** Networks this service joins (already filtered to the ones its connections need). */
  readonly networks: readonly DockerServiceNetwork[];
  /** Secret name → its sensitive Terraform variable. */
  readonly secretVariables: ReadonlyMap<string, TerraformVariable>;
}

/** Where secrets appear inside containers (the seeds' `*_FILE` convention). */
export const SECRETS_DIR = "/run/secrets";

/**
 * One service on a Docker host: its pinned image, its volumes and `replicas` hardened containers
 * sharing the service's network alias. The provider resources are public escape hatches:
 * `image`, `volumes` and `containers` (use `addOverride` on them for anything envkit lacks).
 */
export class DockerService extends Construct {
  /** The `docker_image` pinned to the environment's release. */
  public readonly image: Image;
  /** One `docker_volume` per declared volume (stateful services). */
  public readonly volumes: Volume[] = [];
  /** The `docker_container` of each replica, in order. */
  public readonly containers: Container[] = [];

  constructor(scope: Construct, id: string, props: DockerServiceProps) {
    super(scope, id);
    const { environment: env, service: svc } = props;
    const toList = (l: Record<string, string>) => Object.keys(l).sort().map((label) => ({ label, value: l[label] }));
    // Volumes carry no version label: a release bump must never replace a volume.
    const labelList = toList(componentLabels(env, svc));
    const containerLabels = toList(serviceLabels(env, svc));

    // Pulled from a registry, never built in the deploy path; kept locally so a rollback works offline.
    this.image = new Image(this, "image", { name: formatImageRef(svc.image), keepLocally: true });

    const mounts: NonNullable<ContainerConfig["mounts"]> = [];
    for (const vol of svc.volumes) {
      const v = new Volume(this, `volume-${vol.name}`, {
        name: scopedName(env.app, env.name, svc.name, vol.name),
        labels: labelList,
        lifecycle: env.preventDestroyVolumes ? { preventDestroy: true } : undefined,
      });
      this.volumes.push(v);
      mounts.push({ type: "volume", source: v.name, target: vol.path });
    }

    const uploads: NonNullable<ContainerConfig["upload"]> = [];
    if (svc.secrets.length > 0) {
      if (env.docker.secretsHostDir) {
        // Operator-provided files: the value never enters Terraform state.
        for (const s of svc.secrets) {
          mounts.push({ type: "bind", source: `${env.docker.secretsHostDir}/${s.name}`, target: `${SECRETS_DIR}/${s.name}`, readOnly: true });
        }
      } else {
        // A small volume holds the uploaded files: the root filesystem is read-only, and Docker
        // copies into a read-only container only onto a volume. Uploaded files are owned by root,
        // so 0444 is what lets the non-root app read them (0400 does not: checked on a real
        // engine); the volume belongs to this service's containers alone.
        const sv = new Volume(this, "secrets-volume", { name: scopedName(env.app, env.name, svc.name, "secrets"), labels: labelList });
        this.volumes.push(sv);
        mounts.push({ type: "volume", source: sv.name, target: SECRETS_DIR });
        for (const s of svc.secrets) {
          uploads.push({ file: `${SECRETS_DIR}/${s.name}`, content: props.secretVariables.get(s.name)!.stringValue, permissions: "0444" });
        }
      }
    }

    const environment = serviceEnvironment(env, svc, (name) => `${SECRETS_DIR}/${name}`);
    const envList = Object.keys(environment).sort().map((k) => `${k}=${environment[k]}`);
    const sec = svc.security;
    const securityOpts: string[] = [];
    if (sec.noNewPrivileges) securityOpts.push("no-new-privileges:true");
    if (sec.seccompProfile === "Unconfined") securityOpts.push("seccomp=unconfined");
    else if (sec.seccompProfile.startsWith("Localhost/")) securityOpts.push(`seccomp=${sec.seccompProfile.slice("Localhost/".length)}`);

    const health = svc.health;
    const healthcheck: ContainerConfig["healthcheck"] = health
      ? {
          test: health.command ? ["CMD", ...health.command] : ["CMD-SHELL", `wget -q -O /dev/null 'http://127.0.0.1:${health.http!.port}${health.http!.path}' || exit 1`],
          interval: formatDuration(health.intervalSeconds),
          timeout: formatDuration(health.timeoutSeconds),
          retries: health.retries,
          startPeriod: formatDuration(health.startPeriodSeconds),
        }
      : undefined;
    const waitTimeout = health ? Math.ceil(health.startPeriodSeconds + health.intervalSeconds * (health.retries + 1) + 30) : undefined;

    const ports = svc.public
      ? svc.ports.map((p) => ({ internal: p.port, external: p.hostPort, ip: env.docker.publishAddress, protocol: p.protocol }))
      : undefined;

    for (let i = 1; i <= Math.max(svc.replicas, 0); i++) {
      this.containers.push(
        new Container(this, `container-${i}`, {
          name: scopedName(env.app, env.name, svc.name, String(i)),
          image: this.image.imageId,
          entrypoint: svc.command ? [...svc.command] : undefined,
          command: svc.args ? [...svc.args] : undefined,
          env: envList,
          user: `${sec.uid}:${sec.gid}`,
          readOnly: sec.readOnlyRootFilesystem,
          // Docker copies the image's directory (owner, mode, files) onto the tmpfs; a path the
          // image lacks is mounted 1777. Checked on a real engine (integration/docker-engine).
          tmpfs: sec.readOnlyRootFilesystem ? Object.fromEntries(svc.writablePaths.map((p) => [p, "rw,noexec,nosuid,size=64m"])) : undefined,
          capabilities: { drop: [...sec.dropCapabilities], add: sec.addCapabilities.length ? [...sec.addCapabilities] : undefined },
          securityOpts,
          privileged: sec.privileged,
          memory: memoryToDockerMb(svc.resources.memoryLimitBytes),
          memorySwap: memoryToDockerMb(svc.resources.memoryLimitBytes),
          cpus: cpuToDocker(svc.resources.cpuLimitMillis),
          healthcheck,
          wait: health !== undefined,
          waitTimeout,
          restart: svc.restart.policy,
          maxRetryCount: svc.restart.policy === "on-failure" ? svc.restart.maxRetries : undefined,
          logDriver: "json-file",
          logOpts: { "max-size": svc.logging.maxSize, "max-file": String(svc.logging.maxFile) },
          labels: [...containerLabels, { label: "envkit.dev/replica", value: String(i) }],
          networksAdvanced: props.networks.map((n) => ({ name: n.name, aliases: n.aliases.length ? [...n.aliases] : undefined })),
          ports,
          mounts: mounts.length ? mounts : undefined,
          upload: uploads.length ? uploads : undefined,
          mustRun: true,
        }),
      );
    }
  }
}
