import { Construct } from "constructs";
import { TerraformStack } from "../../facade/cdktf";

/**
 * The elements of class `kind` already in `scope`'s stack, by their Terraform name (logical id):
 * what a second element of that name would be merged with, since Terraform keeps one per name.
 */
export function stackElementsByName<T extends Construct & { readonly friendlyUniqueId: string }>(scope: Construct, kind: abstract new (...args: never[]) => T): Map<string, T> {
  const found = new Map<string, T>();
  for (const c of TerraformStack.of(scope).node.findAll()) if (c instanceof kind) found.set(c.friendlyUniqueId, c);
  return found;
}
