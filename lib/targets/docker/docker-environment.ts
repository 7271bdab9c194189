import { Network } from "@cdktf/provider-docker/lib/network";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Construct } from "constructs";
import type { TerraformResource } from "../../facade/cdktf";
import { inertModel } from "../shared/terraform-literal";
import { EnvironmentModel } from "../../model/environment";
import { environmentLabels } from "../shared/labels";
import { declareStackOutputs } from "../shared/outputs";
import { registryAuthBlocks } from "../shared/registry-auth";
import { declareSecretVariables } from "../shared/secret-variables";
import { monitoringAdditions } from "./docker-monitoring";
import { DockerProxy, DockerProxyNetwork } from "./docker-proxy";
import { dockerProxyPlan, dockerStance, publishedByProxy } from "./docker-routing";
import { proxyMembership, takesName, translatesPorts, upstreamHost, withSourceLimits } from "../shared/proxy-sets";
import { DockerService, DockerServiceNetwork } from "./docker-service";
import { backupJobName, planNetworks } from "./network-plan";
import { dockerOptions } from "./options";

/** Props of {@link DockerEnvironment}. */
export interface DockerEnvironmentProps {
  readonly environment: EnvironmentModel;
  /**
   * The provider every resource uses (the user's own, perhaps aliased).
   * @default a new default (unaliased) provider configured from the environment's settings
   */
  readonly provider?: DockerProvider;
}

/**
 * A whole environment on one Docker host: provider, per-connection networks, secret variables and
 * one {@link DockerService} per service. Each container `depends_on` the containers of the servers
 * it connects to (start order) and is replaced with any network it joins (`replace_triggered_by`).
 * `networks` and `services` are public escape hatches.
 */
export class DockerEnvironment extends Construct {
  /** The provider the resources use: the one passed in, or the one this construct created. */
  public readonly provider: DockerProvider;
  /** Network purpose (`front`, `api-to-db`, …) → `docker_network`. */
  public readonly networks = new Map<string, Network>();
  /** Service name → its construct. */
  public readonly services = new Map<string, DockerService>();
  /** The envkit proxy, when a service is routed through it (public rolling, blue-green, canary). */
  public readonly proxy?: DockerProxy;

  constructor(scope: Construct, id: string, props: DockerEnvironmentProps) {
    super(scope, id);
    // Constructs used directly (not through the registry) get the same escaping; a model that is
    // already inert is returned as is.
    const env = inertModel(props.environment);
    const tcp = dockerOptions(env).host.startsWith("tcp://");
    // Certificates are read by the provider at apply time from certPath (or DOCKER_CERT_PATH):
    // only a path, never key material, is written to the JSON.
    // With docker.secretsHostDir the files come from the Docker host and nothing reads a variable;
    // declared, each would still be asked for (TF_VAR_<name>) on every plan and apply.
    const secretVariables = dockerOptions(env).secretsHostDir ? new Map<string, never>() : declareSecretVariables(this, env, { ephemeral: false });
    this.provider =
      props.provider ?? new DockerProvider(this, "provider", { host: dockerOptions(env).host, certPath: tcp ? dockerOptions(env).certPath : undefined, registryAuth: registryAuthBlocks(this, dockerOptions(env).registryAuth, secretVariables) });

    const plan = planNetworks(env, { backups: true });
    if (plan.error) throw new Error(plan.error);
    const labels = environmentLabels(env);
    const labelList = Object.keys(labels).sort().map((label) => ({ label, value: labels[label] }));
    for (const n of plan.networks) {
      this.networks.set(
        n.purpose,
        new Network(this, `network-${n.purpose}`, {
          name: n.name,
          driver: "bridge",
          internal: n.internal,
          ipamConfig: [{ subnet: n.subnet }],
          labels: labelList,
        }),
      );
    }

    // Networks per service, built once (a filter per service would be quadratic in services).
    const byName = new Map(env.services.map((s) => [s.name, s]));
    // A backup job is a member of its database's backup network, not a service: never routed.
    const stance = (m: string) => (byName.has(m) ? dockerStance(env, byName.get(m)!) : undefined);
    const joined = new Map<string, DockerServiceNetwork[]>(env.services.map((svc) => [svc.name, []]));
    for (const n of plan.networks) {
      // A backup job is no service: its network is handed to the service that runs it. Where the
      // proxy takes a service's name only to translate its ports (its connections' networks), the
      // containers answer to `<svc>-stable` there (DockerService renames the sets of a blue-green
      // or canary service everywhere itself).
      for (const [member, aliases] of n.members) {
        const renamed = stance(member)?.name === "clients" && takesName(n, member, stance(member));
        joined.get(member)?.push({ name: this.networks.get(n.purpose)!.name, aliases: renamed ? aliases.map(() => upstreamHost(byName.get(member)!, {})) : aliases, plainName: n.name });
      }
    }
    for (const svc of env.services) {
      const networks = joined.get(svc.name)!;
      const backupNetwork = this.networks.get(backupJobName(svc.name));
      this.services.set(svc.name, new DockerService(this, svc.name, { environment: env, service: svc, networks, secrets: secretVariables, backupNetwork, ...monitoringAdditions(env, svc) }));
    }

    // The proxy joins the networks where a routed service is addressed: the front network for a
    // public rolling service (whose containers keep their alias), every network where a
    // blue-green/canary service answers to its name (the proxy takes the name over), the networks
    // of the connections to a service whose servicePorts it translates. Each listener it does not
    // publish accepts only the subnets of the networks where its service is addressed.
    const proxyPlan = dockerProxyPlan(env);
    if (proxyPlan) {
      const { joins, allow } = proxyMembership(plan.networks, stance);
      const proxyNetworks: DockerProxyNetwork[] = joins.map((j) => ({ name: this.networks.get(j.purpose)!.name, aliases: j.aliases }));
      const routed = { ...proxyPlan, plan: withSourceLimits(proxyPlan.plan, (s) => publishedByProxy(byName.get(s)!), allow) };
      const upstreams = proxyPlan.services.flatMap((s) => this.services.get(s.name)!.containers);
      const proxy = new DockerProxy(this, "proxy", { environment: env, plan: routed, networks: proxyNetworks, upstreams });
      // Like every container: replaced with a network it joins (Docker refuses to delete a network with endpoints).
      proxy.container.lifecycle = { replaceTriggeredBy: joins.map((j) => `${this.networks.get(j.purpose)!.terraformResourceType}.${this.networks.get(j.purpose)!.friendlyUniqueId}.id`) };
      (this as { proxy?: DockerProxy }).proxy = proxy;
    }
    // Addresses for other stacks: the service name on its networks, and the published ports.
    declareStackOutputs(
      this,
      env,
      (svc) => ({
        internal: svc.ports.map((p) => `${svc.name}:${translatesPorts(env, svc) ? p.servicePort : p.port}`),
        public: svc.public ? svc.ports.map((p) => `${dockerOptions(env).publishAddress}:${p.hostPort}`) : [],
      }),
      { networks: { value: [...this.networks.values()].map((n) => n.name), description: `The Docker networks of ${env.app}/${env.name}.` } },
    );

    // A network is replaced when its subnet or name changes; Docker refuses to delete a network
    // with attached containers ("has active endpoints"), so its containers are replaced with it.
    // The trigger is the network's id, which changes only when the network is replaced (an
    // in-place update of the network must not restart its containers).
    const networksOf = new Map<string, Network[]>(env.services.map((svc) => [svc.name, []]));
    for (const n of plan.networks) for (const member of n.members.keys()) networksOf.get(member)?.push(this.networks.get(n.purpose)!);
    // Start order: a client's containers are created after its servers' containers, which wait
    // until healthy (`wait`), like Compose's `depends_on: condition: service_healthy`. Cycles are
    // refused by the Docker adapter's validation.
    const serversOf = new Map<string, string[]>(env.services.map((svc) => [svc.name, []]));
    for (const c of env.connections) if (!serversOf.get(c.from)!.includes(c.to)) serversOf.get(c.from)!.push(c.to);
    // Plain addresses, not resource objects: cdktf 0.21 renders an object in replace_triggered_by
    // as "${type.name}", which Terraform rejects (hashicorp/terraform-cdk#3196).
    const address = (r: TerraformResource): string => `${r.terraformResourceType}.${r.friendlyUniqueId}`;
    // A client of a service the proxy answers for starts after the proxy too.
    const viaProxy = (s: string): TerraformResource[] => (this.proxy && stance(s)?.name !== undefined ? [this.proxy.container] : []);
    for (const svc of env.services) {
      const servers = [...serversOf.get(svc.name)!].sort().flatMap((s) => [...this.services.get(s)!.containers, ...viaProxy(s)]);
      // Init steps take the start order and the network triggers of the containers they run before.
      for (const container of [...this.services.get(svc.name)!.initSteps, ...this.services.get(svc.name)!.containers]) {
        container.lifecycle = { ...container.lifecycle, replaceTriggeredBy: [...(container.lifecycle?.replaceTriggeredBy ?? []), ...networksOf.get(svc.name)!.map((n) => `${address(n)}.id`)] };
        if (servers.length) container.dependsOn = [...(container.dependsOn ?? []), ...servers.map(address)];
      }
    }
    // A job's `runBefore`: those containers are created after the job's container ran to a zero
    // exit (attach + postcondition in DockerService), e.g. a migration before the worker.
    for (const job of env.services) {
      for (const dependant of job.runBefore) {
        for (const container of [...(this.services.get(dependant)?.initSteps ?? []), ...(this.services.get(dependant)?.containers ?? [])]) container.dependsOn = [...(container.dependsOn ?? []), ...this.services.get(job.name)!.containers.map(address)];
      }
    }
  }
}
