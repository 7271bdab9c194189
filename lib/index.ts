/**
 * envkit: describe a containerised application once and synthesize hardened Terraform (cdktf)
 * stacks for each environment. This file only re-exports the public surface.
 */

// Configuration: schemas (the public input types), loading, layering, provenance.
export { AppSchema, EnvironmentSchema, ServiceSchema, BackendSchema } from "./config/schema";
export type { AppConfig, EnvironmentConfig, ServiceConfig, BackendConfig } from "./config/schema";
export { loadConfigDir, readConfigDir, sourceFromObjects, resolveObjects, loadOrThrow } from "./config/load";
export { resolveAll, Provenance } from "./config/resolve";
export type { ConfigSource, ResolvedEnvironment, ResolveResult, ValueOrigin } from "./config/resolve";
export { layer } from "./config/merge";
export { DEFAULTS } from "./config/defaults";
export type { DefaultRule } from "./config/defaults";

// Errors.
export { EnvkitError, formatIssue } from "./errors";
export type { ConfigIssue } from "./errors";

// The target-neutral model and its value types.
export type * from "./model/environment";
export { environmentSecrets } from "./model/environment";
export { parseCpu, parseMemory, cpuToKubernetes, memoryToKubernetes } from "./model/quantity";
export { parseImageRef, formatImageRef, checkImmutable } from "./model/image-ref";
export type { ImageRef } from "./model/image-ref";
export { parseCidr } from "./model/cidr";

// Pipeline and stacks.
export {
  validateDir,
  validateSource,
  checkDir,
  checkStacks,
  memoryScope,
  addEnvironmentStacks,
  newApp,
  synthesizeProject,
  synthesizeTo,
  synthesizeInto,
  writeModelSidecars,
  configErrors,
  unsafeOutDir,
  removeStaleTemporaries,
  PRESERVED_STACK_FILES,
} from "./pipeline";
export type { ValidatedProject, CheckedProject, SynthesisResult, AddStacksOptions, NewAppOptions } from "./pipeline";
export { EnvironmentStack } from "../stacks/environment-stack";
export type { EnvironmentStackProps } from "../stacks/environment-stack";

// Targets (constructs and adapters).
export type { TargetAdapter, TargetIssue } from "./targets/target";
export { adapterFor, supportedTargets } from "./targets/registry";
export { DockerEnvironment } from "./targets/docker/docker-environment";
export type { DockerEnvironmentProps } from "./targets/docker/docker-environment";
export { DockerService } from "./targets/docker/docker-service";
export type { DockerServiceProps } from "./targets/docker/docker-service";
export { KubernetesEnvironment } from "./targets/kubernetes/kubernetes-environment";
export type { KubernetesEnvironmentProps } from "./targets/kubernetes/kubernetes-environment";
export { KubernetesService } from "./targets/kubernetes/kubernetes-service";
export type { KubernetesServiceProps } from "./targets/kubernetes/kubernetes-service";

// Guardrails.
export { RULES, ruleById } from "./policy/rules";
export type { Rule } from "./policy/rule";
export { evaluatePolicy, evaluateEnvironment, evaluateProject, evaluateSynthesized, mergeReports } from "./policy/engine";
export type { Finding, PolicyReport, GuardedEnvironment } from "./policy/engine";
export { releaseHistory } from "./policy/history";
export { terraformLiteral, inertModel } from "./targets/shared/terraform-literal";
export { toText as policyText, toJson as policyJson, toSarif as policySarif, ruleCatalogue } from "./policy/report";

// Review tools.
export { diffOutputs, diffStacks } from "./review/stack-diff";
export type { DiffReport, EnvironmentChange, ResourceChange } from "./review/stack-diff";
export { toMarkdown } from "./review/markdown";
export { planToReport } from "./review/plan";
export { compareEnvironments, comparisonMarkdown } from "./review/compare";
export { toMermaid, toDot } from "./review/graph";

// The CLI, in-process.
export { runCli } from "./cli/main";
