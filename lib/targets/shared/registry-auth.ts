import { Construct } from "constructs";
import { TerraformVariable } from "../../facade/cdktf";
import type { RegistryAuth } from "./registry-auth-schema";

/*
 * Image pull credentials of the engine-API targets (Docker, Swarm): the provider's `registry_auth`
 * blocks, the password from a sensitive Terraform variable, never from config. A provider block
 * is not written to Terraform state, so the password is only in the variable's TF_VAR_<name>.
 */

/**
 * The provider's `registry_auth` blocks for `auths`, declaring one sensitive variable per
 * password not already declared (a service secret of the same name is the same variable).
 */
export function registryAuthBlocks(scope: Construct, auths: RegistryAuth | undefined, declared: ReadonlyMap<string, TerraformVariable>): { address: string; username: string; password: string }[] | undefined {
  if (!auths?.length) return undefined;
  const vars = new Map(declared);
  return auths.map((a) => {
    let v = vars.get(a.passwordSecret);
    if (!v) {
      v = new TerraformVariable(scope, a.passwordSecret, { type: "string", sensitive: true, nullable: false, description: `Password of registry ${a.address}: supply it as TF_VAR_${a.passwordSecret} on every plan and apply.` });
      v.overrideLogicalId(a.passwordSecret);
      vars.set(a.passwordSecret, v);
    }
    return { address: a.address, username: a.username, password: v.stringValue };
  });
}
