import type {
  DeploymentV1SpecTemplate,
  DeploymentV1SpecTemplateSpecContainerLivenessProbe,
  DeploymentV1SpecTemplateSpecContainerVolumeMount,
  DeploymentV1SpecTemplateSpecVolume,
} from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { EnvironmentModel, HealthModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { secretResourceName } from "../../model/names";
import { cpuToKubernetes, memoryToKubernetes } from "../../model/quantity";
import { selectorLabels, serviceLabels } from "../shared/labels";

/** Where secrets appear inside containers (the seeds' `*_FILE` convention). */
export const SECRETS_DIR = "/run/secrets";

/** Probe timings derived from the service's health spec (seconds). */
export function probes(h: HealthModel): {
  readiness: DeploymentV1SpecTemplateSpecContainerLivenessProbe;
  liveness: DeploymentV1SpecTemplateSpecContainerLivenessProbe;
  startup: DeploymentV1SpecTemplateSpecContainerLivenessProbe;
} {
  const action = h.http ? { httpGet: { path: h.http.path, port: String(h.http.port) } } : { exec: { command: [...h.command!] } };
  const period = Math.max(1, Math.round(h.intervalSeconds));
  const timeout = Math.max(1, Math.round(h.timeoutSeconds));
  return {
    // Readiness reacts fast so traffic leaves a struggling pod quickly.
    readiness: { ...action, periodSeconds: Math.min(period, 5), timeoutSeconds: timeout, failureThreshold: 3, successThreshold: 1 },
    liveness: { ...action, periodSeconds: period, timeoutSeconds: timeout, failureThreshold: h.retries },
    // The startup probe covers startPeriod, so liveness needs no long initial delay.
    startup: { ...action, periodSeconds: period, timeoutSeconds: timeout, failureThreshold: Math.ceil(h.startPeriodSeconds / period) + h.retries },
  };
}

/**
 * The hardened pod template shared by Deployments and StatefulSets: restricted security context,
 * requests and limits, probes, emptyDir for writable paths, secrets as files, config from a
 * content-hashed ConfigMap.
 */
export function podTemplate(env: EnvironmentModel, svc: ServiceModel, opts: { configMapName: string; serviceAccountName: string }): DeploymentV1SpecTemplate {
  const sec = svc.security;
  const p = svc.health ? probes(svc.health) : undefined;
  const volumes: DeploymentV1SpecTemplateSpecVolume[] = [];
  const mounts: DeploymentV1SpecTemplateSpecContainerVolumeMount[] = [];
  if (sec.readOnlyRootFilesystem) {
    svc.writablePaths.forEach((path, i) => {
      volumes.push({ name: `writable-${i}`, emptyDir: { sizeLimit: memoryToKubernetes(svc.writableSizeBytes) } });
      mounts.push({ name: `writable-${i}`, mountPath: path });
    });
  }
  if (svc.secrets.length > 0) {
    volumes.push({
      name: "secrets",
      // Secret files are owned by root and the pod's fsGroup: 0440 lets the non-root app (whose
      // group is the fsGroup) read them; 0400 would leave them readable by root only.
      projected: [
        {
          defaultMode: "0440",
          sources: svc.secrets.map((s) => ({ secret: [{ name: secretResourceName(s.name), items: [{ key: "value", path: s.name }] }] })),
        },
      ],
    });
    mounts.push({ name: "secrets", mountPath: SECRETS_DIR, readOnly: true });
  }
  for (const v of svc.volumes) mounts.push({ name: v.name, mountPath: v.path });
  const seccomp = sec.seccompProfile.startsWith("Localhost/")
    ? { type: "Localhost", localhostProfile: sec.seccompProfile.slice("Localhost/".length) }
    : { type: sec.seccompProfile };
  const spread = svc.replicas > 1 || svc.autoscaling !== undefined;
  return {
    metadata: { labels: serviceLabels(env, svc) },
    spec: {
      serviceAccountName: opts.serviceAccountName,
      automountServiceAccountToken: sec.automountServiceAccountToken,
      securityContext: {
        runAsNonRoot: sec.runAsNonRoot,
        runAsUser: String(sec.uid),
        runAsGroup: String(sec.gid),
        fsGroup: svc.volumes.length || svc.secrets.length ? String(sec.gid) : undefined,
        seccompProfile: seccomp,
      },
      topologySpreadConstraint: spread
        ? [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: [{ matchLabels: selectorLabels(env, svc) }] }]
        : undefined,
      container: [
        {
          name: svc.name,
          image: formatImageRef(svc.image),
          imagePullPolicy: "IfNotPresent",
          command: svc.command ? [...svc.command] : undefined,
          args: svc.args ? [...svc.args] : undefined,
          port: svc.ports.map((pt) => ({ name: pt.name, containerPort: pt.port, protocol: pt.protocol.toUpperCase() })),
          envFrom: [{ configMapRef: { name: opts.configMapName } }],
          resources: {
            requests: { cpu: cpuToKubernetes(svc.resources.cpuMillis), memory: memoryToKubernetes(svc.resources.memoryBytes) },
            limits: { cpu: cpuToKubernetes(svc.resources.cpuLimitMillis), memory: memoryToKubernetes(svc.resources.memoryLimitBytes) },
          },
          securityContext: {
            runAsNonRoot: sec.runAsNonRoot,
            allowPrivilegeEscalation: !sec.noNewPrivileges,
            privileged: sec.privileged,
            readOnlyRootFilesystem: sec.readOnlyRootFilesystem,
            capabilities: { drop: [...sec.dropCapabilities], add: sec.addCapabilities.length ? [...sec.addCapabilities] : undefined },
            seccompProfile: seccomp,
          },
          readinessProbe: p?.readiness,
          livenessProbe: p?.liveness,
          startupProbe: p?.startup,
          volumeMount: mounts.length ? mounts : undefined,
        },
      ],
      volume: volumes.length ? volumes : undefined,
    },
  };
}
