import { ConnectionModel, EnvironmentModel, ServiceModel } from "./environment";

/**
 * Lookups by name over one environment model, built once per model: lowering asks "which
 * connections reach this service" and "which service is this name" for every service, and
 * scanning the lists each time made a 1,000-service environment do millions of comparisons.
 * Lists keep the model's order (what `filter` over the model's list would give).
 */
export interface EnvironmentIndex {
  /** The service named `name`, if the environment has one. */
  service(name: string): ServiceModel | undefined;
  /** Connections to the service `name`, in the model's order. */
  connectionsTo(name: string): readonly ConnectionModel[];
  /** Connections from the service `name`, in the model's order. */
  connectionsFrom(name: string): readonly ConnectionModel[];
}

const NONE: readonly ConnectionModel[] = [];
const INDEXES = new WeakMap<object, EnvironmentIndex>();

function group(list: readonly ConnectionModel[], key: (c: ConnectionModel) => string): Map<string, ConnectionModel[]> {
  const out = new Map<string, ConnectionModel[]>();
  for (const c of list) {
    const k = key(c);
    const at = out.get(k);
    if (at) at.push(c);
    else out.set(k, [c]);
  }
  return out;
}

/**
 * The index of `env`, kept per model object (models are not changed once built). Each lookup
 * builds its part on first use, so a caller holding only the connections can ask about them.
 */
export function indexOf(env: Partial<Pick<EnvironmentModel, "services" | "connections">>): EnvironmentIndex {
  let index = INDEXES.get(env);
  if (!index) {
    let services: Map<string, ServiceModel> | undefined;
    let to: Map<string, ConnectionModel[]> | undefined;
    let from: Map<string, ConnectionModel[]> | undefined;
    index = {
      service: (name) => {
        if (!services) {
          services = new Map();
          // The first of a name, as `find` would return it.
          for (const s of env.services ?? []) if (!services.has(s.name)) services.set(s.name, s);
        }
        return services.get(name);
      },
      connectionsTo: (name) => (to ??= group(env.connections ?? [], (c) => c.to)).get(name) ?? NONE,
      connectionsFrom: (name) => (from ??= group(env.connections ?? [], (c) => c.from)).get(name) ?? NONE,
    };
    INDEXES.set(env, index);
  }
  return index;
}
