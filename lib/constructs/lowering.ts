import { Construct } from "constructs";
import { Provenance, resolveAll } from "../config/resolve";
import { DefaultedValues } from "../config/defaulted-values";
import type { EnvironmentConfig } from "../config/schema";
import { sourceFromObjects } from "../config/load";
import { pathKey } from "../config/yaml-source";
import { ConfigIssue, EnvkitError } from "../errors";
import { TerraformProvider, TerraformStack, withoutTokenStackTraces } from "../facade/cdktf";
import type { EnvironmentModel, TargetName } from "../model/environment";
import { adapterFor, supportedTargets } from "../targets/registry";
import { Declarations, PrebuiltEnvironment } from "./declarations";

/**
 * Everything an environment file can set besides its services, releases, quota and secret
 * revisions (which the constructs declare): network range, policy, rollout, backend, the
 * target's own settings block, promotion. The same fields, checks and defaults as the file.
 */
export type EnvironmentSettings = Omit<EnvironmentConfig, "target" | "services" | "release" | "quota" | "secretRevisions">;

/** What an environment is, besides what its constructs declare. */
export interface EnvironmentDefinition {
  /** The application's name (the `<app>` of every resource name). */
  readonly app: string;
  /** The environment's name (`dev`, `staging`, …). */
  readonly name: string;
  /** Where it runs. */
  readonly target: TargetName;
  readonly settings: EnvironmentSettings;
}

/**
 * Provenance for declarations made in TypeScript: a value is located at the construct that
 * declared it (`shop-staging/api`), since there is no file and line.
 */
class DeclaredProvenance extends Provenance {
  constructor(
    private readonly inner: Provenance,
    private readonly where: (path: string) => string,
  ) {
    super({ file: "", data: {}, lines: new Map() }, { file: "", data: {}, lines: new Map() }, new DefaultedValues());
  }

  public origin(segments: readonly (string | number)[]): ReturnType<Provenance["origin"]> {
    return this.inner.origin(segments);
  }

  public locate(segments: readonly (string | number)[]): { file?: string; line?: number } {
    return { file: this.where(pathKey(segments)) };
  }
}

/**
 * The resolved environment of `declarations`: the prebuilt one when a builder made them from a
 * resolved configuration, else the declarations compiled to configuration objects and resolved
 * with the same resolver, validation and target checks as files. Every problem is located at the
 * construct that declared the value; all of them come back in one EnvkitError.
 */
export function resolveDeclarations(declarations: Declarations, def: EnvironmentDefinition, environmentPath: string): PrebuiltEnvironment {
  if (declarations.resolved) return declarations.resolved;
  const where = (path: string): string => declarations.declarerOf(path) ?? environmentPath;
  const relocate = (issues: readonly ConfigIssue[]): ConfigIssue[] => issues.map((i) => ({ ...i, file: where(i.path), line: undefined }));
  const { app, environment } = declarations.toConfig(def.app, { ...def.settings, target: def.target as EnvironmentConfig["target"] });
  let result;
  try {
    result = resolveAll(sourceFromObjects(app, { [def.name]: environment }));
  } catch (e) {
    if (e instanceof EnvkitError) throw new EnvkitError(relocate(e.issues));
    throw e;
  }
  const issues = [...result.issues];
  const resolved = result.environments[0];
  if (resolved) {
    const adapter = adapterFor(resolved.model.target);
    if (!adapter) issues.push({ path: "target", message: notImplemented(resolved.model.target) });
    else issues.push(...adapter.validate(resolved.model).map((t) => ({ path: pathKey(t.path), message: t.message, severity: t.severity })));
  }
  const errors = issues.filter((i) => i.severity !== "warning");
  if (errors.length > 0 || !resolved) throw new EnvkitError(relocate(errors.length > 0 ? errors : issues));
  return { ...resolved, provenance: new DeclaredProvenance(resolved.provenance, where) };
}

function notImplemented(target: string): string {
  return `target "${target}" is not implemented in this version of envkit; use one of ${supportedTargets().map((t) => `"${t}"`).join(", ")}`;
}

/**
 * The provider the environment's resources use: the one passed in, else the stack's own default
 * (unaliased) provider of the target's type when the user already configured one — never a
 * second default provider block — else none (the adapter creates one).
 */
function providerFor(scope: Construct, type: string, given?: TerraformProvider): TerraformProvider | undefined {
  if (given) return given;
  const stack = TerraformStack.of(scope);
  return stack.node.findAll().find((c): c is TerraformProvider => c instanceof TerraformProvider && c.terraformResourceType === type && c.alias === undefined);
}

/** Adds every resource of `model` under `scope` through its target's adapter. */
export function lowerEnvironment(scope: Construct, model: EnvironmentModel, given?: TerraformProvider): void {
  const adapter = adapterFor(model.target);
  if (!adapter) throw new EnvkitError([{ file: scope.node.path || model.name, path: "target", message: `environment "${model.name}": ${notImplemented(model.target)}` }]);
  const clash = scope.node.tryFindChild(adapter.name);
  if (clash) {
    throw new EnvkitError([
      { file: clash.node.path, path: "", message: `the id "${adapter.name}" is where environment "${model.name}" puts its ${adapter.name} resources; give this construct another id` },
    ]);
  }
  const provider = providerFor(scope, adapter.providerType, given);
  // envkit's own tokens need no creation stack traces (a quarter of synthesis time); the consumer's keep theirs.
  try {
    withoutTokenStackTraces(() => adapter.lower(scope, model, { provider }));
  } catch (e) {
    throw idClashIssue(e, scope, model) ?? e;
  }
}

/** The config path of the first setting named `*Secret` whose value is `name` (outside `services`), or undefined. */
function secretSettingAt(doc: unknown, name: string): string | undefined {
  const walk = (v: unknown, at: string[]): string | undefined => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const hit = walk(v[i], [...at, String(i)]);
        if (hit) return hit;
      }
    } else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (at.length === 0 && k === "services") continue;
        if (/Secret$/.test(k) && x === name) return [...at, k].join(".");
        const hit = walk(x, [...at, k]);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  return walk(doc, []);
}

/** What the constructs library says when a scope gets a second child of one id. */
const ID_CLASH = /^There is already a Construct with name '([^']*)' in (\S+)(?: \[([^\]]*)\])?$/;

/**
 * A service or secret whose name is an id the target's environment construct gives something else
 * (its proxy, provider, namespace, a secret's Terraform variable, another service's backup) as a
 * located issue naming both and the fix, instead of the constructs library's bare error; a clash
 * with no name of the user's that envkit can point at still gets a message. Undefined for any
 * other error, which stands.
 */
function idClashIssue(e: unknown, scope: Construct, model: EnvironmentModel): EnvkitError | undefined {
  const m = e instanceof Error ? ID_CLASH.exec(e.message) : null;
  if (!m) return undefined;
  const [, name, , where] = m;
  const service = model.services.find((s) => s.name === name);
  const holders = model.services.filter((s) => s.secrets.some((sec) => sec.name === name));
  const inside = `${scope.node.path ? `${scope.node.path}/` : ""}${where ?? ""}`;
  const other = ` (both would be ${inside}/${name})`;
  const env = `environment "${model.name}" (target ${model.target})`;
  // A secret named in the settings (a registry's passwordSecret, a receiver's webhookSecret):
  // envkit declares its Terraform variable under that name too.
  const setting = secretSettingAt(model.effective, name);
  if (setting && (!service || holders.length === 0)) {
    return new EnvkitError([{ path: setting, message: `"${name}" names a secret whose Terraform variable ${env} declares under that name, which ${service ? `service "${name}"` : "a construct of envkit's own"} has too${other}; rename the secret` }]);
  }
  if (!service && holders.length === 0) {
    // No name of the user's that envkit knows: still a located message, never the bare error.
    return new EnvkitError([{ path: "", message: `the name "${name}" is used twice in ${env}${other}: by something this configuration names (a service, a secret, a volume?) and by a construct of envkit's own; rename it` }]);
  }
  if (service && holders.length > 0) {
    return new EnvkitError([
      { path: `services.${service.name}`, message: `service "${name}" and the secret "${name}" (of ${holders.map((h) => `service "${h.name}"`).join(", ")}) share a name, which in ${env} is the id of both their constructs (a secret's Terraform variable is named after it)${other}; rename the secret or the service` },
    ]);
  }
  if (service) {
    return new EnvkitError([{ path: `services.${service.name}`, message: `service "${name}" has a name that ${env} also uses for a construct of envkit's own${other}; the two cannot share it: rename the service` }]);
  }
  const holder = holders[0];
  const at = holder.secrets.findIndex((sec) => sec.name === name);
  return new EnvkitError([
    { path: `services.${holder.name}.secrets.${at}`, message: `secret "${name}" has a name that ${env} also uses for a construct of envkit's own${other}; the Terraform variable of a secret is named after it, so the two cannot share it: rename the secret` },
  ]);
}
