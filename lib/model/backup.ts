import type { BackupMethod } from "./environment";
import { ImageRef } from "./image-ref";

/*
 * What a backup method needs to know about a database, independent of any target: which images
 * carry which dump client, and the port each speaks by default.
 */

/** The dump method whose client a database image carries, by the image's last path segment. */
const DUMP_METHOD_BY_IMAGE: ReadonlyMap<string, Exclude<BackupMethod, "archive">> = new Map([
  ["postgres", "postgres"],
  ["postgis", "postgres"],
  ["mysql", "mysql"],
  ["mariadb", "mysql"],
  ["percona-server", "mysql"],
  ["redis", "redis"],
  ["valkey", "redis"],
]);

/** Default port of each dump method's server. */
export const DUMP_PORTS: Readonly<Record<Exclude<BackupMethod, "archive">, number>> = { postgres: 5432, mysql: 3306, redis: 6379 };

/** The dump method of a database image (`docker.io/library/postgres` → postgres), if envkit knows one. */
export function dumpMethodOf(image: Pick<ImageRef, "repository">): Exclude<BackupMethod, "archive"> | undefined {
  const last = image.repository.split("/").pop() ?? "";
  return DUMP_METHOD_BY_IMAGE.get(last);
}

/** `14` → keep 14 backups; `"30d"` → keep 30 days. */
export function parseRetention(v: number | string): { count: number } | { days: number } {
  return typeof v === "number" ? { count: v } : { days: Number(v.slice(0, -1)) };
}
