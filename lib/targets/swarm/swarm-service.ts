import { Config } from "@cdktf/provider-docker/lib/config";
import { Secret } from "@cdktf/provider-docker/lib/secret";
import { Service, ServiceTaskSpecContainerSpecMounts, ServiceTaskSpecContainerSpecSecrets, ServiceUpdateConfig } from "@cdktf/provider-docker/lib/service";
import { Construct } from "constructs";
import { formatDuration } from "../../model/duration";
import { EnvironmentModel, ServiceModel, filesHash } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { scopedName } from "../../model/names";
import { EngineServiceProps, STOP_GRACE_SECONDS, engineHealthcheck, engineUser, envAssignments, labelList, logRotation } from "../shared/container-spec";
import { surgeCount } from "../shared/capacity";
import { CONFIG_FILE_MODE, keyedFiles } from "../shared/config-files";
import { componentLabels } from "../shared/labels";
import { SCHEDULER_HEALTH, SCHEDULER_TMP, cronJobContainer } from "../shared/scheduler";
import { ReleaseSet, releaseSets, routedBySets, setHost } from "../shared/proxy-sets";
import { fromTerraformLiteral } from "../shared/terraform-literal";
import { dataName, moveFromPreviousName } from "../shared/renames";
import { pinLabel, swarmOptions } from "./options";

/** A network a service's tasks join: the network's id (what Swarm stores) and the DNS aliases there. */
export interface SwarmServiceNetwork {
  /** The `docker_network`'s `id` attribute (Swarm stores ids, so a name would differ on every refresh and replace the service). */
  readonly id: string;
  readonly aliases: readonly string[];
}

/** Props of {@link SwarmService}: `secrets` maps each secret name to its `docker_secret`. */
export type SwarmServiceProps = EngineServiceProps<SwarmServiceNetwork, Secret>;

/** Label naming the release set (`blue`, `green`, `stable`, `canary`) of a service with several. */
export const SET_LABEL = "envkit.dev/set";

/** Mode of each secret file: read by the service user only (the file is owned by its uid/gid). */
export const SECRET_FILE_MODE = 0o400;
/** Seconds between updating one task and the next. */
export const UPDATE_DELAY_SECONDS = 10;
/** Seconds Swarm watches each updated task for failure after it became healthy (the seeds' 30s). */
export const UPDATE_MONITOR_SECONDS = 30;
/** Seconds between restarts of a failed task. */
export const RESTART_DELAY_SECONDS = 5;
/** Seconds a restarted task must run to count as recovered (restart attempts are counted per window). */
export const RESTART_WINDOW_SECONDS = 120;

/** Swarm's restart condition for the model's policy (Docker's names → Swarm's). */
function restartCondition(policy: string): "none" | "on-failure" | "any" {
  if (policy === "no") return "none";
  return policy === "on-failure" ? "on-failure" : "any";
}

/**
 * Whether a new task may start before the old one stops. Not for stateful services (two
 * postgres processes on one data directory corrupt it), and not where a public port is bound on
 * the node itself (`publishMode: host`): the new task could not bind the port the old one holds.
 * The routing mesh (`ingress`) has no such clash.
 */
export function updateOrder(env: EnvironmentModel, svc: ServiceModel): "start-first" | "stop-first" {
  // A singleton must never run twice, not even for the seconds of an update.
  if (svc.kind === "stateful" || svc.singleton) return "stop-first";
  if (svc.public && svc.ports.length > 0 && swarmOptions(env).publishMode === "host") return "stop-first";
  return "start-first";
}

/** Placement constraints of a service: the environment's, plus the pin of a stateful service to the node holding its volumes. */
export function placementConstraints(env: EnvironmentModel, svc: ServiceModel): string[] {
  const o = swarmOptions(env);
  const out = [...o.constraints];
  if (svc.kind === "stateful" && !o.unpinned.includes(svc.name)) {
    const host = o.nodes[svc.name];
    // The label names the data (the old name after a rename): the node that holds the volume keeps it.
    out.push(host ? `node.hostname == ${host}` : `node.labels.${pinLabel(env, dataName(svc))} == true`);
  }
  return out;
}

/** A service's secret files in its task (its backup's too): /run/secrets/<name>, owned by its uid/gid, mode 0400. */
export function swarmSecretMounts(svc: ServiceModel, secrets: ReadonlyMap<string, Secret>): ServiceTaskSpecContainerSpecSecrets[] | undefined {
  if (svc.secrets.length === 0) return undefined;
  return svc.secrets.map((s) => {
    const secret = secrets.get(s.name)!;
    // Relative: the engine puts the file at /run/secrets/<name>, where <NAME>_FILE points.
    return { secretId: secret.id, secretName: secret.name, fileName: s.name, fileUid: String(svc.security.uid), fileGid: String(svc.security.gid), fileMode: SECRET_FILE_MODE };
  });
}

/**
 * How Swarm updates a service's tasks under its strategy: recreate stops every task first and
 * starts the new ones together (parallelism 0 = all); the others replace as many tasks at once as
 * `maxSurge` allows (at least one), new task first where the service can run two (updateOrder),
 * each behind its health check, rolled back on failure (swarm.failureAction).
 */
export function updatePolicy(env: EnvironmentModel, svc: ServiceModel, replicas: number): { parallelism: number; order: "start-first" | "stop-first" } {
  const r = svc.rollout;
  if (r.strategy === "recreate") return { parallelism: 0, order: "stop-first" };
  return { parallelism: Math.max(1, surgeCount(r.maxSurge, replicas)), order: updateOrder(env, svc) };
}

/**
 * One service on a Swarm: per release set of its strategy (shared/proxy-sets.ts: the service; a
 * blue-green slot `<svc>-blue`/`<svc>-green`; `<svc>-stable`/`<svc>-canary`) a replicated
 * `docker_service` whose task runs the hardened container, updated behind its health check and
 * rolled back by Swarm when a task fails. The sets of a blue-green or canary service publish
 * nothing and answer to `<svc>-<set>`: the envkit proxy service (swarm-proxy.ts) takes the
 * service's name and its published ports. The provider resources are public escape hatches
 * (`service`: the first set's; `services`).
 */
export class SwarmService extends Construct {
  /** The first set's `docker_service` (the service's own unless it is blue-green). */
  public readonly service: Service;
  /** One `docker_config` per config file, in path order. */
  public readonly configs: Config[];
  /** Every set's `docker_service`, in order. */
  public readonly services: Service[] = [];

  constructor(scope: Construct, id: string, props: SwarmServiceProps) {
    super(scope, id);
    // Config files: one docker_config per file, named by its content hash (Swarm configs are
    // immutable; a change is a new config and a rolling update, a revert names the old one),
    // shared by every release set of the service.
    this.configs = keyedFiles(props.service).map(
      (f) =>
        new Config(this, `config-${f.key}`, {
          name: scopedName(props.environment.app, props.environment.name, props.service.name, f.key, filesHash([f])),
          // The provider wants base64; the model's text is escaped for Terraform, encoded here as written.
          data: Buffer.from(fromTerraformLiteral(f.content), "utf8").toString("base64"),
          // The service moves to the new config before the old one is removed (Swarm refuses to remove one in use).
          lifecycle: { createBeforeDestroy: true },
        }),
    );
    for (const set of releaseSets(props.service)) this.services.push(this.lower(set, props));
    this.service = this.services[0];
    // A `moved` block from the service's address under its old name.
    moveFromPreviousName(this, props.service);
  }

  private lower(set: ReleaseSet, props: SwarmServiceProps): Service {
    const { environment: env, service: svc } = props;
    const o = swarmOptions(env);
    const sec = svc.security;
    const routed = routedBySets(svc);
    // No version label anywhere on a docker_service: `labels` and `container_spec.labels` are sets
    // whose `label`/`value` are ForceNew in kreuzwerker/docker 3.6.2 (helpers.go labelSchema), so a
    // release bump would replace the service (all tasks stopped at once) instead of rolling it.
    // The image reference carries the version.
    const labels = labelList({ ...(svc.labels ?? {}), ...componentLabels(env, svc), ...(set.name ? { [SET_LABEL]: set.name } : {}) });
    // Annotations have no place on a Swarm service of their own: they are container labels.
    const containerLabels = labelList({ ...(svc.annotations ?? {}), ...(svc.labels ?? {}), ...componentLabels(env, svc), ...(set.name ? { [SET_LABEL]: set.name } : {}) });

    const mounts: ServiceTaskSpecContainerSpecMounts[] = svc.volumes.map((v) => ({ type: "volume", source: scopedName(env.app, env.name, dataName(svc), v.name), target: v.path }));
    // An empty tmpfs per writable path. No tmpfs_options: 3.6.2 reads size_bytes as int64 from an
    // int and panics whenever the block is present (resource_docker_service_structures.go:840-842,
    // kreuzwerker#563); the tmpfs' pages are charged to the task's memory limit instead.
    if (sec.readOnlyRootFilesystem) for (const p of svc.writablePaths) mounts.push({ type: "tmpfs", target: p });
    // A cron job's task is envkit's scheduler running its command, as on Docker (shared/scheduler.ts):
    // its entrypoint, ENVKIT_CRON_JOB, the health check on the last run, a tmpfs for its status file.
    const cron = svc.kind === "cronjob" ? cronJobContainer(svc) : undefined;
    if (cron && !mounts.some((m) => m.target === SCHEDULER_TMP)) mounts.push({ type: "tmpfs", target: SCHEDULER_TMP });

    const configFiles = keyedFiles(svc);

    const health = cron ? { test: cron.healthTest, ...SCHEDULER_HEALTH } : engineHealthcheck(svc);
    const stateless = svc.kind === "stateless";
    const policy = updatePolicy(env, svc, set.replicas);
    const update: ServiceUpdateConfig = {
      parallelism: policy.parallelism,
      delay: formatDuration(UPDATE_DELAY_SECONDS),
      failureAction: o.failureAction,
      monitor: formatDuration(UPDATE_MONITOR_SECONDS),
      // Any failed task: a release that fails on one replica is a broken release.
      maxFailureRatio: "0",
      order: policy.order,
    };

    return new Service(this, set.name ? `${set.name}-service` : "service", {
      name: scopedName(env.app, env.name, ...(set.name ? [svc.name, set.name] : [svc.name])),
      labels,
      mode: { replicated: { replicas: Math.max(0, set.replicas) } },
      taskSpec: {
        containerSpec: {
          image: formatImageRef(set.release.image),
          // Swarm's `command` is the entrypoint, `args` the image's CMD.
          command: cron ? cron.entrypoint : svc.command ? [...svc.command] : undefined,
          args: !cron && svc.args ? [...svc.args] : undefined,
          env: Object.fromEntries([...envAssignments(env, svc), ...(cron ? [cron.env] : [])].map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)])),
          user: engineUser(sec),
          readOnly: sec.readOnlyRootFilesystem,
          capDrop: [...sec.dropCapabilities],
          capAdd: sec.addCapabilities.length ? [...sec.addCapabilities] : undefined,
          // Swarm (Engine API 1.41, provider 3.6.2) has no per-service no-new-privileges or seccomp
          // setting: tasks get the engine's default seccomp profile, and no-new-privileges only from
          // the daemon-wide `"no-new-privileges": true` (daemon.json) of every node. The guardrail
          // view says so (allowPrivilegeEscalation), rather than pretending.
          labels: containerLabels,
          // Absent: the image's STOPSIGNAL (e.g. SIGQUIT for nginx), else SIGTERM.
          stopSignal: svc.stopSignal,
          stopGracePeriod: formatDuration(svc.terminationGraceSeconds ?? STOP_GRACE_SECONDS),
          sysctl: Object.keys(svc.sysctls ?? {}).length ? { ...svc.sysctls } : undefined,
          configs: configFiles.length
            ? configFiles.map((f, i) => ({ configId: this.configs[i].id, configName: this.configs[i].name, fileName: f.path, fileUid: "0", fileGid: "0", fileMode: CONFIG_FILE_MODE }))
            : undefined,
          healthcheck: health,
          mounts: mounts.length ? mounts : undefined,
          secrets: swarmSecretMounts(svc, props.secrets),
        },
        resources: {
          limits: { nanoCpus: svc.resources.cpuLimitMillis * 1_000_000, memoryBytes: svc.resources.memoryLimitBytes },
          reservation: { nanoCpus: svc.resources.cpuMillis * 1_000_000, memoryBytes: svc.resources.memoryBytes },
        },
        // The scheduler loop always runs: restarted whatever its exit (it exits 0 when stopped).
        restartPolicy: {
          condition: cron ? "any" : restartCondition(svc.restart.policy),
          delay: formatDuration(RESTART_DELAY_SECONDS),
          maxAttempts: !cron && svc.restart.policy === "on-failure" ? svc.restart.maxRetries : 0,
          window: formatDuration(RESTART_WINDOW_SECONDS),
        },
        placement: {
          constraints: placementConstraints(env, svc).length ? placementConstraints(env, svc) : undefined,
          prefs: stateless && o.spread ? [o.spread] : undefined,
          maxReplicas: stateless ? o.maxReplicasPerNode : undefined,
        },
        logDriver: { name: "json-file", options: logRotation(svc) },
        // A set behind the proxy answers to `<svc>-<set>` where the service answers to its name.
        networksAdvanced: props.networks.map((n) => ({ name: n.id, aliases: n.aliases.length ? (routed ? [setHost(svc, set)] : [...n.aliases]) : undefined })),
      },
      updateConfig: update,
      // A failed rollback pauses for a human rather than flapping between releases.
      rollbackConfig: { ...update, delay: "0s", failureAction: "pause" },
      // Only with converge_config does apply wait: until every task runs (create) or the update
      // completed (update); a Swarm rollback is then an apply error (resource_docker_service_funcs.go:192-214).
      convergeConfig: o.converge ? { delay: "7s", timeout: formatDuration(svc.rollout.timeoutSeconds) } : undefined,
      endpointSpec: {
        mode: "vip",
        ports: svc.public && svc.ports.length && !routed ? svc.ports.map((p) => ({ name: p.name, protocol: p.protocol, targetPort: p.port, publishedPort: p.hostPort, publishMode: o.publishMode })) : undefined,
      },
    });
  }
}
