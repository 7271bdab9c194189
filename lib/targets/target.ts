import { Construct } from "constructs";
import type { z } from "zod";
import type { DefaultRule } from "../config/defaults";
import { EnvironmentModel, ServiceModel, TargetName } from "../model/environment";
import type { TerraformProvider } from "../facade/cdktf";
import { StackJson, StackView } from "./inspect";
import type { MonitoringRole } from "../observability/monitoring-set";

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
 * Environment-wide settings whose meaning belongs to a target. Each adapter lists those it reads
 * ({@link TargetSettings.reads}); their defaults apply only there, and an environment whose target
 * does not read one that the user set gets an error instead of a setting that silently does nothing.
 */
export const TARGET_READ_SETTINGS = ["network.subnet", "quota", "limitRange", "domain", "tls"] as const;
/** One of {@link TARGET_READ_SETTINGS}. */
export type TargetReadSetting = (typeof TARGET_READ_SETTINGS)[number];

/**
 * A target's own settings: the `<target>:` block of an environment file (`docker:`,
 * `kubernetes:`), its defaults, and which environment-wide settings the target reads. Shared
 * configuration code composes these; it never names a target.
 */
export interface TargetSettings<S extends z.ZodType = z.ZodType> {
  /** The strict zod schema of the block (every key optional; defaults fill them). */
  readonly schema: S;
  /** Defaults of the block's keys, paths relative to the block, each with its reason. */
  readonly defaults: readonly DefaultRule[];
  /** The file that defines the defaults, as `envkit explain` names it. */
  readonly source: string;
  /** Environment-wide settings this target reads. */
  readonly reads: readonly TargetReadSetting[];
  /** Advice appended to the "has no effect" error of a setting this target does not read. */
  readonly unreadHints?: Readonly<Partial<Record<TargetReadSetting, string>>>;
}

/** The config path (from the environment's root) that caused a JSON-pass finding, or `null` when the model does not explain it. */
export type FindingCause = (svc: ServiceModel, env: EnvironmentModel) => readonly string[] | null;

/**
 * One adapter per target. It is the only code that imports a provider package. Shared code asks
 * the adapter, through this interface, instead of branching on the target.
 */
export interface TargetAdapter<S extends z.ZodType = z.ZodType> {
  readonly name: TargetName;
  /** The target's settings block, its defaults, and the environment-wide settings it reads. */
  readonly settings: TargetSettings<S>;
  /**
   * Checks of the resolved environment-wide settings this target reads (e.g. a required range or
   * domain). Config resolution runs them on every path (YAML files and TypeScript objects), so an
   * environment they reject never becomes a model.
   */
  checkSettings?(env: EnvironmentModel): TargetIssue[];
  /** Target-specific checks of a resolved environment (e.g. quota fit, port clashes). */
  validate(env: EnvironmentModel): TargetIssue[];
  /**
   * The target's checks behind shared model-pass guardrails, by rule id (a rule in
   * lib/policy/rules.ts delegates to them); a rule a target has no check for finds nothing there.
   */
  readonly ruleChecks?: Readonly<Record<string, (env: EnvironmentModel) => readonly TargetIssue[]>>;
  /** Where JSON-pass findings of a rule are located in this target's settings, by rule id (overrides the shared locators). */
  readonly findingCauses?: Readonly<Record<string, FindingCause>>;
  /** Loads the lowering code (provider classes) ahead of time; {@link lower} loads it on demand otherwise. */
  preload?(): void;
  /** Adds the provider and every resource of the environment under `scope`. */
  lower(scope: Construct, env: EnvironmentModel, options?: LowerOptions): void;
  /** The Terraform provider type (`docker`, `kubernetes`) the lowered resources belong to. */
  /**
   * Whether `monitoring.stack` runs here (the monitoring set is lowered like the services) and
   * which of the set's roles the target runs (Swarm runs no cAdvisor: without the Docker socket it
   * cannot tell Swarm services apart), each with why a left-out role is left out.
   * @default no monitoring set
   */
  readonly monitoringSet?: { readonly roles: readonly MonitoringRole[]; readonly without?: Partial<Readonly<Record<MonitoringRole, string>>> };
  readonly providerType: string;
  /**
   * The provider settings that choose which engine or cluster the state's objects live in, and
   * what to call it, so review tools can flag a change of them without knowing the target.
   */
  readonly providerEndpoint: { readonly keys: readonly string[]; readonly noun: string };
  /** The guardrail view of a stack this adapter synthesized. */
  inspect(json: StackJson): StackView;
}
