import { Construct } from "constructs";
import { TerraformProvider, TerraformResource } from "../../facade/cdktf";

/**
 * Points every resource under `scope` at `provider` (the user's own, perhaps aliased) instead of
 * the stack's default provider of its type. One walk after lowering, so no resource can be missed.
 */
export function useProvider(scope: Construct, provider: TerraformProvider): void {
  for (const c of scope.node.findAll()) if (c instanceof TerraformResource && c.provider === undefined) c.provider = provider;
}
