import { Container, ContainerConfig, ContainerMounts } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Volume } from "@cdktf/provider-docker/lib/volume";
import { Construct } from "constructs";
import { TerraformVariable } from "../../facade/cdktf";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { scopedName } from "../../model/names";
import { memoryToDockerMb } from "../../model/quantity";
import { DockerBackup } from "./docker-backup";
import { dockerHealth } from "./docker-health";
import { componentLabels, serviceLabels } from "../shared/labels";
import { dataName, moveFromPreviousName } from "../shared/renames";
import { EngineServiceProps, SECRETS_DIR, STOP_GRACE_SECONDS, engineUser, envAssignments, labelList, logRotation } from "../shared/container-spec";
import { dockerOptions } from "./options";

/** A network a service's containers join, with the DNS aliases they answer to there. */
export interface DockerServiceNetwork {
  readonly name: string;
  readonly aliases: readonly string[];
}

/** Props of {@link DockerService}: `secrets` maps each secret name to its sensitive Terraform variable. */
export type DockerServiceProps = EngineServiceProps<DockerServiceNetwork, TerraformVariable> & {
  /** The network the service's backup job shares with it (dump methods). @default none */
  readonly backupNetwork?: { readonly name: string };
};

/** Where secrets appear inside containers, and the stop grace period (shared with every engine-API target). */
export { SECRETS_DIR, STOP_GRACE_SECONDS };

/** CFS period envkit pairs with `cpu_quota`: 100 ms, Docker's own default, so 1 millicore = 100 µs of quota. */
export const CPU_PERIOD_MICROS = 100_000;

/** Size of each writable-path tmpfs when the service sets none: 64 MiB. */
export const DEFAULT_WRITABLE_SIZE_BYTES = 64 * 1024 * 1024;


/** `tmpfs` `size=` value: whole MiB as `<n>m`, anything else in bytes (the kernel rounds up to pages). */
export function tmpfsSize(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)}m` : String(bytes);
}

/**
 * Options of the tmpfs on each writable path. runc mounts an empty tmpfs, chmods it to the image
 * directory's mode (1777 when the image has no such directory) and leaves it owned by root
 * (runc 1.1.5 libcontainer/rootfs_linux.go:461-484; no copy-up in Docker), so a non-root user
 * could not write a 0755 or 0700 image directory. `uid`/`gid` hand it to the service user and
 * `mode=0700` keeps others out where the image has no directory; Engine 20.10 accepts both
 * (moby v20.10.24 daemon/oci_linux.go:566-582; checked on a real engine, integration/docker-engine).
 * Root keeps Docker's defaults: an entrypoint that drops privileges (postgres, redis) needs the
 * 1777 of a missing directory.
 */
export function tmpfsOptions(uid: number, gid: number, sizeBytes: number): string {
  const base = `rw,noexec,nosuid,size=${tmpfsSize(sizeBytes)}`;
  return uid === 0 ? base : `${base},uid=${uid},gid=${gid},mode=0700`;
}

/** Label that marks a service's secrets seed (see {@link DockerService.secretsSeed}). */
export const SEED_ROLE_LABEL = "envkit.dev/role";
/** Value of {@link SEED_ROLE_LABEL} on a secrets seed. */
export const SEED_ROLE = "secrets-seed";
/**
 * The seed's entrypoint: a path no image has, so a seed started by hand fails at once ("executable
 * file not found") instead of running the app with a writable root. Set explicitly because the
 * engine refuses to create a container whose image has neither ENTRYPOINT nor CMD.
 */
export const SEED_ENTRYPOINT = ["/envkit-secrets-seed-is-never-started"];
/**
 * Mode of every uploaded secret file. The provider's tar headers carry no owner
 * (resource_docker_container_funcs.go:510-515), so the engine writes the files as root:root
 * (moby v20.10.24 daemon/archive.go:365-375); 0400 would lock the non-root service out. Readable
 * by every uid inside the containers that mount the volume (this service's own containers only),
 * writable by none of them: the app mounts the volume read-only.
 */
export const SECRET_FILE_MODE = "0444";

interface SeedProps {
  readonly env: EnvironmentModel;
  readonly svc: ServiceModel;
  readonly image: Image;
  readonly volume: Volume;
  readonly labels: { label: string; value: string }[];
  readonly secretVariables: ReadonlyMap<string, TerraformVariable>;
}

/**
 * The secrets seed of a service: a `docker_container` created from the service's own image (the
 * one image always present, as docker_image pulls it), never started, with a writable root (so
 * the provider's extraction at `/` is allowed) and the secrets volume at /run/secrets (so the
 * files land in the volume: the engine mounts volumes before extracting, daemon/archive.go:
 * 276-285). The provider uploads without starting (funcs:456-535) and, with must_run false,
 * accepts a container that is not running on every refresh (funcs:845-848). It joins no network
 * (network_mode none) and publishes nothing. A new value replaces it (upload is ForceNew,
 * resource_docker_container.go:791-846); the app containers are replaced with it
 * (replace_triggered_by). Files of removed secrets stay in the volume until it is removed.
 */
function secretsSeed(scope: Construct, p: SeedProps): Container {
  const sec = p.svc.security;
  return new Container(scope, "secrets-seed", {
    name: scopedName(p.env.app, p.env.name, p.svc.name, "secrets-seed"),
    image: p.image.imageId,
    entrypoint: SEED_ENTRYPOINT,
    start: false,
    mustRun: false,
    readOnly: false,
    networkMode: "none",
    // Harmless while it never runs; they keep a hand-started seed as confined as the app.
    user: engineUser(sec),
    capabilities: { drop: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    labels: p.labels,
    mounts: [{ type: "volume", source: p.volume.name, target: SECRETS_DIR }],
    upload: p.svc.secrets.map((s) => ({ file: `${SECRETS_DIR}/${s.name}`, content: p.secretVariables.get(s.name)!.stringValue, permissions: SECRET_FILE_MODE })),
  });
}

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
  /**
   * The never-started container that writes the service's secret files into its secrets volume
   * (uploaded secrets only; undefined with `docker.secretsHostDir` or without secrets).
   */
  public readonly secretsSeed?: Container;
  /** The scheduled backup container, where the service has a backup. */
  public readonly backup?: DockerBackup;

  constructor(scope: Construct, id: string, props: DockerServiceProps) {
    super(scope, id);
    const { environment: env, service: svc } = props;
    // Volumes carry no version label: a release bump must never replace a volume.
    const componentLabelList = labelList(componentLabels(env, svc));
    // A renamed service keeps its volumes' names and labels (both ForceNew): the move keeps the data.
    const dataOwner: ServiceModel = { ...svc, name: dataName(svc) };
    const volumeLabelList = labelList(componentLabels(env, dataOwner));
    const containerLabels = labelList(serviceLabels(env, svc));

    // Pulled from a registry, never built in the deploy path; kept locally so a rollback works offline.
    this.image = new Image(this, "image", { name: formatImageRef(svc.image), keepLocally: true });

    const mounts: NonNullable<ContainerConfig["mounts"]> = [];
    const dataVolumes = new Map<string, Volume>();
    for (const vol of svc.volumes) {
      const v = new Volume(this, `volume-${vol.name}`, {
        name: scopedName(env.app, env.name, dataOwner.name, vol.name),
        labels: volumeLabelList,
        lifecycle: env.preventDestroyVolumes ? { preventDestroy: true } : undefined,
      });
      this.volumes.push(v);
      dataVolumes.set(vol.name, v);
      mounts.push({ type: "volume", source: v.name, target: vol.path });
    }

    const sec = svc.security;
    let seed: Container | undefined;
    if (svc.secrets.length > 0) {
      const hostDir = dockerOptions(env).secretsHostDir;
      if (hostDir) {
        // Operator-provided files: the value never enters Terraform state.
        for (const s of svc.secrets) {
          mounts.push({ type: "bind", source: `${hostDir}/${s.name}`, target: `${SECRETS_DIR}/${s.name}`, readOnly: true });
        }
      } else {
        // The provider extracts every `upload` at `/` (kreuzwerker/docker 3.6.2
        // resource_docker_container_funcs.go:526-531) and the engine refuses any extraction at `/`
        // of a read-only container, whatever is mounted below (moby v20.10.24 daemon/archive.go:
        // 356-363). So the files go into a volume through a seed container that is created, never
        // started, and the app mounts the volume read-only. See secretsSeed.
        const sv = new Volume(this, "secrets-volume", { name: scopedName(env.app, env.name, dataOwner.name, "secrets"), labels: volumeLabelList });
        this.volumes.push(sv);
        seed = secretsSeed(this, { env, svc, image: this.image, volume: sv, labels: [...componentLabelList, { label: SEED_ROLE_LABEL, value: SEED_ROLE }].sort((a, b) => a.label.localeCompare(b.label)), secretVariables: props.secrets });
        mounts.push({ type: "volume", source: sv.name, target: SECRETS_DIR, readOnly: true });
      }
    }
    this.secretsSeed = seed;

    const envList = envAssignments(env, svc);
    const securityOpts: string[] = [];
    if (sec.noNewPrivileges) securityOpts.push("no-new-privileges:true");
    if (sec.seccompProfile === "Unconfined") securityOpts.push("seccomp=unconfined");
    else if (sec.seccompProfile.startsWith("Localhost/")) {
      // The engine wants the profile JSON itself in `seccomp=`, not a path (moby v20.10.24
      // profiles/seccomp/seccomp_linux.go:19-26): a path fails at container start. The Docker
      // adapter's validation refuses Localhost profiles; this guards a model that bypassed it.
      throw new Error(`services.${svc.name}.security.seccompProfile: "${sec.seccompProfile}" cannot be lowered to Docker (the engine takes the profile JSON, not a path); use "RuntimeDefault" on Docker`);
    }

    // The readiness check, run inside the container by a program the image has (docker-health.ts).
    const { healthcheck, wait, waitTimeout } = dockerHealth(svc);

    // Read defensively until the model carries the per-service setting (config: writableSize).
    const writableSizeBytes = svc.writableSizeBytes ?? DEFAULT_WRITABLE_SIZE_BYTES;
    // tmpfs reads size=0 as "no limit": a model that let one through must not lift the cap.
    if (!Number.isSafeInteger(writableSizeBytes) || writableSizeBytes <= 0) {
      throw new Error(`services.${svc.name}.writableSize: ${writableSizeBytes} bytes is not a tmpfs size; use a positive size such as "64Mi"`);
    }

    const ports = svc.public
      ? svc.ports.map((p) => ({ internal: p.port, external: p.hostPort, ip: dockerOptions(env).publishAddress, protocol: p.protocol }))
      : undefined;

    for (let i = 1; i <= Math.max(svc.replicas, 0); i++) {
      this.containers.push(
        new Container(this, `container-${i}`, {
          name: scopedName(env.app, env.name, svc.name, String(i)),
          image: this.image.imageId,
          entrypoint: svc.command ? [...svc.command] : undefined,
          command: svc.args ? [...svc.args] : undefined,
          env: envList,
          user: engineUser(sec),
          readOnly: sec.readOnlyRootFilesystem,
          // An empty tmpfs per writable path, owned by the service user: see tmpfsOptions.
          // kreuzwerker/docker 3.6.2 never applies a `tmpfs` change to an existing container
          // (not ForceNew, ignored by Update): it is planned in place and drifts until replaced.
          tmpfs: sec.readOnlyRootFilesystem ? Object.fromEntries(svc.writablePaths.map((p) => [p, tmpfsOptions(sec.uid, sec.gid, writableSizeBytes)])) : undefined,
          capabilities: { drop: [...sec.dropCapabilities], add: sec.addCapabilities.length ? [...sec.addCapabilities] : undefined },
          securityOpts,
          privileged: sec.privileged,
          memory: memoryToDockerMb(svc.resources.memoryLimitBytes),
          memorySwap: memoryToDockerMb(svc.resources.memoryLimitBytes),
          // Not `cpus`: kreuzwerker/docker 3.6.2 declares it a string but reads it as a float and
          // panics on every create (resource_docker_container_funcs.go:326-328; issue #759, fixed
          // in 3.7.0). cpu_period/cpu_quota are its documented equivalent (funcs:337-345), but
          // 3.6.2 ignores later changes to them: they are neither ForceNew nor sent by Update
          // (funcs:881-927), so a new CPU limit is planned in place and reaches the engine only
          // when the container is replaced (e.g. by the next release).
          cpuPeriod: CPU_PERIOD_MICROS,
          cpuQuota: svc.resources.cpuLimitMillis * (CPU_PERIOD_MICROS / 1000),
          healthcheck,
          wait,
          waitTimeout,
          restart: svc.restart.policy,
          maxRetryCount: svc.restart.policy === "on-failure" ? svc.restart.maxRetries : undefined,
          logDriver: "json-file",
          logOpts: logRotation(svc),
          labels: [...containerLabels, { label: "envkit.dev/replica", value: String(i) }],
          networksAdvanced: props.networks.map((n) => ({ name: n.name, aliases: n.aliases.length ? [...n.aliases] : undefined })),
          ports,
          mounts: mounts.length ? mounts : undefined,
          // Without destroy_grace_seconds the provider stops with a 0 s timeout, i.e. SIGKILL right
          // after the stop signal, on every destroy and replacement (funcs:929-956): an unclean
          // shutdown of every database on every release. It is read from state at delete (not ForceNew);
          // stop_timeout is the engine's own default for `docker stop` and daemon shutdown
          // (Config.StopTimeout, funcs:58-72; ForceNew, ctr:302-308).
          destroyGraceSeconds: STOP_GRACE_SECONDS,
          stopTimeout: STOP_GRACE_SECONDS,
          // must_run = true would make every refresh (any `terraform plan`, envkit review
          // included) delete a stopped container and drop it from state (funcs:634-688,
          // 845-854), taking its logs with it. A container that stopped after its restart
          // policy gave up stays visible for `docker logs`; the next apply does not restart it.
          mustRun: false,
          // After the seed has written the files; replaced with it, so a new value is read.
          dependsOn: seed ? [seed] : undefined,
          lifecycle: seed ? { replaceTriggeredBy: [`${seed.terraformResourceType}.${seed.friendlyUniqueId}.id`] } : undefined,
        }),
      );
    }
    if (svc.backup) {
      this.backup = new DockerBackup(this, "backup", {
        environment: env,
        service: svc,
        image: this.image,
        dataVolumes,
        secretMounts: (mounts as ContainerMounts[]).filter((m) => m.target.startsWith(SECRETS_DIR)),
        dependsOn: seed ? [seed] : undefined,
        network: props.backupNetwork,
        tmpfs: tmpfsOptions(sec.uid, sec.gid, writableSizeBytes),
        cpuPeriodMicros: CPU_PERIOD_MICROS,
      });
    }
    // After every resource exists: each gets a `moved` block from its address under the old name.
    moveFromPreviousName(this, svc);
  }
}
