import { EnvironmentModel, TargetName } from "../model/environment";
import { monitoringServiceNames } from "../observability/monitoring-set";
import { dockerTarget } from "./docker/docker-target";
import { kubernetesTarget } from "./kubernetes/kubernetes-target";
import { swarmTarget } from "./swarm/swarm-target";
import { inertModel } from "./shared/terraform-literal";
import { TargetAdapter } from "./target";

/**
 * Every adapter lowers an inert copy of the model: each user string is escaped so that Terraform
 * reads it as a literal, never as a `${…}`/`%{…}` template (which could read files on the machine
 * running `terraform plan` or copy a secret variable into plain text). Doing it here, once, covers
 * every target, and every target's strings, without each adapter having to remember.
 */
function withInertModel<A extends TargetAdapter>(adapter: A): A {
  return { ...adapter, lower: (scope, env, options) => adapter.lower(scope, inertModel(env), options) };
}

/**
 * The targets this version lowers, by name: the one place that lists them. Adding a target is a
 * folder under lib/targets/ with its adapter, plus one entry here. Typed, so the schema of each
 * target's settings block types `EnvironmentConfig`.
 */
export const TARGETS = {
  docker: withInertModel(dockerTarget),
  kubernetes: withInertModel(kubernetesTarget),
  swarm: withInertModel(swarmTarget),
} as const;

/** Targets accepted in configuration but not implemented yet: validation refuses them with "not implemented". */
export const PLANNED_TARGETS = [] as const;

/** Every `target:` value the schema accepts, lowered or planned. */
export type KnownTargetName = keyof typeof TARGETS | (typeof PLANNED_TARGETS)[number];

/** A set of targets: what the configuration layer accepts and which adapter lowers each. */
export interface TargetRegistry {
  /** Adapters by target name, in the order messages list them. */
  readonly adapters: ReadonlyMap<TargetName, TargetAdapter>;
  /** Names accepted in configuration but refused as not implemented. */
  readonly planned: readonly TargetName[];
}

/**
 * A registry of `adapters` plus `planned` names. The built-in one is {@link REGISTRY}; another
 * (e.g. with a test adapter) can be passed to `resolveAll` and `environmentSchemaFor`.
 */
export function targetRegistry(adapters: readonly TargetAdapter[], planned: readonly TargetName[] = []): TargetRegistry {
  const byName = new Map<TargetName, TargetAdapter>();
  for (const a of adapters) {
    if (byName.has(a.name) || planned.includes(a.name)) throw new Error(`target "${a.name}" is registered twice`);
    byName.set(a.name, a);
  }
  return { adapters: byName, planned: [...planned] };
}

/** The targets of this version of envkit. */
export const REGISTRY: TargetRegistry = targetRegistry(Object.values(TARGETS), PLANNED_TARGETS);

/** The adapter for a target, or undefined when envkit does not implement it (yet). */
export function adapterFor(target: TargetName, registry: TargetRegistry = REGISTRY): TargetAdapter | undefined {
  return registry.adapters.get(target);
}

/** Targets this version can lower. */
export function supportedTargets(registry: TargetRegistry = REGISTRY): TargetName[] {
  return [...registry.adapters.keys()];
}

/** Every name `target:` accepts: the supported targets, then the planned ones. */
export function targetNames(registry: TargetRegistry = REGISTRY): TargetName[] {
  return [...registry.adapters.keys(), ...registry.planned];
}

/**
 * The services of an environment that are its monitoring set's (`monitoring.stack: true`), not the
 * application's: one per role its target runs (no cAdvisor on Swarm, so a service of the
 * application may be called that there). Their images come from `monitoring.images`, not from
 * `release:`.
 */
export function monitoringSetNames(env: Pick<EnvironmentModel, "target" | "monitoring">, registry: TargetRegistry = REGISTRY): ReadonlySet<string> {
  return monitoringServiceNames(env.monitoring.stack, adapterFor(env.target, registry)?.monitoringSet?.roles);
}
