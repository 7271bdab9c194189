import { TargetName } from "../model/environment";
import { dockerTarget } from "./docker/docker-target";
import { kubernetesTarget } from "./kubernetes/kubernetes-target";
import { inertModel } from "./shared/terraform-literal";
import { TargetAdapter } from "./target";

/**
 * Every adapter lowers an inert copy of the model: each user string is escaped so that Terraform
 * reads it as a literal, never as a `${…}`/`%{…}` template (which could read files on the machine
 * running `terraform plan` or copy a secret variable into plain text). Doing it here, once, covers
 * every target, and every target's strings, without each adapter having to remember.
 */
function withInertModel(adapter: TargetAdapter): TargetAdapter {
  return { ...adapter, lower: (scope, env, options) => adapter.lower(scope, inertModel(env), options) };
}

const ADAPTERS: Partial<Record<TargetName, TargetAdapter>> = {
  docker: withInertModel(dockerTarget),
  kubernetes: withInertModel(kubernetesTarget),
};

/** The adapter for a target, or undefined when envkit does not implement it (yet). */
export function adapterFor(target: TargetName): TargetAdapter | undefined {
  return ADAPTERS[target];
}

/** Targets this version can lower. */
export function supportedTargets(): TargetName[] {
  return Object.keys(ADAPTERS) as TargetName[];
}
