import { z } from "zod";
import { SECRET_NAME } from "../../model/names";

/*
 * The settings of image pull credentials of the engine-API targets (Docker, Swarm): the provider's `registry_auth`
 * blocks, the password from a sensitive Terraform variable, never from config. A provider block
 * is not written to Terraform state, so the password is only in the variable's TF_VAR_<name>.
 * Apart from registry-auth.ts (the blocks), so validation never loads cdktf.
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
