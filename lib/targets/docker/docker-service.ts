import { Container, ContainerConfig, ContainerMounts } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Volume } from "@cdktf/provider-docker/lib/volume";
import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { TerraformVariable } from "../../facade/cdktf";
import { FILES_SEED_ROLE, SEED_ROLE, SEED_ROLE_LABEL } from "./seed-labels";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { scopedName } from "../../model/names";
import { memoryToDockerMb } from "../../model/quantity";
import { DockerBackup } from "./docker-backup";
import { dockerHealth } from "./docker-health";
import { cgroupParent } from "./docker-metrics";
import type { GeneratedConfigFiles } from "../shared/monitoring-config";
import { CONFIG_FILE_MODE, KeyedFile, configFilesHash, keyedFiles } from "../shared/config-files";
import { SCHEDULER_HEALTH, SCHEDULER_TMP, cronJobContainer } from "../shared/scheduler";
import { componentLabels, workloadLabels } from "../shared/labels";
import { dataName, moveFromPreviousName } from "../shared/renames";
import { EngineServiceProps, SECRETS_DIR, STOP_GRACE_SECONDS, engineUser, envAssignments, labelList, logRotation } from "../shared/container-spec";
import { dockerOptions } from "./options";
import { ContainerSet, containerSets, proxyRouting, setHost } from "./docker-routing";
import { initStepContainers } from "./docker-init-steps";

/** A network a service's containers join, with the DNS aliases they answer to there. */
export interface DockerServiceNetwork {
  /** The network's name (a reference to the `docker_network`, so containers are created after it). */
  readonly name: string;
  readonly aliases: readonly string[];
  /** The network's name as a plain string (what a surged container's name hashes). @default name */
  readonly plainName?: string;
}

/** Generated files a service reads from a read-only folder (the monitoring set's configuration). */
export type DockerServiceConfigFiles = GeneratedConfigFiles;

/**
 * Props of {@link DockerService}: `secrets` maps each secret name to its sensitive Terraform
 * variable; `config` files arrive like uploaded secrets (a seed writes them into a volume the
 * service mounts read-only); `readOnlyHostPaths` are bind mounts, read-only (cAdvisor's cgroups).
 */
export type DockerServiceProps = EngineServiceProps<DockerServiceNetwork, TerraformVariable> & {
  readonly config?: DockerServiceConfigFiles;
  readonly readOnlyHostPaths?: readonly string[];
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

/** Label naming the container set (`blue`, `green`, `stable`, `canary`) of a service with several. */
export const SET_LABEL = "envkit.dev/set";

export { FILES_SEED_ROLE, SEED_ROLE, SEED_ROLE_LABEL } from "./seed-labels";

/** Docker CPU shares of a CPU request: 1024 per core, at least 2 (the engine's minimum). */
export function cpuShares(cpuMillis: number): number {
  return Math.max(2, Math.round((cpuMillis * 1024) / 1000));
}
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
  readonly id: string;
  readonly name: string;
  readonly env: EnvironmentModel;
  readonly svc: ServiceModel;
  readonly image: Image;
  readonly volume?: Volume;
  readonly config?: { readonly volume: Volume; readonly files: DockerServiceConfigFiles };
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
  return seedContainer(scope, p, {
    mounts: [
      ...(p.volume ? [{ type: "volume", source: p.volume.name, target: SECRETS_DIR }] : []),
      ...(p.config ? [{ type: "volume", source: p.config.volume.name, target: p.config.files.dir }] : []),
    ],
    upload: [
      ...(p.volume ? p.svc.secrets.map((s) => ({ file: `${SECRETS_DIR}/${s.name}`, content: p.secretVariables.get(s.name)!.stringValue, permissions: SECRET_FILE_MODE })) : []),
      ...(p.config ? p.config.files.files.map((f) => ({ file: `${p.config!.files.dir}/${f.path}`, content: f.content, permissions: SECRET_FILE_MODE })) : []),
    ],
  });
}

/**
 * A never-started container of the service's image that writes `upload` into the volumes it
 * mounts (see {@link secretsSeed} for why this is the way into a read-only container).
 */
function seedContainer(scope: Construct, p: Pick<SeedProps, "id" | "name" | "svc" | "image" | "labels">, what: Required<Pick<ContainerConfig, "mounts" | "upload">>): Container {
  const sec = p.svc.security;
  return new Container(scope, p.id, {
    name: p.name,
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
    mounts: what.mounts,
    upload: what.upload,
  });
}

/** Folders that hold a service's config files on Docker, each with its files (path order). */
export function configFolders(svc: Pick<ServiceModel, "files">): { dir: string; files: KeyedFile[] }[] {
  const byDir = new Map<string, KeyedFile[]>();
  for (const f of keyedFiles(svc)) {
    const dir = f.path.slice(0, f.path.lastIndexOf("/")) || "/";
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  return [...byDir.entries()].map(([dir, files]) => ({ dir, files }));
}

/** Eight hex digits of sha256 over a canonical JSON: the part of a surged container's name that changes with what replaces it. */
export function replacementHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 8);
}

/** One container set as lowered: its image, its secrets seed (if any) and its containers. */
export interface DockerContainerSet {
  readonly set: ContainerSet;
  /** The `docker_image` pinned to the set's release. */
  readonly image: Image;
  readonly secretsSeed?: Container;
  /** The seed of the set's config-file volumes (none without files). */
  readonly filesSeed?: Container;
  /** The set's init steps, in order (docker-init-steps.ts; none without `init`). */
  readonly initSteps: Container[];
  readonly containers: Container[];
}

/**
 * One service on a Docker host: its volumes and, per container set of its delivery strategy
 * (docker-routing.ts: the service; a blue-green slot; stable and canary), a pinned image and
 * hardened containers sharing the set's network alias. The provider resources are public escape
 * hatches: `image`, `volumes`, `containers`, `sets` (use `addOverride` on them for anything
 * envkit lacks).
 */
export class DockerService extends Construct {
  /** The `docker_image` of the first set (the service's own release unless it is blue-green). */
  public readonly image: Image;
  /** One `docker_volume` per declared volume (stateful services), then each set's secrets volume. */
  public readonly volumes: Volume[] = [];
  /** The `docker_container` of each replica of every set, in order. */
  public readonly containers: Container[] = [];
  /**
   * The never-started container that writes the first set's secret files into its secrets volume
   * (uploaded secrets only; undefined with `docker.secretsHostDir` or without secrets).
   */
  public readonly secretsSeed?: Container;
  /** Each container set, lowered. */
  public readonly sets: DockerContainerSet[] = [];
  /** The scheduled backup container, where the service has a backup. */
  public readonly backup?: DockerBackup;
  /** The never-started container that writes the first set's config files into their volumes (none without files). */
  public readonly filesSeed?: Container;
  /** Every set's init-step containers, in order (docker-init-steps.ts). */
  public readonly initSteps: Container[] = [];

  constructor(scope: Construct, id: string, props: DockerServiceProps) {
    super(scope, id);
    const { environment: env, service: svc } = props;
    // Volumes carry no version label: a release bump must never replace a volume.
    const componentLabelList = labelList(componentLabels(env, svc));
    // A renamed service keeps its volumes' names and labels (both ForceNew): the move keeps the data.
    const dataOwner: ServiceModel = { ...svc, name: dataName(svc) };
    const volumeLabelList = labelList(componentLabels(env, dataOwner));

    const dataMounts: NonNullable<ContainerConfig["mounts"]> = [];
    const dataMountNames: { source: string; target: string }[] = [];
    const dataVolumes = new Map<string, Volume>();
    for (const vol of svc.volumes) {
      const name = scopedName(env.app, env.name, dataOwner.name, vol.name);
      const v = new Volume(this, `volume-${vol.name}`, {
        name,
        labels: volumeLabelList,
        lifecycle: env.preventDestroyVolumes ? { preventDestroy: true } : undefined,
      });
      this.volumes.push(v);
      dataVolumes.set(vol.name, v);
      dataMounts.push({ type: "volume", source: v.name, target: vol.path });
      dataMountNames.push({ source: name, target: vol.path });
    }

    const sec = svc.security;
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
    const tmpfs = sec.readOnlyRootFilesystem ? Object.fromEntries(svc.writablePaths.map((p) => [p, tmpfsOptions(sec.uid, sec.gid, writableSizeBytes)])) : undefined;
    // A cron job's container is envkit's scheduler running its command (shared/scheduler.ts):
    // the scheduler's entrypoint, the command in ENVKIT_CRON_JOB, a health check that is unhealthy
    // while the last run failed, a tmpfs /tmp for its status file, always restarted (a loop that
    // stopped with the daemon must come back with it: it exits 0 on SIGTERM, which on-failure
    // would not restart). Everything else is the service's own container.
    const cron = svc.kind === "cronjob" ? cronJobContainer(svc) : undefined;
    const cronTmpfs = cron ? { ...(tmpfs ?? {}), [SCHEDULER_TMP]: tmpfs?.[SCHEDULER_TMP] ?? tmpfsOptions(sec.uid, sec.gid, writableSizeBytes) } : undefined;

    // Behind the proxy, the proxy publishes the ports (docker-proxy.ts); otherwise the container itself.
    const routing = proxyRouting(svc);
    const ports = svc.public && !routing
      ? svc.ports.map((p) => ({ internal: p.port, external: p.hostPort, ip: dockerOptions(env).publishAddress, protocol: p.protocol }))
      : undefined;

    const job = svc.kind === "job";
    let backupSecretMounts: ContainerMounts[] | undefined;
    for (const set of containerSets(svc)) {
      // Each set is named for what it is (`-blue`, `-canary`); a service with one set keeps its names.
      const tag = set.name ? `${set.name}-` : "";
      const setName = set.name ? [svc.name, set.name] : [svc.name];
      const release: ServiceModel = { ...svc, image: set.release.image, version: set.release.version };
      // The user's labels and annotations (a container has only labels) under envkit's own.
      const containerLabels = labelList({ ...(svc.annotations ?? {}), ...workloadLabels(env, release) });
      // Pulled from a registry, never built in the deploy path; kept locally so a rollback works offline.
      const image = new Image(this, `${tag}image`, { name: formatImageRef(set.release.image), keepLocally: true });
      const surge = set.replace === "surge";

      const mounts: NonNullable<ContainerConfig["mounts"]> = [...dataMounts];
      const mountNames = [...dataMountNames];
      let seed: Container | undefined;
      let secretsVolume: Volume | undefined;
      if (svc.secrets.length > 0) {
        const hostDir = dockerOptions(env).secretsHostDir;
        if (hostDir) {
          // Operator-provided files: the value never enters Terraform state.
          for (const s of svc.secrets) {
            mounts.push({ type: "bind", source: `${hostDir}/${s.name}`, target: `${SECRETS_DIR}/${s.name}`, readOnly: true });
            mountNames.push({ source: `${hostDir}/${s.name}`, target: `${SECRETS_DIR}/${s.name}` });
          }
        } else {
          // The provider extracts every `upload` at `/` (kreuzwerker/docker 3.6.2
          // resource_docker_container_funcs.go:526-531) and the engine refuses any extraction at `/`
          // of a read-only container, whatever is mounted below (moby v20.10.24 daemon/archive.go:
          // 356-363). So the files go into a volume through a seed container that is created, never
          // started, and the app mounts the volume read-only. See secretsSeed. One per set: a slot's
          // release (the seed's image) must not replace the other slot's containers.
          const volumeName = scopedName(env.app, env.name, dataOwner.name, ...setName.slice(1), "secrets");
          secretsVolume = new Volume(this, `${tag}secrets-volume`, { name: volumeName, labels: volumeLabelList });
          this.volumes.push(secretsVolume);
          mounts.push({ type: "volume", source: secretsVolume.name, target: SECRETS_DIR, readOnly: true });
          mountNames.push({ source: volumeName, target: SECRETS_DIR });
        }
      }
      // Generated configuration takes the secrets' way in: the root is read-only (see secretsSeed).
      let config: SeedProps["config"];
      if (props.config && props.config.files.length > 0) {
        const configName = scopedName(env.app, env.name, dataOwner.name, ...setName.slice(1), "config");
        const cv = new Volume(this, `${tag}config-volume`, { name: configName, labels: volumeLabelList });
        this.volumes.push(cv);
        config = { volume: cv, files: props.config };
        mounts.push({ type: "volume", source: cv.name, target: props.config.dir, readOnly: true });
        mountNames.push({ source: configName, target: props.config.dir });
      }
      if (secretsVolume || config) {
        // A surged set's containers are create_before_destroy, which Terraform extends to what
        // they depend on: the seed too, so its name must change whenever it is replaced. Its
        // replacement causes known at synth are the image, the secrets' revisions and the
        // generated files; a new value without a new revision is refused by the engine ("name
        // already in use").
        const seedName = scopedName(env.app, env.name, ...setName, "secrets-seed");
        seed = secretsSeed(this, {
          id: `${tag}secrets-seed`,
          name: surge ? `${seedName}-${replacementHash({ image: formatImageRef(set.release.image), secrets: svc.secrets, ...(config ? { config: props.config } : {}) })}` : seedName,
          env,
          svc,
          image,
          volume: secretsVolume,
          config,
          labels: [...componentLabelList, { label: SEED_ROLE_LABEL, value: SEED_ROLE }].sort((a, b) => a.label.localeCompare(b.label)),
          secretVariables: props.secrets,
        });
      }
      for (const hostPath of props.readOnlyHostPaths ?? []) {
        mounts.push({ type: "bind", source: hostPath, target: hostPath, readOnly: true });
        mountNames.push({ source: hostPath, target: hostPath });
      }
      if (!this.secretsSeed && seed) (this as { secretsSeed?: Container }).secretsSeed = seed;
      // The backup job reads the first set's secret files (every set mounts the same values).
      backupSecretMounts ??= (mounts as ContainerMounts[]).filter((m) => m.target.startsWith(SECRETS_DIR));

      // Config files: the provider cannot upload into a read-only container (see secretsSeed), and
      // API 1.41 has no volume subpath, so each folder holding config files is a volume named by
      // the files' content hash, written by a never-started seed and mounted read-only. A change is
      // new volumes and a new seed, and the containers are replaced with it (replace_triggered_by);
      // a revert makes the old content again. The folder shows only the declared files. One per
      // set, like the secrets seed (its image is the set's release).
      const folders = configFolders(svc);
      let filesSeed: Container | undefined;
      if (folders.length > 0) {
        const hash = configFilesHash(svc);
        const folderVolumes = folders.map((_f, i) => {
          const v = new Volume(this, `${tag}files-volume-${i}`, { name: scopedName(env.app, env.name, ...setName, "files", hash, String(i)), labels: componentLabelList });
          this.volumes.push(v);
          return v;
        });
        const seedName = scopedName(env.app, env.name, ...setName, "files-seed");
        filesSeed = seedContainer(
          this,
          {
            id: `${tag}files-seed`,
            // As the secrets seed: a surged set's seed is create_before_destroy too, so its name changes with it.
            name: surge ? `${seedName}-${replacementHash({ image: formatImageRef(set.release.image), files: hash })}` : seedName,
            svc,
            image,
            labels: [...componentLabelList, { label: SEED_ROLE_LABEL, value: FILES_SEED_ROLE }].sort((a, b) => a.label.localeCompare(b.label)),
          },
          {
            mounts: folders.map((f, i) => ({ type: "volume", source: folderVolumes[i].name, target: f.dir })),
            upload: folders.flatMap((f) => f.files.map((x) => ({ file: x.path, content: x.content, permissions: `0${CONFIG_FILE_MODE.toString(8)}` }))),
          },
        );
        folders.forEach((f, i) => {
          mounts.push({ type: "volume", source: folderVolumes[i].name, target: f.dir, readOnly: true });
          mountNames.push({ source: scopedName(env.app, env.name, ...setName, "files", hash, String(i)), target: f.dir });
        });
      }
      if (!this.filesSeed && filesSeed) (this as { filesSeed?: Container }).filesSeed = filesSeed;
      const seeds = [seed, filesSeed].filter((x): x is Container => x !== undefined);

      // A set behind the proxy answers to `<svc>-<set>`; the proxy answers to the service's name.
      const networks = props.networks.map((n) => ({ name: n.name, aliases: routing === "alias" ? n.aliases.map(() => setHost(svc, set)) : [...n.aliases] }));
      // What forces a container's replacement, as plain values (ForceNew attributes of
      // resource_docker_container.go and the replace_triggered_by causes known at synth): a
      // surged set's containers are named by its hash, so the successor can exist next to them;
      // the set's init steps carry it as a label, so they are replaced with the containers.
      const replacedWith = replacementHash({
            image: formatImageRef(set.release.image), entrypoint: svc.command ?? null, command: svc.args ?? null, env: envList, user: engineUser(sec),
            readOnly: sec.readOnlyRootFilesystem, caps: [sec.dropCapabilities, sec.addCapabilities], securityOpts, privileged: sec.privileged,
            labels: containerLabels, log: logRotation(svc), stop: svc.terminationGraceSeconds ?? STOP_GRACE_SECONDS, stopSignal: svc.stopSignal ?? null, sysctls: svc.sysctls ?? {}, files: configFilesHash(svc), mounts: mountNames, networks: props.networks.map((n) => [n.plainName ?? n.name, n.aliases]), ports: ports ?? null,
            secrets: svc.secrets, subnet: env.subnet?.text ?? null,
          });
      const identity = surge ? replacedWith : undefined;
      // What the set's containers and its init steps share: the hardening, the resources, the
      // environment, the logs and the mounts (a step sees what the service will see).
      const shared = {
        env: envList,
        user: engineUser(sec),
        readOnly: sec.readOnlyRootFilesystem,
        // An empty tmpfs per writable path, owned by the service user: see tmpfsOptions.
        // kreuzwerker/docker 3.6.2 never applies a `tmpfs` change to an existing container
        // (not ForceNew, ignored by Update): it is planned in place and drifts until replaced.
        tmpfs,
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
        // The request as a relative weight (1024 per core, at least the engine's minimum 2);
        // applied in place by Update. No memory reservation: 3.6.2 has no memory_reservation.
        cpuShares: dockerOptions(env).cpuSharesFromRequests ? cpuShares(svc.resources.cpuMillis) : undefined,
        sysctls: Object.keys(svc.sysctls ?? {}).length ? { ...svc.sysctls } : undefined,
        logDriver: "json-file",
        logOpts: logRotation(svc),
        // With the monitoring set, cAdvisor (no Docker socket) tells services apart by this.
        cgroupParent: env.monitoring.stack ? cgroupParent(env, svc) : undefined,
        mounts: mounts.length ? mounts : undefined,
      } satisfies Partial<ContainerConfig>;
      // Once per set, before any of its replicas is created (none for a set with no replicas). A
      // step joins the networks the service reaches others on (where it has no alias), never
      // one where it is addressed: nothing may resolve the service's name to a step.
      // A cron job's container is a long-running scheduler: steps would run once, not before each
      // run (the Docker adapter refuses the combination; this guards a model that bypassed it).
      if (cron && svc.init.length > 0) throw new Error(`services.${svc.name}.init: a cron job on Docker is one scheduler container, so its init steps would run once, not before each run; put the step in the job's command`);
      const initSteps = set.replicas >= 1
        ? initStepContainers(this, {
            env, svc: release, setName, tag, image, shared, labels: containerLabels, hash: replacedWith, surge, seeds,
            networks: props.networks.filter((n) => n.aliases.length === 0).map((n) => n.name),
          })
        : [];
      this.initSteps.push(...initSteps);
      const before = [...seeds, ...initSteps];
      const lowered: DockerContainerSet = { set, image, secretsSeed: seed, filesSeed, initSteps, containers: [] };
      for (let i = 1; i <= Math.max(set.replicas, 0); i++) {
        const container = new Container(this, `${tag}container-${i}`, {
          name: scopedName(env.app, env.name, ...setName, ...(identity ? [identity] : []), String(i)),
          image: image.imageId,
          entrypoint: cron ? cron.entrypoint : svc.command ? [...svc.command] : undefined,
          command: !cron && svc.args ? [...svc.args] : undefined,
          ...shared,
          // A cron job's scheduler gets the job in its variable and a writable /tmp for its status.
          env: cron ? [...envList, cron.env] : envList,
          tmpfs: cronTmpfs ?? tmpfs,
          stopSignal: svc.stopSignal,
          healthcheck: cron ? { test: cron.healthTest, ...SCHEDULER_HEALTH } : healthcheck,
          // A surged set's successor must be healthy before its predecessor is destroyed: apply
          // waits for it (funcs:542-580) and create_before_destroy orders the destroy after.
          wait,
          waitTimeout,
          // A job's container runs once: a restart would run it again behind apply's back.
          restart: job ? "no" : cron ? "unless-stopped" : svc.restart.policy,
          maxRetryCount: !job && !cron && svc.restart.policy === "on-failure" ? svc.restart.maxRetries : undefined,
          labels: [...containerLabels, { label: "envkit.dev/replica", value: String(i) }, ...(set.name ? [{ label: SET_LABEL, value: set.name }] : [])],
          networksAdvanced: networks.map((n) => ({ name: n.name, aliases: n.aliases.length ? [...n.aliases] : undefined })),
          ports,
          // Without destroy_grace_seconds the provider stops with a 0 s timeout, i.e. SIGKILL right
          // after the stop signal, on every destroy and replacement (funcs:929-956): an unclean
          // shutdown of every database on every release. It is read from state at delete (not ForceNew);
          // stop_timeout is the engine's own default for `docker stop` and daemon shutdown
          // (Config.StopTimeout, funcs:58-72; ForceNew, ctr:302-308).
          destroyGraceSeconds: svc.terminationGraceSeconds ?? STOP_GRACE_SECONDS,
          stopTimeout: svc.terminationGraceSeconds ?? STOP_GRACE_SECONDS,
          // must_run = true would make every refresh (any `terraform plan`, envkit review
          // included) delete a stopped container and drop it from state (funcs:634-688,
          // 845-854), taking its logs with it. A container that stopped after its restart
          // policy gave up stays visible for `docker logs`; the next apply does not restart it.
          mustRun: false,
          // A job: apply attaches and waits until the container stopped (ContainerWait "not-running",
          // kreuzwerker/docker 3.6.2 resource_docker_container_funcs.go:583-630), then reads its
          // exit code (funcs:690-692; `exit_code` is computed, resource_docker_container.go:117-121).
          // Attach does not fail on a non-zero exit, so a postcondition does: the apply fails and
          // the services that `runBefore` names (which depend on this container) are not created.
          // Never `logs`: they would be kept in state. A new release replaces it: it runs again.
          attach: job ? true : undefined,
          // After the seed has written the files and the init steps ran; replaced with them, so a
          // new value is read and the steps run again.
          dependsOn: before.length ? before : undefined,
          lifecycle:
            before.length || surge || job
              ? {
                  ...(before.length ? { replaceTriggeredBy: before.map((x) => `${x.terraformResourceType}.${x.friendlyUniqueId}.id`) } : {}),
                  ...(surge ? { createBeforeDestroy: true } : {}),
                  ...(job ? { postcondition: [{ condition: "${self.exit_code == 0}", errorMessage: `job "${svc.name}" exited with a non-zero code; read its output with docker logs ${scopedName(env.app, env.name, ...setName, String(i))}, fix it and apply again (terraform apply -replace re-runs it)` }] } : {}),
                }
              : undefined,
        });
        lowered.containers.push(container);
        this.containers.push(container);
      }
      this.sets.push(lowered);
    }
    this.image = this.sets[0].image;
    if (svc.backup) {
      this.backup = new DockerBackup(this, "backup", {
        environment: env,
        service: svc,
        image: this.image,
        dataVolumes,
        secretMounts: backupSecretMounts ?? [],
        dependsOn: this.secretsSeed ? [this.secretsSeed] : undefined,
        network: props.backupNetwork,
        tmpfs: tmpfsOptions(sec.uid, sec.gid, writableSizeBytes),
        cpuPeriodMicros: CPU_PERIOD_MICROS,
      });
    }
    // After every resource exists: each gets a `moved` block from its address under the old name.
    moveFromPreviousName(this, svc);
  }
}
