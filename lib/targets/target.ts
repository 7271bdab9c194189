import { Construct } from "constructs";
import { EnvironmentModel, TargetName } from "../model/environment";
import { StackJson, StackView } from "./inspect";

/** A problem a target finds; the caller locates `path` in the config files. */
export interface TargetIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly severity?: "error" | "warning";
}

/**
 * One adapter per target. It is the only code that imports a provider package. Shared code asks
 * the adapter, through this interface, instead of branching on the target.
 */
export interface TargetAdapter {
  readonly name: TargetName;
  /** Target-specific checks of a resolved environment (e.g. quota fit, port clashes). */
  validate(env: EnvironmentModel): TargetIssue[];
  /** Loads the lowering code (provider classes) ahead of time; {@link lower} loads it on demand otherwise. */
  preload?(): void;
  /** Adds the provider and every resource of the environment under `scope`. */
  lower(scope: Construct, env: EnvironmentModel): void;
  /** The guardrail view of a stack this adapter synthesized. */
  inspect(json: StackJson): StackView;
}
