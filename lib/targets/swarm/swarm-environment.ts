import { Network } from "@cdktf/provider-docker/lib/network";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Secret } from "@cdktf/provider-docker/lib/secret";
import { Construct } from "constructs";
import { EnvironmentModel, environmentSecrets } from "../../model/environment";
import { scopedName } from "../../model/names";
import { labelList } from "../shared/container-spec";
import { environmentLabels } from "../shared/labels";
import { backupJobName, planNetworks } from "../shared/network-plan";
import { declareStackOutputs } from "../shared/outputs";
import { registryAuthBlocks } from "../shared/registry-auth";
import { declareSecretVariables } from "../shared/secret-variables";
import { inertModel } from "../shared/terraform-literal";
import { SWARM_NETWORK_PLAN, swarmOptions } from "./options";
import { SwarmBackup } from "./swarm-backup";
import { proxyMembership, routedBySets, takesName, translatesPorts, upstreamHost, withSourceLimits } from "../shared/proxy-sets";
import { SwarmProxy } from "./swarm-proxy";
import { swarmProxyPlan, swarmStance } from "./swarm-routing";
import { SwarmService, SwarmServiceNetwork } from "./swarm-service";
import { swarmMonitoringConfig } from "./swarm-monitoring";
import { DockerService } from "../docker/docker-service";

/** Props of {@link SwarmEnvironment}. */
export interface SwarmEnvironmentProps {
  readonly environment: EnvironmentModel;
  /**
   * The provider every resource uses (the user's own, perhaps aliased).
   * @default a new default (unaliased) provider configured from the environment's settings
   */
  readonly provider?: DockerProvider;
}

/** The name of a secret's `docker_secret`: `<app>-<env>-<secret>-r<revision>` (Swarm secrets are immutable; a new value needs a new name). */
export function secretObjectName(env: Pick<EnvironmentModel, "app" | "name">, secret: { readonly name: string; readonly revision: number }): string {
  return `${scopedName(env.app, env.name, secret.name)}-r${secret.revision}`;
}

/**
 * A whole environment on a Docker Swarm: provider (a manager's engine), one overlay network per
 * connection (internal, with an explicit subnet from `network.subnet`), one `docker_secret` per
 * secret and one {@link SwarmService} per service. `networks`, `secrets` and `services` are public
 * escape hatches.
 */
export class SwarmEnvironment extends Construct {
  /** The provider the resources use: the one passed in, or the one this construct created. */
  public readonly provider: DockerProvider;
  /** Network purpose (`front`, `api-to-db`, …) → its overlay `docker_network`. */
  public readonly networks = new Map<string, Network>();
  /** Secret name → its `docker_secret`. */
  public readonly secrets = new Map<string, Secret>();
  /** Service name → its construct. */
  public readonly services = new Map<string, SwarmService>();
  /** Service name → its scheduled backup, where it has one. */
  public readonly backups = new Map<string, SwarmBackup>();
  /** The envkit proxy, when a service is blue-green or canary. */
  public readonly proxy?: SwarmProxy;
  /**
   * Job name → its construct: the Docker target's, i.e. a `docker_container` run to completion on
   * the manager the provider talks to (see README "Jobs").
   */
  public readonly jobs = new Map<string, DockerService>();

  constructor(scope: Construct, id: string, props: SwarmEnvironmentProps) {
    super(scope, id);
    const env = inertModel(props.environment);
    const o = swarmOptions(env);
    // docker_secret.data is Sensitive but stored in state (kreuzwerker/docker 3.6.2
    // resource_docker_secret.go:30-37): the value passes through Terraform. Declared like every
    // target's secret variables; the guardrail view reports the exposure (ENVK-SEC-001).
    const secretVariables = declareSecretVariables(this, env, { ephemeral: false });
    this.provider = props.provider ?? new DockerProvider(this, "provider", { host: o.host, certPath: o.host.startsWith("tcp://") ? o.certPath : undefined, registryAuth: registryAuthBlocks(this, o.registryAuth, secretVariables) });

    const plan = planNetworks(env, SWARM_NETWORK_PLAN);
    if (plan.error) throw new Error(plan.error);
    const labels = labelList(environmentLabels(env));
    // Swarm has no job mode the provider can wait for (README "Jobs"): a job is a container on the
    // manager, which can join an overlay only when the overlay is attachable.
    const jobs = new Set(env.services.filter((s) => s.kind === "job").map((s) => s.name));
    for (const n of plan.networks) {
      this.networks.set(
        n.purpose,
        new Network(this, `network-${n.purpose}`, {
          name: n.name,
          driver: "overlay",
          // Only services attach (never a `docker run` container joining by hand), except on a
          // network a job joins: its container on the manager needs it. Attachable also lets
          // anyone with a node's Docker socket `docker run --network` onto it (README "Jobs").
          attachable: [...n.members.keys()].some((m) => jobs.has(m)),
          internal: n.internal,
          ipamConfig: [{ subnet: n.subnet }],
          options: o.encryptNetworks ? { encrypted: "true" } : undefined,
          labels,
        }),
      );
    }

    for (const s of environmentSecrets(env)) {
      this.secrets.set(
        s.name,
        new Secret(this, `secret-${s.name}`, {
          name: secretObjectName(env, s),
          // The provider wants base64; the variable's address is its name (declareSecretVariables).
          data: `\${base64encode(var.${s.name})}`,
          labels,
          // The service moves to the new secret before the old one is removed (Swarm refuses to
          // remove a secret a service uses).
          lifecycle: { createBeforeDestroy: true },
        }),
      );
    }

    const byName = new Map(env.services.map((s) => [s.name, s]));
    // A backup job is a member of its database's backup network, not a service: never routed.
    const stance = (m: string) => (byName.has(m) ? swarmStance(env, byName.get(m)!) : undefined);
    const joined = new Map<string, SwarmServiceNetwork[]>(env.services.map((svc) => [svc.name, []]));
    // A backup job is no service: its network (`<svc>-backup`) is handed to its SwarmBackup. Where
    // the proxy takes a service's name only to translate its ports (its connections' networks),
    // the service answers to `<svc>-stable` there (SwarmService renames the sets of a blue-green or
    // canary service everywhere itself).
    for (const n of plan.networks) {
      for (const [member, aliases] of n.members) {
        const renamed = stance(member)?.name === "clients" && takesName(n, member, stance(member));
        joined.get(member)?.push({ id: this.networks.get(n.purpose)!.id, aliases: renamed ? aliases.map(() => upstreamHost(byName.get(member)!, {})) : aliases });
      }
    }
    const jobNetworks = new Map<string, { name: string; aliases: readonly string[]; plainName: string }[]>([...jobs].map((j) => [j, []]));
    for (const n of plan.networks) for (const [member, aliases] of n.members) jobNetworks.get(member)?.push({ name: this.networks.get(n.purpose)!.name, aliases, plainName: n.name });
    for (const svc of env.services) {
      // A job's container reads its secrets from files its seed uploads from the same variables
      // (standalone containers cannot mount a docker_secret), on the manager.
      if (jobs.has(svc.name)) this.jobs.set(svc.name, new DockerService(this, svc.name, { environment: env, service: svc, networks: jobNetworks.get(svc.name)!, secrets: secretVariables }));
      else this.services.set(svc.name, new SwarmService(this, svc.name, { environment: env, service: svc, networks: joined.get(svc.name)!, secrets: this.secrets, config: swarmMonitoringConfig(env, svc) }));
      if (svc.backup) this.backups.set(svc.name, new SwarmBackup(this, `${svc.name}-backup`, { environment: env, service: svc, networkId: this.networks.get(backupJobName(svc.name))!.id, secrets: this.secrets }));
    }
    const address = (r: { terraformResourceType: string; friendlyUniqueId: string }): string => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
    for (const [name, job] of this.jobs) {
      const svc = env.services.find((s) => s.name === name)!;
      // After the services it connects to converged (their tasks running, healthy where checked),
      // and replaced with a network it joins, as on Docker.
      const servers = [...new Set(env.connections.filter((c) => c.from === name).map((c) => c.to))].sort().flatMap((s) => this.services.get(s)?.services ?? []);
      const networks = plan.networks.filter((n) => n.members.has(name)).map((n) => this.networks.get(n.purpose)!);
      for (const c of [...job.initSteps, ...job.containers]) {
        if (servers.length) c.dependsOn = [...(c.dependsOn ?? []), ...servers.map(address)];
        c.lifecycle = { ...c.lifecycle, replaceTriggeredBy: [...(c.lifecycle?.replaceTriggeredBy ?? []), ...networks.map((n) => `${address(n)}.id`)] };
      }
      // runBefore: those services are created (and updated) only after the job exited 0.
      for (const dependant of svc.runBefore) for (const s of this.services.get(dependant)?.services ?? []) s.dependsOn = [...(s.dependsOn ?? []), ...job.containers.map(address)];
    }

    const proxyPlan = swarmProxyPlan(env);
    if (proxyPlan) {
      const { joins, allow } = proxyMembership(plan.networks, stance);
      (this as { proxy?: SwarmProxy }).proxy = new SwarmProxy(this, "proxy", {
        environment: env,
        plan: { ...proxyPlan, plan: withSourceLimits(proxyPlan.plan, (s) => byName.get(s)!.public && routedBySets(byName.get(s)!), allow) },
        networks: joins.map((j) => ({ id: this.networks.get(j.purpose)!.id, aliases: j.aliases })),
        upstreams: env.services.filter((s) => stance(s.name) !== undefined).flatMap((s) => this.services.get(s.name)?.services ?? []),
      });
    }
    // Addresses for other stacks: the service name on its overlay networks, and the published ports (every node with the routing mesh).
    declareStackOutputs(
      this,
      env,
      (svc) => ({ internal: svc.ports.map((p) => `${svc.name}:${translatesPorts(env, svc) ? p.servicePort : p.port}`), public: svc.public ? svc.ports.map((p) => `*:${p.hostPort}`) : [] }),
      { networks: { value: [...this.networks.values()].map((n) => n.name), description: `The overlay networks of ${env.app}/${env.name}.` } },
    );
  }
}
