import { BackupModel, ServiceModel, VolumeModel } from "../../model/environment";
import { BACKUP_SCHEDULE, schedulerHealthTest } from "./scheduler";

/*
 * What a backup run does, written once for every target: take the dump (or tar), check it, keep
 * it only when the check passes, then apply the retention. POSIX sh and the tools each method's
 * own image carries (pg_dump/pg_restore, mysqldump/gzip, redis-cli/redis-check-rdb, tar/gzip),
 * so the job runs in the database's image and needs no extra image to pin.
 */

/** Where the backup destination is mounted in the backup container or pod. */
export const BACKUP_DIR = "/backups";
/** Where `archive` mounts the volume it reads (read-only; its own path may collide with BACKUP_DIR). */
export const ARCHIVE_SOURCE_DIR = "/source";
/** The environment variable carrying the job, so one run can be started by hand (README "Backups and restore"). */
export const BACKUP_JOB_ENV = BACKUP_SCHEDULE.env;

/** Where the scheduler (shared/scheduler.ts) records the last run's outcome (`ok` or `failed`), on the tmpfs. */
export const BACKUP_STATUS_FILE = BACKUP_SCHEDULE.statusFile;
/** The scheduler container's health check: unhealthy while the last run failed. */
export const BACKUP_HEALTH_TEST = schedulerHealthTest(BACKUP_SCHEDULE);

/** File extension of each method's backups (the retention and the restore look for it). */
export const BACKUP_EXTENSION: Readonly<Record<BackupModel["method"], string>> = { postgres: "pgdump", mysql: "sql.gz", redis: "rdb", archive: "tar.gz" };

/** `<service>-` prefix of a service's backup files: `db-20261201T020000Z.pgdump`. */
export function backupFilePattern(svc: Pick<ServiceModel, "name">, b: Pick<BackupModel, "method">): string {
  return `${svc.name}-*.${BACKUP_EXTENSION[b.method]}`;
}

/**
 * The dump command and its integrity check, writing `$f.partial`. Credentials come from the
 * service's own configuration (the images' `*_FILE` convention, secrets mounted as files): never
 * on a command line, where every process on the host could read them.
 */
function dumpAndCheck(b: BackupModel, host: string, port: number | undefined): string[] {
  switch (b.method) {
    case "postgres":
      return [
        `if [ -n "\${POSTGRES_PASSWORD_FILE:-}" ]; then PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"; export PGPASSWORD; fi`,
        `u="\${POSTGRES_USER:-postgres}"`,
        // Custom format: compressed, and pg_restore can list it (the check) and restore selectively.
        `pg_dump -h ${host} -p ${port} -U "$u" -d "\${POSTGRES_DB:-$u}" -Fc -f "$f.partial"`,
        checked("postgres"),
      ];
    case "mysql":
      return [
        // The password goes to a client option file on the tmpfs, not to argv (where ps shows it).
        `if [ -n "\${MYSQL_ROOT_PASSWORD_FILE:-}" ]; then u=root; pw="$(cat "$MYSQL_ROOT_PASSWORD_FILE")"; dbs=--all-databases; else u="\${MYSQL_USER:?set MYSQL_ROOT_PASSWORD_FILE or MYSQL_USER}"; pw="$(cat "\${MYSQL_PASSWORD_FILE:?set MYSQL_PASSWORD_FILE}")"; dbs="--databases \${MYSQL_DATABASE:?set MYSQL_DATABASE}"; fi`,
        `printf '[client]\\npassword=%s\\n' "$pw" > /tmp/envkit-backup.cnf`,
        // sh has no pipefail: a failed mysqldump leaves a marker, so a truncated dump is never kept.
        `rm -f /tmp/envkit-backup.failed; { mysqldump --defaults-extra-file=/tmp/envkit-backup.cnf -h ${host} -P ${port} -u "$u" --single-transaction --routines --triggers $dbs || touch /tmp/envkit-backup.failed; } | gzip > "$f.partial"`,
        `rm -f /tmp/envkit-backup.cnf`,
        `if [ -e /tmp/envkit-backup.failed ]; then echo "envkit-backup: mysqldump failed" >&2; exit 1; fi`,
        checked("mysql"),
      ];
    case "redis":
      return [
        `if [ -n "\${REDIS_PASSWORD_FILE:-}" ]; then REDISCLI_AUTH="$(cat "$REDIS_PASSWORD_FILE")"; export REDISCLI_AUTH; fi`,
        // A point-in-time RDB streamed by the server itself (as to a replica): no access to its files.
        `redis-cli -h ${host} -p ${port} --rdb "$f.partial" >/dev/null`,
        checked("redis"),
      ];
    case "archive":
      return [`tar -C ${ARCHIVE_SOURCE_DIR} -czf "$f.partial" .`, checked("archive")];
  }
}

/**
 * The check a backup file must pass (after each run, and before a restore): the file is named by
 * `file`, a shell word. `archive`: gzip's CRC over the whole stream, then tar reads every header.
 */
export function integrityCheck(method: BackupModel["method"], file: string): string {
  switch (method) {
    case "postgres":
      return `pg_restore --list ${file} >/dev/null`;
    case "mysql":
      return `gzip -t ${file}`;
    case "redis":
      return `redis-check-rdb ${file} >/dev/null`;
    case "archive":
      return `gzip -t ${file} && tar -tzf ${file} >/dev/null`;
  }
}

/** The integrity check inside the job: `set -e` ignores a failure left of `&&`, so the failure exits explicitly. */
const checked = (method: BackupModel["method"]): string => `${integrityCheck(method, '"$f.partial"')} || { echo "envkit-backup: integrity check failed: $f.partial" >&2; exit 1; }`;

/** Deletes what the retention no longer keeps; the newest backup is always kept (a stalled job must not end with none). */
function retention(svc: ServiceModel, b: BackupModel, dir: string): string[] {
  const list = `ls -1 ${dir}/${backupFilePattern(svc, b)} 2>/dev/null | sort -r`;
  const r = b.retention;
  const prune =
    "count" in r
      ? `${list} | tail -n +${r.count + 1} | while read -r old; do rm -f "$old"; done`
      : `${list} | tail -n +2 | while read -r old; do if [ -n "$(find "$old" -mmin +${r.days * 1440})" ]; then rm -f "$old"; fi; done`;
  // A run killed mid-dump leaves a .partial: removed once it is a day old.
  return [prune, `find ${dir} -maxdepth 1 -name '${svc.name}-*.partial' -mmin +1440 -exec rm -f {} \\;`];
}

/**
 * One backup run of a service as a POSIX sh script (`dir`: where the destination is mounted): dump to `<dir>/<service>-<UTC time>.<ext>.partial`,
 * check it, rename it into place, prune. Any failing step stops the run with a non-zero status
 * (the CronJob's failed Job, the Docker container's log) and leaves no file that looks complete.
 * `dial` is the port the job reaches the database at by its service name: the container's own on
 * Docker and Swarm (a name resolves to the containers), the Service's `servicePort` on Kubernetes.
 */
export function backupJobScript(svc: ServiceModel, dir: string = BACKUP_DIR, dial: "port" | "servicePort" = "port"): string {
  const b = svc.backup;
  if (!b) throw new Error(`services.${svc.name}.backup: no backup to write a job for`);
  return [
    "set -eu",
    "umask 077",
    `f=${dir}/${svc.name}-$(date -u +%Y%m%dT%H%M%SZ).${BACKUP_EXTENSION[b.method]}`,
    ...dumpAndCheck(b, svc.name, b.port?.[dial]),
    `mv "$f.partial" "$f"`,
    ...retention(svc, b, dir),
    `echo "envkit-backup: wrote $f"`,
  ].join("\n");
}

/**
 * Why a target cannot write a service's backup where it is configured (each target lists the
 * destinations it can reach), as a located issue; undefined when it can.
 */
export function backupDestinationProblem(svc: ServiceModel, target: string, supported: readonly BackupModel["to"]["kind"][]): { path: (string | number)[]; message: string } | undefined {
  const b = svc.backup;
  if (!b) return undefined;
  if (supported.length === 0) return { path: ["services", svc.name, "backup"], message: `envkit does not schedule backups on ${target} yet; remove the backup here (backup: null) and suppress ENVK-DAT-001 with the reason and the backup you run instead` };
  if (supported.includes(b.to.kind)) return undefined;
  return { path: ["services", svc.name, "backup", "to", b.to.kind], message: `a backup to ${b.to.kind} is not available on ${target}; use ${supported.join(" or ")}` };
}

/**
 * Where an engine target (Docker, Swarm) mounts a backup volume in the job's container: the
 * service's data folder (the archived volume's, else the first). The engine gives a new volume the
 * owner and mode of the image folder it is first mounted on, so the non-root job can write it
 * without a root helper.
 */
export function backupVolumeHome(svc: ServiceModel): VolumeModel {
  const home = svc.backup?.volume ?? svc.volumes[0];
  if (!home) throw new Error(`services.${svc.name}.backup.to.volume: "${svc.name}" has no volume whose folder the image prepares for its user; back up to a hostPath instead`);
  return home;
}

/** Why an engine target cannot mount a service's backup volume (see {@link backupVolumeHome}), as a located issue; undefined when it can. */
export function backupVolumeHomeProblem(svc: ServiceModel, target: string): { path: (string | number)[]; message: string } | undefined {
  if (svc.backup?.to.kind !== "volume" || svc.volumes.length > 0) return undefined;
  return { path: ["services", svc.name, "backup", "to", "volume"], message: `on ${target} a backup volume is mounted on the service's data folder (so the engine gives it the folder's owner), and "${svc.name}" has no volume; back up to a hostPath, or declare the volume` };
}
