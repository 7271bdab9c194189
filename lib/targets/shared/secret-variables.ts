import { Construct } from "constructs";
import { EnvkitError } from "../../errors";
import { TerraformVariable } from "../../facade/cdktf";
import { EnvironmentModel, SecretRef, environmentSecrets } from "../../model/environment";
import { stackElementsByName } from "./stack-elements";

/** How a target wants its secret inputs declared. */
export interface SecretVariableOptions {
  /**
   * Emit `ephemeral = true` (Terraform ≥ 1.11): the value is never written to plan or state.
   * Only usable where every consumer is a write-only attribute.
   */
  readonly ephemeral: boolean;
}

/**
 * One sensitive Terraform variable per declared secret, with no default: the value comes from
 * `TF_VAR_<name>` at plan/apply time and never from config, code or the synthesized JSON.
 */
export function declareSecretVariables(scope: Construct, env: EnvironmentModel, opts: SecretVariableOptions): Map<string, TerraformVariable> {
  const secrets = environmentSecrets(env);
  // Terraform keeps one variable per name in a stack: another one of a secret's name (the user's
  // own, or a second envkit environment's) would be merged into it — a `default` of the user's
  // becoming the secret's value, in code. Refused, naming both.
  const taken = stackElementsByName(scope, TerraformVariable);
  const clashes = secrets.flatMap((s) => {
    const other = taken.get(s.name);
    return other ? [{ file: other.node.path, path: "", message: `the Terraform variable "${s.name}" is also the one environment "${env.name}" declares for its secret "${s.name}" (${scope.node.path}); Terraform keeps one variable per name, so they would be merged (a default of yours becoming the secret's value): give your variable another id, or put each Environment in a stack of its own` }] : [];
  });
  if (clashes.length) throw new EnvkitError(clashes);
  const out = new Map<string, TerraformVariable>();
  for (const secret of secrets) out.set(secret.name, secretVariable(scope, secret, opts));
  return out;
}

function secretVariable(scope: Construct, secret: SecretRef, opts: SecretVariableOptions): TerraformVariable {
  const v = new TerraformVariable(scope, secret.name, {
    type: "string",
    sensitive: true,
    nullable: false,
    description: `Secret "${secret.name}": supply it as TF_VAR_${secret.name} on every plan and apply.`,
  });
  // The variable's name is the contract with the operator: TF_VAR_<name>.
  v.overrideLogicalId(secret.name);
  // cdktf 0.21 has no `ephemeral` flag on variables; emit it through an override.
  if (opts.ephemeral) v.addOverride("ephemeral", true);
  return v;
}
