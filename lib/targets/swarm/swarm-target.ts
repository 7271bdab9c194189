import { backupDestinationProblem, backupVolumeHomeProblem } from "../shared/backup-job";
import { Construct } from "constructs";
import { overlaps, parseCidr } from "../../model/cidr";
import { EnvironmentModel } from "../../model/environment";
import { LowerOptions, TargetAdapter, TargetIssue } from "../target";
import type * as Providers from "../shared/provider";
import { plainTcpHostProblem } from "../shared/engine-host";
import { engineEgressFindings, engineShapeIssues } from "../shared/engine-shape";
import { inContainerProblem } from "../shared/health";
import { containerFileFolderProblems } from "../shared/config-files";
import { planNetworks } from "../shared/network-plan";
import type * as Lowering from "./swarm-environment";
import { inspectSwarmStack } from "./swarm-inspect";
import { proxyListenerProblems, routedBySets } from "../shared/proxy-sets";
import { swarmStance } from "./swarm-routing";
import { swarmProxyPlan } from "./swarm-routing";
import { SWARM, SWARM_DEFAULTS, SWARM_NETWORK_PLAN, SWARM_SETTINGS_SOURCE, SwarmSettingsSchema, swarmOptions } from "./options";

/** Swarm's ingress network and the pool it carves overlay networks without a subnet from (docker swarm init defaults). */
const SWARM_INGRESS = "10.0.0.0/24";

/** ENVK-NET-003 on Swarm: a `tcp://` manager address without TLS certificates. */
function plainTcpHost(env: EnvironmentModel): TargetIssue[] {
  const o = swarmOptions(env);
  const problem = plainTcpHostProblem(o.host, o.certPath, "swarm.certPath", "Swarm manager");
  return problem ? [{ path: [SWARM, "host"], message: problem }] : [];
}

/** ENVK-SWM-001: an update that fails its health gate is not rolled back, or apply would not notice. */
function noAutomaticRollback(env: EnvironmentModel): TargetIssue[] {
  const o = swarmOptions(env);
  const out: TargetIssue[] = [];
  if (o.failureAction !== "rollback") out.push({ path: [SWARM, "failureAction"], message: `failureAction "${o.failureAction}": a release whose tasks fail their health check is left ${o.failureAction === "pause" ? "half rolled out" : "rolling on"} instead of rolled back` });
  if (!o.converge) out.push({ path: [SWARM, "converge"], message: "converge: false: terraform apply returns before the update finished, so a release Swarm rolled back is reported as applied" });
  return out;
}

/** ENVK-SWM-002: stateless services whose replicas Swarm may put all on one node. */
function notSpread(env: EnvironmentModel): TargetIssue[] {
  const o = swarmOptions(env);
  if (o.spread) return [];
  return env.services
    .filter((s) => s.kind === "stateless" && s.replicas >= 2 && !(o.maxReplicasPerNode !== undefined && o.maxReplicasPerNode < s.replicas))
    .map((s) => ({
      path: ["services", s.name, "replicas"],
      message: `the ${s.replicas} replicas of "${s.name}" have no spread (swarm.spread unset${o.maxReplicasPerNode ? `, swarm.maxReplicasPerNode ${o.maxReplicasPerNode} lets one node hold them all` : ", swarm.maxReplicasPerNode unset"}), so one node failure can take every replica`,
    }));
}

/** ENVK-SWM-003: stateful services Swarm may move away from their local volumes. */
function unpinnedState(env: EnvironmentModel): TargetIssue[] {
  const o = swarmOptions(env);
  return env.services
    .filter((s) => s.kind === "stateful" && o.unpinned.includes(s.name))
    .map((s) => ({ path: [SWARM, "unpinned"], message: `stateful service "${s.name}" is not pinned to a node: a task rescheduled elsewhere starts on an empty local volume there (the data stays on the old node)` }));
}

/** Lowers `target: swarm` environments to kreuzwerker/docker `docker_service`s on a Docker Swarm. */
export const swarmTarget: TargetAdapter<typeof SwarmSettingsSchema> = {
  name: SWARM,
  settings: {
    schema: SwarmSettingsSchema,
    defaults: SWARM_DEFAULTS,
    source: SWARM_SETTINGS_SOURCE,
    reads: ["network.subnet"],
    unreadHints: {
      quota: "envkit has no environment-wide budget on a Swarm yet; every service has its own resources (limits and reservations)",
      limitRange: "on Swarm every service has its own resources (defaulted per service)",
      domain: "Swarm publishes public services on their hostPort through the routing mesh, without an ingress controller",
      tls: "Swarm has no ingress controller to terminate TLS; terminate it in a public service or a proxy in front of the nodes",
    },
  },
  checkSettings(env: EnvironmentModel): TargetIssue[] {
    const at = ["network", "subnet"];
    if (!env.subnet) return [{ path: at, message: `environment "${env.name}" runs on ${env.target} and needs network.subnet (no default for this name), e.g. "10.230.0.0/16"` }];
    const issues: TargetIssue[] = [];
    if (env.subnet.prefix > 28) issues.push({ path: at, message: `"${env.subnet.text}" is too small; envkit carves one overlay subnet per network (front, one per connection) from it, so use /28 or larger (e.g. a /16)` });
    const ingress = parseCidr(SWARM_INGRESS);
    if (ingress.ok && overlaps(ingress.value, env.subnet)) issues.push({ path: at, message: `"${env.subnet.text}" overlaps ${SWARM_INGRESS}, the subnet of Swarm's ingress network (docker swarm init's default); use a range such as 10.230.0.0/16` });
    return issues;
  },
  ruleChecks: { "ENVK-NET-003": plainTcpHost, "ENVK-NET-004": (env) => engineEgressFindings(env, "Swarm"), "ENVK-SWM-001": noAutomaticRollback, "ENVK-SWM-002": notSpread, "ENVK-SWM-003": unpinnedState },
  findingCauses: {
    // The model asks for no-new-privileges; Swarm cannot apply it per service.
    "ENVK-SEC-003": (s) => (s.security.noNewPrivileges ? ["target"] : ["services", s.name, "security", "noNewPrivileges"]),
  },
  validate(env: EnvironmentModel): TargetIssue[] {
    const issues: TargetIssue[] = [];
    const at = (path: (string | number)[], message: string): void => {
      issues.push({ path, message });
    };
    const plan = planNetworks(env, SWARM_NETWORK_PLAN);
    if (plan.error) at(["network", "subnet"], plan.error);
    // A job is a container on the manager (swarm-environment.ts); init steps are refused: a
    // service's tasks start on any node, are restarted and rescheduled without apply, and cannot
    // be preceded by a container on the manager that sees neither their node's volumes nor the
    // moment they start.
    issues.push(
      ...engineShapeIssues(env, {
        label: "Swarm",
        noInit: "Swarm has no init containers: a service's tasks start on any node and Swarm restarts and reschedules them without apply, so no step envkit could run (on the manager, through the provider) would run before each task or see the volumes of the node it starts on",
      }),
    );
    // The engine runs the (readiness) check inside the task's container: it needs a program there.
    for (const svc of env.services) {
      const health = svc.health && inContainerProblem(svc.name, svc.health);
      if (health) at(health.path, `on Swarm ${health.message}`);
      // The backup job runs on the database's node and writes there (swarm-backup.ts): a volume on
      // its data folder (the folder's owner), or a folder of that node.
      const backup = backupDestinationProblem(svc, "Swarm", ["volume", "hostPath"]) ?? backupVolumeHomeProblem(svc, "Swarm");
      if (backup) at(backup.path, backup.message);
      else if (svc.backup && (svc.kind !== "stateful" || swarmOptions(env).unpinned.includes(svc.name))) {
        at(["services", svc.name, "backup"], `on Swarm the backup job runs on the node that holds "${svc.name}"'s data and keeps the backups there, and "${svc.name}" is ${svc.kind === "stateful" ? "in swarm.unpinned (it may run on any node)" : `${svc.kind}, which Swarm does not pin to a node`}; ${svc.kind === "stateful" ? `remove "${svc.name}" from swarm.unpinned` : "make it kind: stateful"}, or remove the backup here (backup: null)`);
      }
      // A job is the Docker target's container (swarm-environment.ts): its config files take the Docker way in.
      if (svc.kind === "job") issues.push(...containerFileFolderProblems(svc, "Swarm (a job runs as a container on the manager)"));
    }
    const o = swarmOptions(env);
    const byName = new Map(env.services.map((s) => [s.name, s]));
    for (const [name, keys] of [...Object.keys(o.nodes).map((n) => [n, ["nodes", n]] as const), ...o.unpinned.map((n, i) => [n, ["unpinned", i]] as const)]) {
      const svc = byName.get(name);
      if (!svc || svc.kind !== "stateful") at([SWARM, ...keys], `"${name}" is not a stateful service of this environment; only stateful services are pinned (stateful: ${env.services.filter((s) => s.kind === "stateful").map((s) => s.name).join(", ") || "none"})`);
      else if (keys[0] === "unpinned" && o.nodes[name]) at([SWARM, ...keys], `"${name}" is both pinned (swarm.nodes) and unpinned; remove one`);
    }
    const published = new Map<string, string>();
    for (const svc of env.services) {
      const s = ["services", svc.name];
      if (svc.security.privileged) at([...s, "security", "privileged"], "Swarm services cannot run privileged (the service spec has no such field); remove privileged or use the Docker target");
      if (svc.security.seccompProfile !== "RuntimeDefault") at([...s, "security", "seccompProfile"], `"${svc.security.seccompProfile}": Swarm tasks always run with the engine's default seccomp profile (Engine API 1.41 has no per-service profile); use "RuntimeDefault"`);
      if (svc.autoscaling) at([...s, "autoscaling"], "Swarm has no autoscaler; remove autoscaling and set replicas (or use a Kubernetes target)");
      if (svc.kind === "stateful" && svc.replicas > 1) at([...s, "replicas"], `stateful service "${svc.name}" has ${svc.replicas} replicas, which would share one node's local volume; use replicas: 1`);
      if (!svc.public) continue;
      for (const p of svc.ports) {
        const key = `${p.hostPort}/${p.protocol}`;
        const other = published.get(key);
        if (other) at([...s, "ports", p.name, "hostPort"], `published port ${key} is already published by "${other}" (Swarm publishes it on every node); set a different hostPort`);
        published.set(key, svc.name);
      }
    }
    const proxy = swarmProxyPlan(env);
    if (proxy) {
      const routed = env.services.filter((s) => swarmStance(env, s) !== undefined);
      for (const p of proxyListenerProblems(routed, proxy.plan, { published: (s) => byName.get(s)!.public && routedBySets(byName.get(s)!), byStrategy: routedBySets })) at(p.path, p.message);
    }
    return issues;
  },
  inspect: inspectSwarmStack,
  preload(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("./swarm-environment");
  },
  providerType: "docker",
  providerEndpoint: { keys: ["host", "context"], noun: "engine" },
  monitoringSet: {
    roles: ["prometheus", "alertmanager", "grafana"],
    without: { cadvisor: "a Swarm service spec has no cgroup parent, so cAdvisor without the Docker socket cannot tell one service's tasks from another's; the Swarm rules use the services' own metrics only" },
  },
  lower(scope: Construct, env: EnvironmentModel, options?: LowerOptions): void {
    // Loaded on first use: validate, policy and review never pay for the provider classes.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SwarmEnvironment } = require("./swarm-environment") as typeof Lowering;
    const provider = options?.provider as Lowering.SwarmEnvironmentProps["provider"];
    const lowered = new SwarmEnvironment(scope, SWARM, { environment: env, provider });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (provider) (require("../shared/provider") as typeof Providers).useProvider(lowered, provider);
  },
};
