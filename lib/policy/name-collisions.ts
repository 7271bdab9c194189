import type { StackJson } from "../targets/inspect";

/** Two or more resources of one type that would get one name (in one namespace) on the engine or cluster. */
export interface NameCollision {
  readonly type: string;
  readonly name: string;
  readonly namespace?: string;
  /** Their Terraform addresses (`type.logicalId`), sorted. */
  readonly addresses: readonly string[];
}

/** Resource types whose name is not an object of their own on the engine (an image is pulled by name, as often as it is used). */
const SHARED_BY_NAME = new Set(["docker_image", "docker_registry_image"]);

/**
 * Resources of one type named alike (Kubernetes: in one namespace), which the engine or cluster
 * cannot both hold, so `terraform apply` would fail on the second ("already exists"). envkit
 * derives names from services (`<service>-backup`, `<service>-canary`, `<service>-stable`,
 * `<service>-headless`, …), so a service named like a derived name takes it. Names holding a
 * Terraform expression are left out (their value is not known here).
 */
export function nameCollisions(json: StackJson): NameCollision[] {
  const groups = new Map<string, { type: string; name: string; namespace?: string; addresses: string[] }>();
  for (const type of Object.keys(json.resource ?? {}).sort()) {
    if (SHARED_BY_NAME.has(type)) continue;
    for (const [id, body] of Object.entries(json.resource![type])) {
      const meta = body.metadata as { name?: unknown; namespace?: unknown } | undefined;
      const name = type.startsWith("kubernetes_") ? meta?.name : body.name;
      if (typeof name !== "string" || name.includes("${")) continue;
      const namespace = type.startsWith("kubernetes_") && typeof meta?.namespace === "string" ? meta.namespace : undefined;
      const key = JSON.stringify([type, namespace ?? null, name]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { type, name, ...(namespace !== undefined ? { namespace } : {}), addresses: [] }));
      g.addresses.push(`${type}.${id}`);
    }
  }
  return [...groups.values()].filter((g) => g.addresses.length > 1).map((g) => ({ ...g, addresses: [...g.addresses].sort() }));
}
