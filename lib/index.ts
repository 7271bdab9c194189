/**
 * envkit: describe a containerised application once and synthesize hardened Terraform (cdktf)
 * stacks for each environment. This file only re-exports the public surface.
 *
 * Importing it loads neither cdktf nor a provider package: configuration, validation, guardrail
 * and review functions are plain re-exports, and the construct classes (which load cdktf and the
 * provider classes, most of the import cost) are loaded on first access (see the end of the file).
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
  checkEachStack,
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
export { synthApp, validationProblems } from "./synth-app";
export type { SynthAppOptions } from "./synth-app";
export type { EnvironmentStackProps, ResolvedStackProps, DeclaredStackProps } from "../stacks/environment-stack";

// Target-neutral constructs: their props (the classes are loaded on first access, below).
export type { EnvironmentProps } from "./constructs/environment";
export type { EnvironmentSettings } from "./constructs/lowering";
export type { ServiceProps } from "./constructs/service";
export type { StatefulServiceProps } from "./constructs/stateful-service";
export type { VolumeProps } from "./constructs/volume";
export type { SecretProps } from "./constructs/secret";
export type { QuotaProps } from "./constructs/quota";
export type { ConnectionProps } from "./constructs/connection";
export type * from "./constructs/service-props";

// Targets (constructs and adapters).
export type { TargetAdapter, TargetIssue } from "./targets/target";
export { adapterFor, supportedTargets } from "./targets/registry";
export type { DockerEnvironmentProps } from "./targets/docker/docker-environment";
export type { DockerServiceProps } from "./targets/docker/docker-service";
export type { KubernetesEnvironmentProps } from "./targets/kubernetes/kubernetes-environment";
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

// Constructs, loaded on first access. Each is declared here with its class's exact type (a value
// of the constructor type plus the instance type under the same name, so `new`, `instanceof`,
// `extends` and type annotations work as with a plain re-export) and defined at run time as a
// getter. The getters have the form Node's CommonJS export detection recognises
// (`get: function () { return x.y; }`), so `import { EnvironmentStack } from "envkit"` also works
// from an ES module (which reads every export on import, and so loads cdktf then).
import type * as EnvironmentStackModule from "../stacks/environment-stack";
import type * as EnvironmentModule from "./constructs/environment";
import type * as ServiceModule from "./constructs/service";
import type * as StatefulServiceModule from "./constructs/stateful-service";
import type * as VolumeModule from "./constructs/volume";
import type * as SecretModule from "./constructs/secret";
import type * as QuotaModule from "./constructs/quota";
import type * as ConnectionModule from "./constructs/connection";
import type * as DockerEnvironmentModule from "./targets/docker/docker-environment";
import type * as DockerServiceModule from "./targets/docker/docker-service";
import type * as KubernetesEnvironmentModule from "./targets/kubernetes/kubernetes-environment";
import type * as KubernetesServiceModule from "./targets/kubernetes/kubernetes-service";
import type * as PrometheusOperatorModule from "./targets/kubernetes/prometheus-operator";

/** One Terraform stack per environment, with its own backend (see stacks/environment-stack.ts). */
export declare const EnvironmentStack: typeof EnvironmentStackModule.EnvironmentStack;
export type EnvironmentStack = EnvironmentStackModule.EnvironmentStack;
/** An environment inside a stack of your own (see lib/constructs/environment.ts). */
export declare const Environment: typeof EnvironmentModule.Environment;
export type Environment = EnvironmentModule.Environment;
/** One stateless service of an environment (see lib/constructs/service.ts). */
export declare const Service: typeof ServiceModule.Service;
export type Service = ServiceModule.Service;
/** A service that keeps data in persistent volumes (see lib/constructs/stateful-service.ts). */
export declare const StatefulService: typeof StatefulServiceModule.StatefulService;
export type StatefulService = StatefulServiceModule.StatefulService;
/** A persistent volume of a stateful service. */
export declare const Volume: typeof VolumeModule.Volume;
export type Volume = VolumeModule.Volume;
/** A secret of the environment, by name only. */
export declare const Secret: typeof SecretModule.Secret;
export type Secret = SecretModule.Secret;
/** The environment's resource budget. */
export declare const Quota: typeof QuotaModule.Quota;
export type Quota = QuotaModule.Quota;
/** A declared connection from one service to another's port (made by `connectTo`). */
export declare const Connection: typeof ConnectionModule.Connection;
export type Connection = ConnectionModule.Connection;
/** An environment on one Docker host: networks, volumes, images and containers. */
export declare const DockerEnvironment: typeof DockerEnvironmentModule.DockerEnvironment;
export type DockerEnvironment = DockerEnvironmentModule.DockerEnvironment;
/** One service of a Docker environment. */
export declare const DockerService: typeof DockerServiceModule.DockerService;
export type DockerService = DockerServiceModule.DockerService;
/** An environment in one Kubernetes namespace: quota, limit range, policies, secrets. */
export declare const KubernetesEnvironment: typeof KubernetesEnvironmentModule.KubernetesEnvironment;
export type KubernetesEnvironment = KubernetesEnvironmentModule.KubernetesEnvironment;
/** One service of a Kubernetes environment: workload, service, policies, disruption budget. */
export declare const KubernetesService: typeof KubernetesServiceModule.KubernetesService;
export type KubernetesService = KubernetesServiceModule.KubernetesService;
/** Opt-in PrometheusRule and ServiceMonitors of an environment, for a stack of their own (the CRDs must exist at plan time). */
export declare const PrometheusOperatorObjects: typeof PrometheusOperatorModule.PrometheusOperatorObjects;
export type PrometheusOperatorObjects = PrometheusOperatorModule.PrometheusOperatorObjects;
export type { PrometheusOperatorObjectsProps } from "./targets/kubernetes/prometheus-operator";

/* eslint-disable @typescript-eslint/no-require-imports */
const constructs = {
  get EnvironmentStack() {
    return (require("../stacks/environment-stack") as typeof EnvironmentStackModule).EnvironmentStack;
  },
  get Environment() {
    return (require("./constructs/environment") as typeof EnvironmentModule).Environment;
  },
  get Service() {
    return (require("./constructs/service") as typeof ServiceModule).Service;
  },
  get StatefulService() {
    return (require("./constructs/stateful-service") as typeof StatefulServiceModule).StatefulService;
  },
  get Volume() {
    return (require("./constructs/volume") as typeof VolumeModule).Volume;
  },
  get Secret() {
    return (require("./constructs/secret") as typeof SecretModule).Secret;
  },
  get Quota() {
    return (require("./constructs/quota") as typeof QuotaModule).Quota;
  },
  get Connection() {
    return (require("./constructs/connection") as typeof ConnectionModule).Connection;
  },
  get DockerEnvironment() {
    return (require("./targets/docker/docker-environment") as typeof DockerEnvironmentModule).DockerEnvironment;
  },
  get DockerService() {
    return (require("./targets/docker/docker-service") as typeof DockerServiceModule).DockerService;
  },
  get KubernetesEnvironment() {
    return (require("./targets/kubernetes/kubernetes-environment") as typeof KubernetesEnvironmentModule).KubernetesEnvironment;
  },
  get KubernetesService() {
    return (require("./targets/kubernetes/kubernetes-service") as typeof KubernetesServiceModule).KubernetesService;
  },
  get PrometheusOperatorObjects() {
    return (require("./targets/kubernetes/prometheus-operator") as typeof PrometheusOperatorModule).PrometheusOperatorObjects;
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */
Object.defineProperty(exports, "EnvironmentStack", { enumerable: true, get: function () { return constructs.EnvironmentStack; } });
Object.defineProperty(exports, "Environment", { enumerable: true, get: function () { return constructs.Environment; } });
Object.defineProperty(exports, "Service", { enumerable: true, get: function () { return constructs.Service; } });
Object.defineProperty(exports, "StatefulService", { enumerable: true, get: function () { return constructs.StatefulService; } });
Object.defineProperty(exports, "Volume", { enumerable: true, get: function () { return constructs.Volume; } });
Object.defineProperty(exports, "Secret", { enumerable: true, get: function () { return constructs.Secret; } });
Object.defineProperty(exports, "Quota", { enumerable: true, get: function () { return constructs.Quota; } });
Object.defineProperty(exports, "Connection", { enumerable: true, get: function () { return constructs.Connection; } });
Object.defineProperty(exports, "DockerEnvironment", { enumerable: true, get: function () { return constructs.DockerEnvironment; } });
Object.defineProperty(exports, "DockerService", { enumerable: true, get: function () { return constructs.DockerService; } });
Object.defineProperty(exports, "KubernetesEnvironment", { enumerable: true, get: function () { return constructs.KubernetesEnvironment; } });
Object.defineProperty(exports, "KubernetesService", { enumerable: true, get: function () { return constructs.KubernetesService; } });
Object.defineProperty(exports, "PrometheusOperatorObjects", { enumerable: true, get: function () { return constructs.PrometheusOperatorObjects; } });
