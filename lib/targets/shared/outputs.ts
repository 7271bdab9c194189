import { Construct } from "constructs";
import { EnvkitError } from "../../errors";
import { TerraformOutput } from "../../facade/cdktf";
import { EnvironmentModel, ServiceModel } from "../../model/environment";
import { stackElementsByName } from "./stack-elements";

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

/** The construct id of envkit's output `name` (no service can have it: services are lowercase). */
const OUTPUT_ID = (name: string): string => `Output-${name}`;

/**
 * Declares the `services` output and one output per extra name (`namespace`, `networks`), under
 * construct ids no service can have. Terraform keeps one output per name in a stack: another
 * output of that name already in the stack (the user's own, or a second envkit environment's)
 * would be merged with this one or replace it, so it is refused, naming both and the fix.
 */
export function declareStackOutputs(scope: Construct, env: EnvironmentModel, address: (svc: ServiceModel) => ServiceAddresses, extra: Readonly<Record<string, { readonly value: unknown; readonly description: string }>>): void {
  const services = Object.fromEntries(env.services.map((s) => [s.name, address(s)]));
  const outputs: [string, { readonly value: unknown; readonly description: string }][] = [
    ["services", { value: services, description: `Addresses of each service of ${env.app}/${env.name}: internal (inside the environment) and public, as host:port or URL.` }],
    ...Object.entries(extra),
  ];
  const taken = stackElementsByName(scope, TerraformOutput);
  const clashes = outputs.flatMap(([name]) => {
    const other = taken.get(name);
    if (!other) return [];
    const fix = other.node.id === OUTPUT_ID(name) ? "a stack holds one envkit environment's outputs: put each Environment in a stack of its own (or use EnvironmentStack)" : "give your output another id";
    return [{ file: other.node.path, path: "", message: `the stack output "${name}" is also the one environment "${env.name}" adds (${scope.node.path}); Terraform keeps one output per name, so one would replace or be merged into the other: ${fix}` }];
  });
  if (clashes.length) throw new EnvkitError(clashes);
  for (const [name, o] of outputs) new TerraformOutput(scope, OUTPUT_ID(name), { value: o.value, description: o.description }).overrideLogicalId(name);
}
