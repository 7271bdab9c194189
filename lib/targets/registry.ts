import { TargetName } from "../model/environment";
import { dockerTarget } from "./docker/docker-target";
import { kubernetesTarget } from "./kubernetes/kubernetes-target";
import { TargetAdapter } from "./target";

const ADAPTERS: Partial<Record<TargetName, TargetAdapter>> = {
  docker: dockerTarget,
  kubernetes: kubernetesTarget,
};

/** The adapter for a target, or undefined when envkit does not implement it (yet). */
export function adapterFor(target: TargetName): TargetAdapter | undefined {
  return ADAPTERS[target];
}

/** Targets this version can lower. */
export function supportedTargets(): TargetName[] {
  return Object.keys(ADAPTERS) as TargetName[];
}
