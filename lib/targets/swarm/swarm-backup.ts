import { Secret } from "@cdktf/provider-docker/lib/secret";
import { Service, ServiceTaskSpecContainerSpecMounts } from "@cdktf/provider-docker/lib/service";
import { Construct } from "constructs";
import { formatDuration } from "../../model/duration";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { scopedName } from "../../model/names";
import { ARCHIVE_SOURCE_DIR, BACKUP_DIR, BACKUP_JOB_ENV, backupJobScript, backupVolumeHome } from "../shared/backup-job";
import { STOP_GRACE_SECONDS, engineUser, envAssignments, labelList, logRotation } from "../shared/container-spec";
import { componentLabels } from "../shared/labels";
import { backupJobName } from "../shared/network-plan";
import { dataName } from "../shared/renames";
import { BACKUP_SCHEDULE, SCHEDULER_HEALTH, SCHEDULER_TMP, schedulerEntrypoint, schedulerHealthTest } from "../shared/scheduler";
import { terraformLiteral } from "../shared/terraform-literal";
import { swarmOptions } from "./options";
import { RESTART_DELAY_SECONDS, RESTART_WINDOW_SECONDS, UPDATE_DELAY_SECONDS, UPDATE_MONITOR_SECONDS, placementConstraints, swarmSecretMounts } from "./swarm-service";

/** Props of {@link SwarmBackup}. */
export interface SwarmBackupProps {
  readonly environment: EnvironmentModel;
  /** The backed-up service (its `backup` is set). */
  readonly service: ServiceModel;
  /** The `id` of the backup job's own internal overlay network (`<service>-backup`), shared with the database for a dump. */
  readonly networkId: string;
  /** Secret name → its `docker_secret` (the job reads the service's secret files). */
  readonly secrets: ReadonlyMap<string, Secret>;
}

/**
 * A service's scheduled backup on a Swarm: a replicated `docker_service` `<service>-backup` of one
 * task, from the service's own image, whose entrypoint is envkit's scheduler (shared/scheduler.ts)
 * running the job in `ENVKIT_BACKUP_JOB`, as on one Docker host (DockerBackup). It is placed by the
 * database's own constraints, so it runs on the node that holds the data (Swarm volumes are local
 * to a node): an archive mounts the data volume read-only at /source there, and the backups stay
 * on that node. A dump reaches the database over an internal overlay network joined by the two of
 * them; an archive joins a network of its own (a task without one would join the node's default
 * bridge). The destination is a named volume `<app>-<env>-<service>-backups` that the engine of that
 * node creates on first use and that Terraform never manages (removing the service or the stack
 * keeps it), mounted on the service's data folder so it takes the folder's owner; or a host folder
 * of that node at /backups. Hardened as the service: its user, read-only root with a tmpfs /tmp,
 * every capability dropped; updated stop-first (never two schedulers). One run now:
 * `docker exec $(docker ps -q -f name=<app>-<env>-<service>-backup) sh -c 'eval "$ENVKIT_BACKUP_JOB"'` on that node.
 */
export class SwarmBackup extends Construct {
  public readonly service: Service;
  /** Where the destination is mounted in the task (see DockerBackup.directory). */
  public readonly directory: string;

  constructor(scope: Construct, id: string, props: SwarmBackupProps) {
    super(scope, id);
    const { environment: env, service: svc } = props;
    const b = svc.backup;
    if (!b) throw new Error(`services.${svc.name}.backup: no backup to lower`);
    const o = swarmOptions(env);
    const job: ServiceModel = { ...svc, name: backupJobName(svc.name) };
    const sec = svc.security;
    const mounts: ServiceTaskSpecContainerSpecMounts[] = [{ type: "tmpfs", target: SCHEDULER_TMP }];
    if (b.to.kind === "volume") {
      this.directory = backupVolumeHome(svc).path;
      mounts.push({ type: "volume", source: scopedName(env.app, env.name, dataName(svc), b.to.name), target: this.directory });
    } else if (b.to.kind === "hostPath") {
      this.directory = BACKUP_DIR;
      mounts.push({ type: "bind", source: b.to.path, target: BACKUP_DIR });
    } else {
      throw new Error(`services.${svc.name}.backup.to: ${b.to.kind} is not available on Swarm; use volume or hostPath`);
    }
    if (b.volume) mounts.push({ type: "volume", source: scopedName(env.app, env.name, dataName(svc), b.volume.name), target: ARCHIVE_SOURCE_DIR, readOnly: true });
    // As every service's (swarm-service.ts), stop-first: two schedulers would run the job twice.
    const update = { parallelism: 1, delay: formatDuration(UPDATE_DELAY_SECONDS), failureAction: o.failureAction, monitor: formatDuration(UPDATE_MONITOR_SECONDS), maxFailureRatio: "0", order: "stop-first" };
    const constraints = placementConstraints(env, svc);
    this.service = new Service(this, "service", {
      name: scopedName(env.app, env.name, job.name),
      labels: labelList(componentLabels(env, job)),
      mode: { replicated: { replicas: 1 } },
      taskSpec: {
        containerSpec: {
          image: formatImageRef(svc.image),
          // Generated shell, escaped for Terraform; Swarm's `command` is the entrypoint.
          command: schedulerEntrypoint(b.schedule, BACKUP_SCHEDULE),
          env: Object.fromEntries([...envAssignments(env, svc), `${BACKUP_JOB_ENV}=${terraformLiteral(backupJobScript(svc, this.directory))}`].map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)])),
          user: engineUser(sec),
          readOnly: true,
          capDrop: ["ALL"],
          labels: labelList(componentLabels(env, job)),
          stopGracePeriod: formatDuration(STOP_GRACE_SECONDS),
          // Unhealthy while the last run failed: Swarm then replaces the task (swarmkit stops an
          // unhealthy container), so a failed run shows in `docker service ps` as a task that ended
          // "unhealthy container"; the new task waits for the next match.
          healthcheck: { test: schedulerHealthTest(BACKUP_SCHEDULE), ...SCHEDULER_HEALTH },
          mounts,
          secrets: swarmSecretMounts(svc, props.secrets),
        },
        resources: {
          limits: { nanoCpus: svc.resources.cpuLimitMillis * 1_000_000, memoryBytes: svc.resources.memoryLimitBytes },
          reservation: { nanoCpus: svc.resources.cpuMillis * 1_000_000, memoryBytes: svc.resources.memoryBytes },
        },
        // The loop always runs; it exits 0 when stopped.
        restartPolicy: { condition: "any", delay: formatDuration(RESTART_DELAY_SECONDS), maxAttempts: 0, window: formatDuration(RESTART_WINDOW_SECONDS) },
        // The database's node: where its volume (an archive's source) is, and where the backups stay.
        placement: { constraints: constraints.length ? constraints : undefined },
        logDriver: { name: "json-file", options: logRotation(svc) },
        networksAdvanced: [{ name: props.networkId }],
      },
      updateConfig: update,
      rollbackConfig: { ...update, delay: "0s", failureAction: "pause" },
      convergeConfig: o.converge ? { delay: "7s", timeout: formatDuration(svc.rollout.timeoutSeconds) } : undefined,
      endpointSpec: { mode: "vip" },
    });
  }
}
