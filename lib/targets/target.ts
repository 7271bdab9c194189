import { Construct } from "constructs";
import { EnvironmentModel, TargetName } from "../model/environment";
import type { TerraformProvider } from "../facade/cdktf";
import { StackJson, StackView } from "./inspect";

/** How {@link TargetAdapter.lower} places the environment among the user's own constructs. */
export interface LowerOptions {
  /**
   * The provider every resource of the environment uses (the user's own, possibly aliased).
   * @default a provider of the target's type created by the adapter
   */
  readonly provider?: TerraformProvider;
}

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
  lower(scope: Construct, env: EnvironmentModel, options?: LowerOptions): void;
  /** The Terraform provider type (`docker`, `kubernetes`) the lowered resources belong to. */
  readonly providerType: string;
  /** The guardrail view of a stack this adapter synthesized. */
  inspect(json: StackJson): StackView;
}
