import { Container, ContainerMounts } from "@cdktf/provider-docker/lib/container";
import { Image } from "@cdktf/provider-docker/lib/image";
import { Volume } from "@cdktf/provider-docker/lib/volume";
import { Construct } from "constructs";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { scopedName } from "../../model/names";
import { memoryToDockerMb } from "../../model/quantity";
import { ARCHIVE_SOURCE_DIR, BACKUP_DIR, BACKUP_HEALTH_TEST, BACKUP_JOB_ENV, backupJobScript, backupVolumeHome } from "../shared/backup-job";
import { BACKUP_SCHEDULE, SCHEDULER_HEALTH, schedulerEntrypoint } from "../shared/scheduler";
import { STOP_GRACE_SECONDS, engineUser, envAssignments, labelList, logRotation } from "../shared/container-spec";
import { componentLabels } from "../shared/labels";
import { backupJobName } from "../shared/network-plan";
import { dataName } from "../shared/renames";
import { terraformLiteral } from "../shared/terraform-literal";

/** Props of {@link DockerBackup}. */
export interface DockerBackupProps {
  readonly environment: EnvironmentModel;
  /** The backed-up service (its `backup` is set). */
  readonly service: ServiceModel;
  /** The service's pulled image: it carries the dump client (pg_dump, mysqldump, redis-cli) or tar. */
  readonly image: Image;
  /** The service's data volumes by volume name (archive reads one, read-only). */
  readonly dataVolumes: ReadonlyMap<string, Volume>;
  /** The service's secret mounts (the same files the service reads, read-only). */
  readonly secretMounts: readonly ContainerMounts[];
  /** Created after these (the secrets seed that writes the files it reads). */
  readonly dependsOn?: readonly Container[];
  /** The network shared with the database only (dump methods); none for archive. */
  readonly network?: { readonly name: string };
  /** CFS period the service's containers use (docker-service.ts CPU_PERIOD_MICROS). */
  readonly cpuPeriodMicros: number;
  /** Options of each tmpfs for the service's user (see docker-service.ts tmpfsOptions). */
  readonly tmpfs: string;
}

/**
 * A service's scheduled backup on a Docker host, which has no scheduler: one long-running
 * container from the service's own image whose entrypoint is envkit's POSIX sh scheduler
 * (shared/scheduler.ts: no crond, so nothing has to be written into a read-only container)
 * running the job held in `ENVKIT_BACKUP_JOB` at every match of the schedule (UTC). Hardened
 * like the service: read-only root with a tmpfs /tmp, the service's non-root user, every
 * capability dropped, no-new-privileges, no engine socket. A dump joins only the network it
 * shares with its database; an archive joins none and mounts the data volume read-only. It
 * writes to a protected volume (prevent_destroy, whatever the environment's setting; see
 * {@link DockerBackup.directory}) or a host folder. One run on demand: `docker exec <container> sh -c 'eval "$ENVKIT_BACKUP_JOB"'`.
 */
export class DockerBackup extends Construct {
  public readonly container: Container;
  /** The backup volume for `to: { volume }` (kept on destroy). */
  public readonly volume?: Volume;
  /**
   * Where the destination is mounted in the container. A backup volume goes where the service keeps
   * the data it protects (the archived volume, else the first), with the data itself elsewhere
   * (`/source`, archive only): Docker gives a new volume the owner and mode of the image folder it
   * is first mounted on (the same copy that makes the service's own data volume its user's), so
   * the non-root job can write it without a root helper. A host folder is at /backups.
   */
  public readonly directory: string;

  constructor(scope: Construct, id: string, props: DockerBackupProps) {
    super(scope, id);
    const { environment: env, service: svc } = props;
    const b = svc.backup;
    if (!b) throw new Error(`services.${svc.name}.backup: no backup to lower`);
    const job: ServiceModel = { ...svc, name: backupJobName(svc.name) };
    const labels = labelList(componentLabels(env, job));
    const mounts: ContainerMounts[] = [...props.secretMounts];
    if (b.to.kind === "volume") {
      this.volume = new Volume(this, "volume", {
        name: scopedName(env.app, env.name, dataName(svc), b.to.name),
        labels: labelList(componentLabels(env, { ...job, name: dataName(svc) })),
        lifecycle: { preventDestroy: true },
      });
      this.directory = backupVolumeHome(svc).path;
      mounts.push({ type: "volume", source: this.volume.name, target: this.directory });
    } else if (b.to.kind === "hostPath") {
      this.directory = BACKUP_DIR;
      mounts.push({ type: "bind", source: b.to.path, target: BACKUP_DIR });
    } else {
      throw new Error(`services.${svc.name}.backup.to: ${b.to.kind} is not available on Docker; use volume or hostPath`);
    }
    if (b.volume) {
      const data = props.dataVolumes.get(b.volume.name);
      if (!data) throw new Error(`services.${svc.name}.backup.volume: "${b.volume.name}" is not a volume of "${svc.name}"`);
      mounts.push({ type: "volume", source: data.name, target: ARCHIVE_SOURCE_DIR, readOnly: true });
    }
    const sec = svc.security;
    this.container = new Container(this, "container", {
      name: scopedName(env.app, env.name, job.name),
      image: props.image.imageId,
      // Generated shell, not configuration: escaped so Terraform does not read its ${...} as templates.
      entrypoint: schedulerEntrypoint(b.schedule, BACKUP_SCHEDULE),
      // The service's own settings (user, database, *_FILE paths) plus the job itself.
      env: [...envAssignments(env, svc), `${BACKUP_JOB_ENV}=${terraformLiteral(backupJobScript(svc, this.directory))}`],
      user: engineUser(sec),
      readOnly: true,
      tmpfs: { "/tmp": props.tmpfs },
      capabilities: { drop: ["ALL"] },
      securityOpts: ["no-new-privileges:true"],
      memory: memoryToDockerMb(svc.resources.memoryLimitBytes),
      memorySwap: memoryToDockerMb(svc.resources.memoryLimitBytes),
      // As the service's containers (docker-service.ts: not `cpus`, which panics on 3.6.2).
      cpuPeriod: props.cpuPeriodMicros,
      cpuQuota: svc.resources.cpuLimitMillis * (props.cpuPeriodMicros / 1000),
      // `docker ps` shows the job unhealthy after a failed run, healthy again after the next good one.
      healthcheck: { test: [...BACKUP_HEALTH_TEST], ...SCHEDULER_HEALTH },
      restart: "unless-stopped",
      logDriver: "json-file",
      logOpts: logRotation(svc),
      labels,
      networkMode: props.network ? undefined : "none",
      networksAdvanced: props.network ? [{ name: props.network.name }] : undefined,
      mounts,
      destroyGraceSeconds: STOP_GRACE_SECONDS,
      stopTimeout: STOP_GRACE_SECONDS,
      mustRun: false,
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
  }
}
