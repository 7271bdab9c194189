import { Construct } from "constructs";
import type { AppConfig, EnvironmentConfig, ServiceConfig } from "../config/schema";
import { monitoringSetNames } from "../targets/registry";
import { Declarations, PrebuiltEnvironment } from "./declarations";
import { Quota } from "./quota";
import { Secret } from "./secret";
import { Service, ServiceProps } from "./service";
import { StatefulService } from "./stateful-service";
import type { BackupProps } from "./service-props";
import type { VolumeProps } from "./volume";
import type { EnvironmentSettings } from "./lowering";
import { indexOf } from "../model/environment-index";

/** The effective document of a resolved environment (app.yaml layered with its file, defaults applied). */
type Effective = Omit<AppConfig, "services"> & EnvironmentConfig & { services: Record<string, ServiceConfig> };

/** Construct ids of what the builder declares; `:` is in no service name, so they never clash. */
export const SECRET_ID = (name: string): string => `secret:${name}`;
export const QUOTA_ID = "quota:";
/** Construct ids a stack uses itself (cdktf names every backend construct "backend"). */
export const RESERVED_IDS: ReadonlySet<string> = new Set(["backend"]);

/**
 * The YAML path as a thin builder: declares under `scope` the same Service, StatefulService,
 * Secret, Quota and Connection constructs a TypeScript user writes, from the effective
 * configuration of `resolved`. The declarations remember `resolved`, so lowering uses it (with its
 * file:line provenance) unless something is declared afterwards, when they are resolved afresh.
 */
export function declareFromResolved(scope: Construct, declarations: Declarations, resolved: PrebuiltEnvironment): void {
  const doc = resolved.model.effective as unknown as Effective;
  const secrets = new Map<string, Secret>();
  const secretOf = (name: string): Secret => {
    let s = secrets.get(name);
    if (!s) {
      const revision = doc.secretRevisions && Object.hasOwn(doc.secretRevisions, name) ? doc.secretRevisions[name] : undefined;
      s = new Secret(scope, SECRET_ID(name), { name, ...(revision !== undefined ? { revision } : {}) });
      secrets.set(name, s);
    }
    return s;
  };
  if (doc.quota) new Quota(scope, QUOTA_ID, doc.quota);
  const services = new Map<string, Service>();
  // The monitoring set is the resolver's to add (monitoring.stack): declared here, a fresh
  // resolution would find its services twice.
  const added = monitoringSetNames(resolved.model);
  const declared = Object.keys(doc.services).filter((name) => !added.has(name));
  const modelServices = indexOf(resolved.model);
  for (const name of declared) {
    const { kind, secrets: secretNames, volumes, backup, ...rest } = doc.services[name];
    delete rest.connections; // declared below with connectTo
    delete rest.files; // from the model below (a `source` has no folder to be read from here)
    const release = doc.release && Object.hasOwn(doc.release, name) ? doc.release[name] : undefined;
    // Config files as the model holds them: their text, already read from any `source`.
    const files = modelServices.service(name)?.files;
    const props: ServiceProps = { ...(rest as Omit<typeof rest, "files">), ...(kind === "job" || kind === "cronjob" ? { kind } : {}), name, release: release as string, secrets: (secretNames ?? []).map(secretOf), ...(files?.length ? { files } : {}) };
    // A service named like a construct the stack itself holds keeps its name, under another id.
    const id = RESERVED_IDS.has(name) || name === resolved.model.target ? `service:${name}` : name;
    const service =
      kind === "stateful"
        ? new StatefulService(scope, id, { ...props, volumes: Object.fromEntries((volumes ?? []).map(({ name: v, ...volume }) => [v, volume as VolumeProps])), ...(backup ? { backup: backup as BackupProps } : {}) })
        : new Service(scope, id, props);
    services.set(name, service);
  }
  for (const name of declared) {
    for (const c of doc.services[name].connections ?? []) services.get(name)!.connectTo(services.get(c.to)!, c.port, { ...(c.optional !== undefined && { optional: c.optional }), ...(c.env !== undefined && { env: c.env }) });
  }
  declarations.builtFrom(resolved);
}

/** The settings part of a resolved environment's effective document (see {@link EnvironmentSettings}). */
export function settingsOf(model: PrebuiltEnvironment["model"]): EnvironmentSettings {
  const settings: Record<string, unknown> = { ...(model.effective as unknown as Effective) };
  // What the constructs declare themselves (services, releases, quota, secret revisions) and the app-level name and target.
  for (const key of ["name", "services", "target", "release", "quota", "secretRevisions"]) delete settings[key];
  return settings as EnvironmentSettings;
}
