import { Network } from "@cdktf/provider-docker/lib/network";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Construct } from "constructs";
import { inertModel } from "../shared/terraform-literal";
import { EnvironmentModel } from "../../model/environment";
import { environmentLabels } from "../shared/labels";
import { declareSecretVariables } from "../shared/secret-variables";
import { DockerService, DockerServiceNetwork } from "./docker-service";
import { planNetworks } from "./network-plan";

/** Props of {@link DockerEnvironment}. */
export interface DockerEnvironmentProps {
  readonly environment: EnvironmentModel;
}

/**
 * A whole environment on one Docker host: provider, per-connection networks, secret variables and
 * one {@link DockerService} per service. `networks` and `services` are public escape hatches.
 */
export class DockerEnvironment extends Construct {
  public readonly provider: DockerProvider;
  /** Network purpose (`front`, `api-to-db`, …) → `docker_network`. */
  public readonly networks = new Map<string, Network>();
  /** Service name → its construct. */
  public readonly services = new Map<string, DockerService>();

  constructor(scope: Construct, id: string, props: DockerEnvironmentProps) {
    super(scope, id);
    // Constructs used directly (not through the registry) get the same escaping; a model that is
    // already inert is returned as is.
    const env = inertModel(props.environment);
    const tcp = env.docker.host.startsWith("tcp://");
    // Certificates are read by the provider at apply time from certPath (or DOCKER_CERT_PATH):
    // only a path, never key material, is written to the JSON.
    this.provider = new DockerProvider(this, "provider", { host: env.docker.host, certPath: tcp ? env.docker.certPath : undefined });

    const plan = planNetworks(env);
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

    const secretVariables = declareSecretVariables(this, env, { ephemeral: false });
    // Networks per service, built once (a filter per service would be quadratic in services).
    const joined = new Map<string, DockerServiceNetwork[]>(env.services.map((svc) => [svc.name, []]));
    for (const n of plan.networks) {
      for (const [member, aliases] of n.members) joined.get(member)!.push({ name: this.networks.get(n.purpose)!.name, aliases });
    }
    for (const svc of env.services) {
      const networks = joined.get(svc.name)!;
      this.services.set(svc.name, new DockerService(this, svc.name, { environment: env, service: svc, networks, secretVariables }));
    }
  }
}
