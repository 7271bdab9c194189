import { Construct } from "constructs";
import { z } from "zod";
import { TerraformVariable } from "../../facade/cdktf";
import { SECRET_NAME } from "../../model/names";

/*
 * Image pull credentials of the engine-API targets (Docker, Swarm): the provider's `registry_auth`
 * blocks, the password from a sensitive Terraform variable, never from config. A provider block
 * is not written to Terraform state, so the password is only in the variable's TF_VAR_<name>.
 */

/** One private registry: its address, the user, and the name of the variable holding the password. */
export const RegistryAuthSchema = z
  .array(
    z.strictObject({
      /** Registry host[:port], e.g. `ghcr.io` or `registry.example.com:5000` (no scheme, no path). */
      address: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?$/, { message: 'must be a registry host[:port] without scheme or path, e.g. "ghcr.io" or "registry.example.com:5000"' }),
      username: z.string().min(1),
      /** Terraform variable of the password (supply TF_VAR_<name>); never the password itself. */
      passwordSecret: z.string().regex(SECRET_NAME, { message: "must be a variable name such as registry_password (lowercase letters, digits, _); supply the password as TF_VAR_<name> at apply time" }),
      /** Refused: a password is never accepted in config. */
      password: z.never({ message: "a registry password is never accepted in config (it would land in git and in the synthesized JSON); set passwordSecret: <name> and supply TF_VAR_<name> at apply time" }).optional(),
    }),
  )
  .max(32);

/** The `registryAuth` setting of a Docker or Swarm environment. */
export type RegistryAuth = z.infer<typeof RegistryAuthSchema>;

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
