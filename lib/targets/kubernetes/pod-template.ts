import type {
  DeploymentV1SpecTemplate,
  DeploymentV1SpecTemplateSpecContainerLivenessProbe,
  DeploymentV1SpecTemplateSpecContainerVolumeMount,
  DeploymentV1SpecTemplateSpecVolume,
} from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { EnvironmentModel, HealthCheck, HealthModel, ServiceModel } from "../../model/environment";
import { formatImageRef } from "../../model/image-ref";
import { secretResourceName } from "../../model/names";
import { cpuToKubernetes, memoryToKubernetes } from "../../model/quantity";
import { selectorLabels, workloadLabels } from "../shared/labels";
import { scrapeAnnotations } from "./kubernetes-metrics";
import { CONFIG_FILE_MODE, FILES_HASH_KEY, configFilesHash, keyedFiles } from "../shared/config-files";
import { kubernetesOptions } from "./options";

/** Where secrets appear inside containers (the seeds' `*_FILE` convention). */
export const SECRETS_DIR = "/run/secrets";

/** A probe's action for one check: Kubernetes runs each kind natively (grpc since 1.24). */
function probeAction(c: HealthCheck): Pick<DeploymentV1SpecTemplateSpecContainerLivenessProbe, "httpGet" | "tcpSocket" | "grpc" | "exec"> {
  switch (c.kind) {
    case "http":
      return { httpGet: { path: c.path, port: String(c.port) } };
    case "tcp":
      return { tcpSocket: [{ port: String(c.port) }] };
    case "grpc":
      return { grpc: [{ port: c.port, service: c.service }] };
    case "command":
      return { exec: { command: [...c.command] } };
  }
}

/** Whole seconds of at least 1, as the probe fields take them. */
const wholeSeconds = (s: number): number => Math.max(1, Math.round(s));

/**
 * The three probes of a service: each role's own check and timings where it sets them, else the
 * service-wide check with timings derived from the health spec (seconds).
 */
export function probes(h: HealthModel): {
  readiness: DeploymentV1SpecTemplateSpecContainerLivenessProbe;
  liveness: DeploymentV1SpecTemplateSpecContainerLivenessProbe;
  startup: DeploymentV1SpecTemplateSpecContainerLivenessProbe;
} {
  const period = wholeSeconds(h.intervalSeconds);
  const timeout = wholeSeconds(h.timeoutSeconds);
  const { readiness: r, liveness: l, startup: s } = h;
  const startupPeriod = s.intervalSeconds !== undefined ? wholeSeconds(s.intervalSeconds) : period;
  return {
    // Readiness reacts fast so traffic leaves a struggling pod quickly.
    readiness: {
      ...probeAction(r.check),
      periodSeconds: r.intervalSeconds !== undefined ? wholeSeconds(r.intervalSeconds) : Math.min(period, 5),
      timeoutSeconds: r.timeoutSeconds !== undefined ? wholeSeconds(r.timeoutSeconds) : timeout,
      failureThreshold: r.retries ?? 3,
      successThreshold: 1,
    },
    liveness: {
      ...probeAction(l.check),
      periodSeconds: l.intervalSeconds !== undefined ? wholeSeconds(l.intervalSeconds) : period,
      timeoutSeconds: l.timeoutSeconds !== undefined ? wholeSeconds(l.timeoutSeconds) : timeout,
      failureThreshold: l.retries ?? h.retries,
    },
    // The startup probe covers startPeriod, so liveness needs no long initial delay.
    startup: {
      ...probeAction(s.check),
      periodSeconds: startupPeriod,
      timeoutSeconds: s.timeoutSeconds !== undefined ? wholeSeconds(s.timeoutSeconds) : timeout,
      failureThreshold: Math.ceil(h.startPeriodSeconds / startupPeriod) + (s.retries ?? h.retries),
    },
  };
}

/**
 * The hardened pod template shared by Deployments and StatefulSets: restricted security context,
 * requests and limits, probes, emptyDir for writable paths, secrets as files, config from a
 * content-hashed ConfigMap.
 */
export function podTemplate(env: EnvironmentModel, svc: ServiceModel, opts: { configMapName: string; serviceAccountName: string; filesConfigMapName?: string; extraLabels?: Readonly<Record<string, string>> }): DeploymentV1SpecTemplate {
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
  const files = keyedFiles(svc);
  if (opts.filesConfigMapName && files.length > 0) {
    // One volume, each file mounted on its own path (subPath): the image's other files in that
    // folder stay visible. subPath mounts never see ConfigMap updates; these ConfigMaps are
    // immutable and content-named, so a change is a new pod template anyway.
    volumes.push({ name: "config-files", configMap: { name: opts.filesConfigMapName, defaultMode: `0${CONFIG_FILE_MODE.toString(8)}`, items: files.map((f) => ({ key: f.key, path: f.key })) } });
    for (const f of files) mounts.push({ name: "config-files", mountPath: f.path, subPath: f.key, readOnly: true });
  }
  const seccomp = sec.seccompProfile.startsWith("Localhost/")
    ? { type: "Localhost", localhostProfile: sec.seccompProfile.slice("Localhost/".length) }
    : { type: sec.seccompProfile };
  const spread = svc.replicas > 1 || svc.autoscaling !== undefined;
  const annotations: Record<string, string> = { ...(svc.annotations ?? {}) };
  if (files.length > 0) annotations[FILES_HASH_KEY] = configFilesHash(svc);
  Object.assign(annotations, scrapeAnnotations(svc));
  const sysctls = Object.entries(svc.sysctls ?? {});
  return {
    // The user's annotations, the files' hash and, where the service has metrics, the scrape annotations (kubernetes-metrics.ts).
    metadata: { labels: { ...workloadLabels(env, svc), ...opts.extraLabels }, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: {
      serviceAccountName: opts.serviceAccountName,
      // Kubernetes 2.38 has no stop-signal field: the runtime sends the image's STOPSIGNAL (the
      // Kubernetes adapter warns when stopSignal is set).
      terminationGracePeriodSeconds: svc.terminationGraceSeconds ?? 30,
      imagePullSecrets: kubernetesOptions(env).imagePullSecrets.length ? kubernetesOptions(env).imagePullSecrets.map((name) => ({ name })) : undefined,
      automountServiceAccountToken: sec.automountServiceAccountToken,
      securityContext: {
        runAsNonRoot: sec.runAsNonRoot,
        runAsUser: String(sec.uid),
        runAsGroup: String(sec.gid),
        fsGroup: svc.volumes.length || svc.secrets.length ? String(sec.gid) : undefined,
        seccompProfile: seccomp,
        sysctl: sysctls.length ? sysctls.map(([name, value]) => ({ name, value })) : undefined,
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
