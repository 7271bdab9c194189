import { ConfigIssue } from "../errors";
import { EnvironmentModel } from "../model/environment";
import { StackView, WorkloadView } from "../targets/inspect";

/** Where a finding points: a config path (model pass) or a synthesized resource (JSON pass). */
export interface RawFinding {
  /** Config path (`services.api.replicas`) or resource (`docker_container.<id>`). */
  readonly path: string;
  /** The service it concerns, for suppressions scoped to a service. */
  readonly service?: string;
  readonly message: string;
  /** `path` names a resource of the synthesized stack rather than a config path. */
  readonly inStack?: boolean;
}

/** What a rule is evaluated over. */
export type RuleInput =
  | { readonly pass: "model"; readonly env: EnvironmentModel }
  | { readonly pass: "json"; readonly env: EnvironmentModel; readonly stack: StackView }
  | { readonly pass: "project"; readonly env: EnvironmentModel; readonly all: readonly EnvironmentModel[]; readonly history: ReleaseHistory };

/**
 * Releases environments ran in the past, keyed by environment and service: from the release record
 * that `envkit releases record` maintains and from the git history of the environment files.
 */
export interface ReleaseHistory {
  /** Every release the environment ran: recorded, or held by its file in an earlier commit. */
  releasesOf(env: string, service: string): ReadonlySet<string>;
  /**
   * Whether the environment ran `release` of `service`: `releasesOf(env, service).has(release)`,
   * reading the cheapest source first (a release the record lists needs no git history).
   * @default releasesOf(env, service).has(release)
   */
  ran?(env: string, service: string, release: string): boolean;
  /** Whether a complete source could be read: a valid release record, or the full git history. */
  readonly available: boolean;
  /** The sources that were read, for findings (`app/releases.yaml`, `git history`). */
  readonly searched?: readonly string[];
  /** The sources that could not be read, each with why (`git history (a shallow clone)`). */
  readonly unavailable?: readonly string[];
  /** How to record that `env` ran a release of `service`, for findings. */
  recordHint?(env: string, service: string): string;
  /** Problems with the release record itself (`file:line: path: message`). */
  readonly issues?: readonly ConfigIssue[];
}

/** Whether `env` ran `release` of `service` by `history`: its {@link ReleaseHistory.ran} when it has one (cheapest source first), else `releasesOf(...).has(release)`. */
export function historyRan(history: ReleaseHistory, env: string, service: string, release: string): boolean {
  return history.ran ? history.ran(env, service, release) : history.releasesOf(env, service).has(release);
}

/** A guardrail: data (id, title, rationale, fix, references) plus a check. */
export interface Rule {
  /** Stable id, e.g. `ENVK-K8S-003`. */
  readonly id: string;
  readonly title: string;
  readonly rationale: string;
  readonly fix: string;
  readonly references: readonly string[];
  /** Which pass evaluates it. */
  readonly pass: "model" | "json" | "project";
  /** Evaluate only where enforcement is mandatory (production-like environments). @default false */
  readonly productionOnly?: boolean;
  /** Findings of this rule can never be suppressed. @default false */
  readonly unsuppressible?: boolean;
  /** Also enforced as a configuration error in every environment (the rule documents it). */
  readonly alsoConfigError?: boolean;
  check(input: RuleInput): RawFinding[];
}

/** Helper for JSON rules over each workload. */
export function eachWorkload(input: RuleInput, test: (w: WorkloadView) => string | undefined): RawFinding[] {
  if (input.pass !== "json") return [];
  const out: RawFinding[] = [];
  for (const w of input.stack.workloads) {
    const message = test(w);
    if (message) out.push({ path: w.resource, service: w.service, message, inStack: true });
  }
  return out;
}
