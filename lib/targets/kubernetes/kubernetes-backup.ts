import type { CronJobV1, CronJobV1SpecJobTemplateSpecTemplate } from "@cdktf/provider-kubernetes/lib/cron-job-v1";
import { cronJobClass } from "./optional-classes";
import type { DeploymentV1SpecTemplateSpecContainer, DeploymentV1SpecTemplateSpecContainerVolumeMount, DeploymentV1SpecTemplateSpecVolume } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NetworkPolicyV1 } from "@cdktf/provider-kubernetes/lib/network-policy-v1";
import { PersistentVolumeClaimV1 } from "@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1";
import { Construct } from "constructs";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { memoryToKubernetes } from "../../model/quantity";
import { ARCHIVE_SOURCE_DIR, BACKUP_DIR, BACKUP_EXTENSION, BACKUP_JOB_ENV, backupJobScript } from "../shared/backup-job";
import { componentLabels, selectorLabels } from "../shared/labels";
import { dataName } from "../shared/renames";
import { terraformLiteral } from "../shared/terraform-literal";
import { kubernetesOptions } from "./options";
import { podTemplate } from "./pod-template";

/** Props of {@link KubernetesBackup}. */
export interface KubernetesBackupProps {
  readonly environment: EnvironmentModel;
  /** The backed-up service (its `backup` is set). */
  readonly service: ServiceModel;
  readonly namespace: string;
  /** The service's ConfigMap and ServiceAccount: the job reads the same settings as the service. */
  readonly configMapName: string;
  readonly serviceAccountName: string;
}

/** A run that has not started within an hour of its time is skipped: the next one comes tomorrow, not in a pile-up. */
export const STARTING_DEADLINE_SECONDS = 3600;
/** Retries of a failed run (a dump that fails twice more is a problem for a human, not for a loop). */
export const BACKUP_BACKOFF_LIMIT = 2;
/** Finished Jobs kept for `kubectl logs`: three of each, so a failure stays visible after the next success. */
export const BACKUP_HISTORY = 3;

/** The service's model as its backup job's pod: another name (own labels, so no Service or PDB selects it), no ports or probes. */
function jobService(svc: ServiceModel, script: string): ServiceModel {
  return { ...svc, name: `${svc.name}-backup`, ports: [], health: undefined, volumes: [], replicas: 1, autoscaling: undefined, command: ["sh", "-c"], args: [script] };
}

/**
 * A service's scheduled backup on Kubernetes: a CronJob (no concurrent runs, a starting
 * deadline, retries and history limits) whose pod is the service's hardened pod template under
 * its own labels, reading the service's ConfigMap and secrets; a protected claim (prevent_destroy)
 * or an object-store upload; and NetworkPolicies that let the pod reach only its database's port.
 */
export class KubernetesBackup extends Construct {
  public readonly cronJob: CronJobV1;
  /** The claim envkit creates for `to: { volume }` (kept on destroy). */
  public readonly claim?: PersistentVolumeClaimV1;
  public readonly networkPolicies: NetworkPolicyV1[] = [];

  constructor(scope: Construct, id: string, props: KubernetesBackupProps) {
    super(scope, id);
    const { environment: env, service: svc, namespace } = props;
    const b = svc.backup;
    if (!b) throw new Error(`services.${svc.name}.backup: no backup to lower`);
    // The job dials the database through its ClusterIP Service, which listens on servicePort.
    const script = backupJobScript(svc, BACKUP_DIR, "servicePort");
    const job = jobService(svc, `eval "$${BACKUP_JOB_ENV}"`);
    const labels = componentLabels(env, job);
    const meta = (name: string): { name: string; namespace: string; labels: Record<string, string> } => ({ name, namespace, labels });

    const volumes: DeploymentV1SpecTemplateSpecVolume[] = [];
    const mounts: DeploymentV1SpecTemplateSpecContainerVolumeMount[] = [{ name: "backups", mountPath: BACKUP_DIR }];
    if (b.to.kind === "volume") {
      this.claim = new PersistentVolumeClaimV1(this, "claim", {
        metadata: meta(`${dataName(svc)}-${b.to.name}`),
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: memoryToKubernetes(b.to.sizeBytes) } } },
        // A WaitForFirstConsumer class binds only when the first Job pod runs: apply must not wait for it.
        waitUntilBound: false,
        lifecycle: { preventDestroy: true },
      });
      volumes.push({ name: "backups", persistentVolumeClaim: { claimName: this.claim.metadata.name } });
    } else if (b.to.kind === "claim") {
      volumes.push({ name: "backups", persistentVolumeClaim: { claimName: b.to.name } });
    } else {
      // objectStore: the dump lands in the pod's scratch space, the uploader sends it.
      volumes.push({ name: "backups", emptyDir: { sizeLimit: memoryToKubernetes(Math.max(...svc.volumes.map((v) => v.sizeBytes), 1024 ** 3)) } });
    }
    const stsName = dataName(svc);
    if (b.volume) {
      // The StatefulSet's claim of pod 0, read-only; ReadWriteOnce lets a second pod mount it on the same node only.
      volumes.push({ name: "source", persistentVolumeClaim: { claimName: `${b.volume.name}-${stsName}-0`, readOnly: true } });
      mounts.push({ name: "source", mountPath: ARCHIVE_SOURCE_DIR, readOnly: true });
    }

    const base = podTemplate(env, job, { configMapName: props.configMapName, serviceAccountName: props.serviceAccountName });
    const spec = base.spec;
    const main = (spec.container as DeploymentV1SpecTemplateSpecContainer[])[0];
    const dump: DeploymentV1SpecTemplateSpecContainer = {
      ...main,
      name: "backup",
      // Generated shell, not configuration: Terraform must not read its ${...} as templates.
      env: [{ name: BACKUP_JOB_ENV, value: terraformLiteral(script) }],
      volumeMount: [...((main.volumeMount as DeploymentV1SpecTemplateSpecContainerVolumeMount[] | undefined) ?? []), ...mounts],
    };
    const containers: DeploymentV1SpecTemplateSpecContainer[] = [];
    const initContainers: DeploymentV1SpecTemplateSpecContainer[] = [];
    if (b.to.kind === "objectStore") {
      const store = b.to;
      initContainers.push(dump);
      const endpoint = store.endpoint ? ` --endpoint-url ${store.endpoint}` : "";
      containers.push({
        name: "upload",
        image: store.image,
        imagePullPolicy: "IfNotPresent",
        command: ["sh", "-c"],
        args: [`set -eu; for f in ${BACKUP_DIR}/${svc.name}-*.${BACKUP_EXTENSION[b.method]}; do aws s3 cp${endpoint} "$f" "s3://${store.bucket}/${env.app}/${env.name}/${svc.name}/"; done`],
        // By reference: the Secret's keys become AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; no value in config or state.
        envFrom: [{ secretRef: { name: store.secret } }],
        env: [{ name: "HOME", value: "/tmp" }],
        resources: main.resources,
        securityContext: main.securityContext,
        volumeMount: [{ name: "backups", mountPath: BACKUP_DIR, readOnly: true }, ...((main.volumeMount as DeploymentV1SpecTemplateSpecContainerVolumeMount[] | undefined) ?? []).filter((m) => m.name.startsWith("writable-"))],
      });
    } else {
      containers.push(dump);
    }

    const template = {
      metadata: base.metadata,
      spec: {
        ...spec,
        // The claim is written as the service's group.
        securityContext: { ...spec.securityContext, fsGroup: String(svc.security.gid) },
        restartPolicy: "Never",
        topologySpreadConstraint: undefined,
        // archive: next to the pod that holds the claim (ReadWriteOnce).
        affinity: b.volume
          ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: "kubernetes.io/hostname", labelSelector: [{ matchLabels: selectorLabels(env, svc) }] }] } }
          : undefined,
        initContainer: initContainers.length ? initContainers : undefined,
        container: containers,
        volume: [...((spec.volume as DeploymentV1SpecTemplateSpecVolume[] | undefined) ?? []), ...volumes],
      },
    } as unknown as CronJobV1SpecJobTemplateSpecTemplate;

    this.cronJob = new (cronJobClass())(this, "cron-job", {
      metadata: meta(job.name),
      spec: {
        schedule: b.schedule,
        // The Docker scheduler evaluates the schedule on UTC too: one schedule, one meaning.
        timezone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
        successfulJobsHistoryLimit: BACKUP_HISTORY,
        failedJobsHistoryLimit: BACKUP_HISTORY,
        jobTemplate: { metadata: { labels }, spec: { backoffLimit: BACKUP_BACKOFF_LIMIT, template } },
      },
    });

    // Only its database: egress from the job's pods to the service's dump port, and the matching
    // ingress on the service (default-deny covers everything else; DNS is allowed namespace-wide).
    if (b.port && kubernetesOptions(env).networkPolicies) {
      const port = [{ port: String(b.port.port), protocol: b.port.protocol.toUpperCase() }];
      this.networkPolicies.push(
        new NetworkPolicyV1(this, "allow-egress", {
          metadata: meta(`${job.name}-allow-egress`),
          spec: { podSelector: { matchLabels: selectorLabels(env, job) }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: selectorLabels(env, svc) } }], ports: port }] },
        }),
        new NetworkPolicyV1(this, "allow-ingress", {
          metadata: meta(`${svc.name}-allow-backup`),
          spec: { podSelector: { matchLabels: selectorLabels(env, svc) }, policyTypes: ["Ingress"], ingress: [{ from: [{ podSelector: { matchLabels: selectorLabels(env, job) } }], ports: port }] },
        }),
      );
    }
    if (b.to.kind === "objectStore" && kubernetesOptions(env).networkPolicies) {
      // The uploader needs HTTPS to the store, which lies outside the cluster.
      this.networkPolicies.push(
        new NetworkPolicyV1(this, "allow-object-store", {
          metadata: meta(`${job.name}-allow-object-store`),
          spec: { podSelector: { matchLabels: selectorLabels(env, job) }, policyTypes: ["Egress"], egress: [{ ports: [{ port: "443", protocol: "TCP" }] }] },
        }),
      );
    }
  }
}
