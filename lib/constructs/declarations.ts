import { Construct, IConstruct } from "constructs";
import type { AppConfig, EnvironmentConfig, ServiceConfig } from "../config/schema";
import type { Provenance } from "../config/resolve";
import type { EnvironmentModel } from "../model/environment";
import { EnvkitError } from "../errors";

/*
 * What the target-neutral constructs declare, gathered per environment. The constructs only
 * record intent; the environment (an EnvironmentStack, or an Environment inside the user's own
 * stack) compiles the declarations into the same configuration objects app.yaml and the
 * environment files are (AppConfig, EnvironmentConfig), resolves them with the same resolver —
 * validation, defaults, semantic checks — and lowers the model through the target's adapter.
 * One path from there on, whichever way the application was written.
 */

/** A construct that contributes to its environment's configuration. */
export interface Declaration {
  readonly node: Construct["node"];
}

/** A service as the environment compiles it. */
export interface DeclaredService extends Declaration {
  /** The service name (DNS label). */
  readonly serviceName: string;
  /** Its app.yaml form (image repository, ports, resources …) without the release. */
  toServiceConfig(): ServiceConfig;
  /** The release pin (`tag@sha256:…`) for this environment. */
  readonly release?: string;
}

/** A secret as the environment compiles it. */
export interface DeclaredSecret extends Declaration {
  readonly secretName: string;
  readonly revision?: number;
}

/** A quota as the environment compiles it. */
export interface DeclaredQuota extends Declaration {
  toQuotaConfig(): NonNullable<EnvironmentConfig["quota"]>;
}

/** A resolved environment as lowering needs it: the model, and where its values came from when known. */
export interface PrebuiltEnvironment {
  readonly model: EnvironmentModel;
  readonly provenance?: Provenance;
}

/** Marks the constructs that hold an environment's declarations (found by walking up the tree). */
const HOLDER = Symbol.for("envkit.declarations");

/** Implemented by `EnvironmentStack` and `Environment`. */
export interface DeclarationHolder extends IConstruct {
  readonly [HOLDER]: Declarations;
}

/** Makes `scope` the environment that constructs below it declare into. */
export function holdDeclarations(scope: IConstruct, declarations: Declarations): void {
  Object.defineProperty(scope, HOLDER, { value: declarations, enumerable: false });
}

/** The declarations of the environment `c` is in; a clear error when it is in none. */
export function declarationsOf(c: IConstruct, what: string): Declarations {
  for (let s: IConstruct | undefined = c.node.scope; s; s = s.node.scope) {
    const held = (s as Partial<DeclarationHolder>)[HOLDER];
    if (held) return held;
  }
  throw new EnvkitError([
    {
      file: c.node.path || c.node.id,
      path: "",
      message: `a ${what} must be created inside an environment: pass an EnvironmentStack or an Environment (or a construct inside one) as its scope`,
    },
  ]);
}

/**
 * An environment's declared services, secrets and quota, in declaration order. Once lowered it is
 * sealed: a later declaration would be neither judged nor synthesized, so it is refused.
 */
export class Declarations {
  public readonly services: DeclaredService[] = [];
  /** `services` by name (the first declared of each), for the clash check of every new service. */
  private readonly serviceNames = new Map<string, DeclaredService>();
  public readonly secrets: DeclaredSecret[] = [];
  public quota?: DeclaredQuota;
  /** Connections added by `connectTo`, per client service name. */
  public readonly connections = new Map<string, { readonly to: string; readonly port: string; readonly optional?: boolean; readonly env?: string }[]>();
  /**
   * The resolved environment of exactly these declarations, when a builder made them from one
   * (the YAML path): it is used as is, with its file:line provenance. Any later declaration drops it.
   */
  private prebuilt?: PrebuiltEnvironment;
  private sealedBy?: string;

  constructor(private readonly environmentPath: () => string) {}

  /** Records a declaration; refused after lowering. */
  public add(d: Declaration, record: () => void): void {
    if (this.sealedBy) {
      throw new EnvkitError([
        {
          file: d.node.path,
          path: "",
          message: `environment ${this.environmentPath()} was already lowered (by ${this.sealedBy}), so this construct would be neither judged nor synthesized; create every envkit construct before synthesis`,
        },
      ]);
    }
    this.prebuilt = undefined;
    record();
  }

  /** The service declared with this name, if any. */
  public serviceNamed(name: string): DeclaredService | undefined {
    return this.serviceNames.get(name);
  }

  /** Adds a service (after {@link serviceNamed} found no other of its name). */
  public addService(s: DeclaredService): void {
    this.services.push(s);
    if (!this.serviceNames.has(s.serviceName)) this.serviceNames.set(s.serviceName, s);
  }

  /** Sets the resolved environment these declarations were built from (see {@link prebuilt}). */
  public builtFrom(resolved: PrebuiltEnvironment): void {
    this.prebuilt = resolved;
  }

  /** The resolved environment the declarations came from, if nothing was declared since. */
  public get resolved(): PrebuiltEnvironment | undefined {
    return this.prebuilt;
  }

  /** Marks the declarations lowered. */
  public seal(by: string): void {
    this.sealedBy ??= by;
  }

  public get sealed(): boolean {
    return this.sealedBy !== undefined;
  }

  /** The app.yaml and environment-file objects these declarations stand for. */
  public toConfig(app: string, settings: Omit<EnvironmentConfig, "services" | "release" | "quota" | "secretRevisions">): { app: AppConfig; environment: EnvironmentConfig } {
    const services: Record<string, ServiceConfig> = {};
    const release: Record<string, string> = {};
    for (const s of this.services) {
      const config = s.toServiceConfig();
      const connections = [...(config.connections ?? []), ...(this.connections.get(s.serviceName) ?? [])];
      services[s.serviceName] = connections.length > 0 ? { ...config, connections } : config;
      if (s.release !== undefined) release[s.serviceName] = s.release;
    }
    const secretRevisions: Record<string, number> = {};
    for (const s of this.secrets) if (s.revision !== undefined) secretRevisions[s.secretName] = s.revision;
    const environment: EnvironmentConfig = {
      ...settings,
      ...(Object.keys(release).length > 0 ? { release } : {}),
      ...(this.quota ? { quota: this.quota.toQuotaConfig() } : {}),
      ...(Object.keys(secretRevisions).length > 0 ? { secretRevisions } : {}),
    };
    return { app: { name: app, services }, environment };
  }

  /** The construct that declared a config path (`services.api.replicas` → the `api` service), for messages. */
  public declarerOf(path: string): string | undefined {
    const [head, name] = path.split(".");
    if ((head === "services" || head === "release") && name) return this.serviceNamed(name)?.node.path;
    if (head === "secretRevisions" && name) return this.secrets.find((s) => s.secretName === name)?.node.path;
    if (head === "quota") return this.quota?.node.path;
    return undefined;
  }
}
