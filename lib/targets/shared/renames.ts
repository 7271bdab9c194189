import { Construct } from "constructs";
import { TerraformResource, TerraformStack } from "../../facade/cdktf";
import { ServiceModel } from "../../model/environment";

/**
 * The name a service's data is known by: its name before a rename (`renamedFrom`), else its name.
 * Targets put it on what holds data (Docker volumes and their labels, the Kubernetes StatefulSet
 * whose name is in its claims' names, Swarm's named volumes and node pin), so a renamed
 * stateful service finds its data again instead of starting empty.
 */
export function dataName(svc: ServiceModel): string {
  return svc.previousName ?? svc.name;
}

/**
 * The Terraform address `resource` had when the construct `service` (one of its scopes) was
 * called `oldId`: the same allocation cdktf makes (`TerraformStack.getLogicalId` of a node with
 * the same ids below the stack), computed on a detached copy of the id path so the real tree is
 * not touched and no hash is written by hand.
 */
export function previousAddress(resource: TerraformResource, service: Construct, oldId: string): string {
  const stack = TerraformStack.of(resource);
  const scopes = resource.node.scopes;
  const ids = scopes.slice(scopes.indexOf(stack) + 1).map((c) => (c === service ? oldId : c.node.id));
  // A detached root named like the first id: allocateLogicalId then takes every id of the path
  // (the stack is not among its scopes), exactly the ids it takes below the real stack.
  let node = new Construct(undefined as unknown as Construct, ids[0]);
  for (const id of ids.slice(1)) node = new Construct(node, id);
  return `${resource.terraformResourceType}.${stack.getLogicalId(node.node)}`;
}

/**
 * For a renamed service, a `moved` block from each of its resources' old address (the address
 * the same resource had under the old service name) to its new one, so Terraform moves the state
 * instead of destroying and creating. A `from` with nothing in state is ignored by Terraform, so
 * a resource the old service did not have (a new replica) costs nothing.
 */
export function moveFromPreviousName(service: Construct, svc: ServiceModel): void {
  if (svc.previousName === undefined || svc.previousName === service.node.id) return;
  for (const c of service.node.findAll()) {
    if (TerraformResource.isTerraformResource(c)) c.moveFromId(previousAddress(c, service, svc.previousName));
  }
}
