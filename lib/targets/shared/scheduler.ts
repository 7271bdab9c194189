import { ServiceModel } from "../../model/environment";
import { CronSchedule, parseCron } from "../../model/cron";
import { terraformLiteral } from "./terraform-literal";

/*
 * envkit's scheduler for the engine targets (one Docker host, Swarm), which have none: one
 * long-lived container whose entrypoint is a POSIX sh loop that runs a job at every match of a
 * cron schedule in UTC. Written once, used by the scheduled backups (backup-job.ts) and by
 * `kind: cronjob` services; each names its job variable and status file with a {@link ScheduledJob}.
 */

/** What one scheduler runs: the variable holding the job, where it records the last run's outcome, the prefix of its log lines. */
export interface ScheduledJob {
  /** The environment variable carrying the job (sh), so one run can be started by hand. */
  readonly env: string;
  /** Where the scheduler records the last run's outcome (`ok` or `failed`); a tmpfs path. */
  readonly statusFile: string;
  /** Prefix of the scheduler's log lines. */
  readonly log: string;
}

/** The scheduled backup of a service (README "Backups and restore"). */
export const BACKUP_SCHEDULE: ScheduledJob = { env: "ENVKIT_BACKUP_JOB", statusFile: "/tmp/envkit-backup.status", log: "envkit-backup" };
/** A `kind: cronjob` service's command (README "Jobs, exposure and egress"). */
export const CRON_SCHEDULE: ScheduledJob = { env: "ENVKIT_CRON_JOB", statusFile: "/tmp/envkit-cron.status", log: "envkit-cron" };

/** The folder of both status files: a scheduler container always has a tmpfs here. */
export const SCHEDULER_TMP = "/tmp";

/** The shell every scheduler runs in (an image without it cannot run a scheduled job: README). */
export const SCHEDULER_SHELL = "/bin/sh";

/** The scheduler container's health check: unhealthy while the last run failed (healthy before the first run). */
export function schedulerHealthTest(job: ScheduledJob): string[] {
  return ["CMD-SHELL", `! grep -q failed ${job.statusFile} 2>/dev/null`];
}

/**
 * Timings of that health check: the status changes once per run, so once a minute is enough; one
 * failed check is the failure (the run already failed). No wait on it at apply (the first check
 * comes after one interval, and it is healthy until a run failed).
 */
export const SCHEDULER_HEALTH = { interval: "1m", timeout: "5s", retries: 1, startPeriod: "10s" } as const;

/** `case` alternatives of a field's values (`0|15|30|45`). */
const alternatives = (values: readonly number[]): string => values.join("|");

/**
 * sh lines that `continue` the enclosing loop unless the minute in `$m $h $d $mo $w` (numbers
 * without leading zeros, weekday 0-6 from Sunday) matches the schedule.
 */
export function cronTestLines(c: CronSchedule): string[] {
  const test = (v: string, values: readonly number[]): string => `case "$${v}" in ${alternatives(values)}) ;; *) continue;; esac`;
  const day = c.daysRestricted && c.weekdaysRestricted ? `case "$d" in ${alternatives(c.days)}) ;; *) ${test("w", c.weekdays)};; esac` : `${test("d", c.days)}; ${test("w", c.weekdays)}`;
  return [test("m", c.minutes), test("h", c.hours), test("mo", c.months), day];
}

/**
 * The scheduler: a POSIX sh loop that wakes at every minute boundary, evaluates the cron schedule
 * on UTC time exactly as {@link cronMatches} does (both day fields restricted: either matches),
 * and runs the job in `$<job.env>` with `sh -c`. No crond: it needs no crontab file (a read-only
 * container cannot receive one from the provider), no /etc/passwd entry for the uid and no root.
 * A run that lasts past the next match skips it (no overlapping runs, like concurrencyPolicy
 * Forbid). The outcome of each run goes to `job.statusFile` for the health check.
 */
export function schedulerScript(schedule: string, job: ScheduledJob): string {
  const s = parseCron(schedule);
  if (!s.ok) throw new Error(`schedule: ${s.error}`);
  const c = s.value;
  return [
    `echo "${job.log}: schedule ${c.text} (UTC)"`,
    // sh as PID 1 ignores SIGTERM without a handler: without it every stop would wait for SIGKILL.
    "trap 'exit 0' TERM INT",
    "while :; do",
    // ${x#0} strips one leading zero: "08" is not an octal error in $(( )), "00" becomes "0".
    // Sleep in the background and wait: a trap runs only between commands.
    '  s=$(date -u +%S); s=${s#0}; sleep $((60 - s)) & wait $!',
    "  set -- $(date -u '+%M %H %d %m %w')",
    "  m=${1#0}; h=${2#0}; d=${3#0}; mo=${4#0}; w=$5",
    ...cronTestLines(c).map((l) => `  ${l}`),
    `  if sh -c "$${job.env}"; then echo ok > ${job.statusFile}; else echo "${job.log}: run failed (exit $?)" >&2; echo failed > ${job.statusFile}; fi`,
    "done",
  ].join("\n");
}

/** The scheduler container's entrypoint: `/bin/sh -c <scheduler>`, escaped for Terraform (generated shell, not configuration). */
export function schedulerEntrypoint(schedule: string, job: ScheduledJob): string[] {
  return [SCHEDULER_SHELL, "-c", terraformLiteral(schedulerScript(schedule, job))];
}

/** One word for sh: single-quoted, a `'` inside written `'\''`. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The job of a `kind: cronjob` service as the scheduler runs it: its `command` then its `args`,
 * each a quoted word (the model's strings are already inert for Terraform, and quoting adds no
 * `${`), run with `exec` so the job is the shell's process.
 */
export function cronJobCommand(svc: Pick<ServiceModel, "name" | "command" | "args">): string {
  if (!svc.command || svc.command.length === 0) throw new Error(`services.${svc.name}.command: a cronjob on an engine target needs its command (the scheduler replaces the image's entrypoint)`);
  return ["exec", ...[...svc.command, ...(svc.args ?? [])].map(shellQuote)].join(" ");
}

/** The cron job's scheduler container, what the engine targets share: entrypoint, the job's variable, the health check. */
export function cronJobContainer(svc: ServiceModel): { entrypoint: string[]; env: string; healthTest: string[] } {
  if (!svc.schedule) throw new Error(`services.${svc.name}.schedule: a cronjob needs a schedule`);
  return { entrypoint: schedulerEntrypoint(svc.schedule, CRON_SCHEDULE), env: `${CRON_SCHEDULE.env}=${cronJobCommand(svc)}`, healthTest: schedulerHealthTest(CRON_SCHEDULE) };
}
