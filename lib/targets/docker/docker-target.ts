import { backupDestinationProblem, backupVolumeHomeProblem } from "../shared/backup-job";
import { Construct } from "constructs";
import { DOCKER_DEFAULT_POOLS, overlaps, parseCidr } from "../../model/cidr";
import { EnvironmentModel } from "../../model/environment";
import { MAX_DOCKER_REPLICAS } from "../../model/limits";
import { LowerOptions, TargetAdapter, TargetIssue } from "../target";
import type * as Providers from "../shared/provider";
import { inspectDockerStack } from "./docker-inspect";
import type * as Lowering from "./docker-environment";
import { planNetworks, startOrderCycles } from "../shared/network-plan";
import { inContainerProblem } from "../shared/health";
import { plainTcpHostProblem } from "../shared/engine-host";
import { engineEgressFindings, engineShapeIssues } from "../shared/engine-shape";
import { dockerProxyPlan, proxyRouting, publishedByProxy } from "./docker-routing";
import { hostBudgetProblems } from "./host-budget";
import { proxyListenerProblems } from "../shared/proxy-sets";
import { containerFileFolderProblems } from "../shared/config-files";
import { DOCKER, DOCKER_DEFAULTS, DOCKER_SETTINGS_SOURCE, DockerSettingsSchema, dockerOptions } from "./options";
import { MONITORING_ROLES } from "../../observability/monitoring-set";

/** ENVK-NET-003: a `tcp://` engine address without TLS certificates (see shared/engine-host.ts). */
function plainTcpHost(env: EnvironmentModel): TargetIssue[] {
  const { host, certPath } = dockerOptions(env);
  const problem = plainTcpHostProblem(host, certPath, "docker.certPath", "Docker engine");
  return problem ? [{ path: ["docker", "host"], message: problem }] : [];
}

/** Lowers `target: docker` environments to kreuzwerker/docker resources on one host. */
export const dockerTarget: TargetAdapter<typeof DockerSettingsSchema> = {
  name: DOCKER,
  settings: {
    schema: DockerSettingsSchema,
    defaults: DOCKER_DEFAULTS,
    source: DOCKER_SETTINGS_SOURCE,
    reads: ["network.subnet"],
    unreadHints: {
      quota: "envkit has no environment-wide budget on a Docker host yet; bound each service with resources.cpuLimit and resources.memoryLimit",
      limitRange: "on Docker every service has its own resources (defaulted per service)",
      domain: "Docker publishes public services on docker.publishAddress and their hostPort, without an ingress",
      tls: "Docker has no ingress to terminate TLS; terminate it in a public service or a proxy in front of the host",
    },
  },
  checkSettings(env: EnvironmentModel): TargetIssue[] {
    const issues: TargetIssue[] = [];
    const at = ["network", "subnet"];
    if (!env.subnet) {
      issues.push({ path: at, message: `environment "${env.name}" runs on ${env.target} and needs network.subnet (no default for this name), e.g. "10.210.0.0/16"` });
      return issues;
    }
    const range = env.subnet;
    if (range.prefix > 28) issues.push({ path: at, message: `"${range.text}" is too small; envkit carves one subnet per network (front, one per connection) from it, so use /28 or larger (e.g. a /16)` });
    const pool = DOCKER_DEFAULT_POOLS.map((p) => parseCidr(p)).find((p) => p.ok && overlaps(p.value, range));
    if (pool && pool.ok) issues.push({ path: at, severity: "warning", message: `"${range.text}" overlaps Docker's default address pool ${pool.value.text}, where networks Docker creates on its own are placed; prefer a range such as 10.200.0.0/16` });
    return issues;
  },
  ruleChecks: { "ENVK-NET-003": plainTcpHost, "ENVK-NET-004": (env) => engineEgressFindings(env, "Docker") },
  findingCauses: {
    "ENVK-SEC-009": (_s, env) => (dockerOptions(env).secretsHostDir ? [DOCKER, "secretsHostDir"] : null),
    "ENVK-NET-001": (_s, env) => (dockerOptions(env).publishAddress === "0.0.0.0" ? [DOCKER, "publishAddress"] : null),
  },
  validate(env: EnvironmentModel): TargetIssue[] {
    const issues: TargetIssue[] = [];
    const at = (path: string, message: string): void => {
      issues.push({ path: path.split("."), message });
    };
    const plan = planNetworks(env, { backups: true });
    if (plan.error) at("network.subnet", plan.error);
    issues.push(...engineShapeIssues(env, { label: "Docker" }));
    // Init steps run before a service's containers are created (docker-init-steps.ts); a cron
    // job's container is one long-running scheduler, so they would run once, not before each run.
    for (const svc of env.services) {
      if (svc.kind === "cronjob" && svc.init.length > 0) at(`services.${svc.name}.init`, `a cron job on Docker is one scheduler container that runs "${svc.name}" on its schedule, so init steps would run once when it is created, not before each run as on Kubernetes; set init: [] for "${svc.name}" in this environment and put the step in its command (e.g. [sh, -c, "step && job"])`);
    }
    // Each client container is created after the servers it connects to are healthy (README: "start
    // in order"), so a cycle of connections cannot be started. Reported rather than broken
    // silently: dropping one direction's wait would start a client before its server, which is
    // exactly what the promise rules out, and which edge to drop is the user's call.
    for (const cycle of startOrderCycles(env)) {
      const [first, second] = cycle;
      at(
        `services.${first}.connections`,
        `connections form a start-order cycle ${cycle.join(" → ")}: on Docker a service starts only after the services it connects to are healthy, so none of these can start first; remove one of these connections (e.g. "${first}" → "${second}")`,
      );
    }
    const hostPorts = new Map<string, string>();
    for (const svc of env.services) {
      // The engine runs the (readiness) check inside the container: it needs a program there.
      const health = svc.health && inContainerProblem(svc.name, svc.health);
      if (health) issues.push({ path: health.path, message: `on Docker ${health.message}` });
      // The backup volume takes the owner of the data folder it is mounted on (docker-backup.ts).
      const backup = backupDestinationProblem(svc, "Docker", ["volume", "hostPath"]) ?? backupVolumeHomeProblem(svc, "Docker");
      if (backup) issues.push(backup);
      // The engine takes a seccomp profile's JSON, not a path, and the provider cannot read the file.
      if (svc.security.seccompProfile.startsWith("Localhost/")) {
        at(`services.${svc.name}.security.seccompProfile`, `"${svc.security.seccompProfile}": Docker takes the seccomp profile's JSON, not a file path, and the Docker provider cannot read the file; use "RuntimeDefault" (Docker's default profile) on Docker, or a Kubernetes target for a Localhost profile`);
      }
      // A config file's folder becomes a volume on Docker (docker-service.ts configFolders): "/" cannot be one.
      issues.push(...containerFileFolderProblems(svc, "Docker"));
      // Measured on Engine 20.10: "CPU cfs quota can not be less than 1ms (i.e. 1000)" per 100 ms period.
      if (svc.resources.cpuLimitMillis < 10) {
        at(`services.${svc.name}.resources.cpuLimit`, `${svc.resources.cpuLimitMillis}m is below the 10m Docker can enforce (the engine refuses a CPU quota under 1 ms per 100 ms); use at least "10m"`);
      }
      // Each replica is a container on the one host: hundreds would exhaust it (and the JSON).
      if (svc.replicas > MAX_DOCKER_REPLICAS) {
        at(`services.${svc.name}.replicas`, `${svc.replicas} replicas of "${svc.name}" on Docker would be ${svc.replicas} containers on one host; use at most ${MAX_DOCKER_REPLICAS} on Docker (or a Kubernetes target)`);
      }
      // Behind the envkit proxy only the proxy binds the host port; otherwise each replica would.
      if (svc.public && svc.replicas > 1 && svc.ports.length > 0 && !proxyRouting(svc)) {
        at(`services.${svc.name}.replicas`, `public service "${svc.name}" has ${svc.replicas} replicas on one Docker host, but each published host port can be bound once; use replicas: 1, or rollout.strategy rolling (the envkit proxy publishes the port), on Docker`);
      }
      if (svc.kind === "stateful" && svc.replicas > 1) {
        at(`services.${svc.name}.replicas`, `stateful service "${svc.name}" has ${svc.replicas} replicas, which would share one Docker volume; use replicas: 1`);
      }
      if (!svc.public) continue;
      for (const p of svc.ports) {
        const key = `${p.hostPort}/${p.protocol}`;
        const other = hostPorts.get(key);
        if (other) at(`services.${svc.name}.ports.${p.name}.hostPort`, `host port ${key} is already published by "${other}"; set a different hostPort`);
        hostPorts.set(key, svc.name);
      }
    }
    // The proxy listens on each routed service's servicePort (clients address <svc>:<servicePort>)
    // and on a preview port per public one: one HAProxy, so no two may share a port unless the
    // destination address tells them apart (shared/proxy-sets.ts proxyListenerProblems).
    const proxy = dockerProxyPlan(env);
    if (proxy) {
      const byName = new Map(env.services.map((s) => [s.name, s]));
      issues.push(...proxyListenerProblems(proxy.services, proxy.plan, { published: (s) => publishedByProxy(byName.get(s)!), byStrategy: (s) => proxyRouting(s) !== undefined, previewSetting: ["docker", "proxy", "previewPortOffset"] }));
      const published = new Map(env.services.filter((s) => s.public && !proxyRouting(s)).flatMap((s) => s.ports.map((p) => [p.hostPort, s.name] as const)));
      for (const p of proxy.publish) {
        const other = published.get(p.hostPort);
        if (other) issues.push({ path: ["docker", "proxy", "previewPortOffset"], message: `the envkit proxy would publish ${p.hostPort} (a preview port), which "${other}" already publishes; change docker.proxy.previewPortOffset` });
      }
    }
    issues.push(...hostBudgetProblems(env));
    return issues;
  },
  inspect: inspectDockerStack,
  preload(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("./docker-environment");
  },
  providerType: DOCKER,
  providerEndpoint: { keys: ["host", "context"], noun: "engine" },
  monitoringSet: { roles: MONITORING_ROLES },
  lower(scope: Construct, env: EnvironmentModel, options?: LowerOptions): void {
    // Loaded on first use: validate, policy and review never pay for the provider classes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DockerEnvironment } = require("./docker-environment") as typeof Lowering;
    const provider = options?.provider as Lowering.DockerEnvironmentProps["provider"];
    const lowered = new DockerEnvironment(scope, "docker", { environment: env, provider });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (provider) (require("../shared/provider") as typeof Providers).useProvider(lowered, provider);
  },
};
