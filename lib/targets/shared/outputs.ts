import { Construct } from "constructs";
import { TerraformOutput } from "../../facade/cdktf";
import { EnvironmentModel, ServiceModel } from "../../model/environment";

/*
 * The outputs of an environment's stack, for other stacks to read (`terraform output -json`, or
 * a `terraform_remote_state` data source on the same backend): every service's addresses and the
 * namespace or network names. Same shape on every target; never a secret (only names, hosts
 * and ports).
 */

/** Addresses of one service: where its own environment reaches it, and where the outside does (public services). */
export interface ServiceAddresses {
  readonly internal: readonly string[];
  readonly public: readonly string[];
}

/** Declares (under construct ids no service can have: services are lowercase) the `services` output and one output per extra name (`namespace`, `networks`). */
export function declareStackOutputs(scope: Construct, env: EnvironmentModel, address: (svc: ServiceModel) => ServiceAddresses, extra: Readonly<Record<string, { readonly value: unknown; readonly description: string }>>): void {
  const services = Object.fromEntries(env.services.map((s) => [s.name, address(s)]));
  new TerraformOutput(scope, "Output-services", { value: services, description: `Addresses of each service of ${env.app}/${env.name}: internal (inside the environment) and public, as host:port or URL.` }).overrideLogicalId("services");
  for (const [name, o] of Object.entries(extra)) new TerraformOutput(scope, `Output-${name}`, { value: o.value, description: o.description }).overrideLogicalId(name);
}
