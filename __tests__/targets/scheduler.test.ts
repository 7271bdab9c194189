import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cronMatches, parseCron } from "../../lib/model/cron";
import { BACKUP_SCHEDULE, CRON_SCHEDULE, ScheduledJob, cronJobCommand, schedulerHealthTest, schedulerScript, shellQuote } from "../../lib/targets/shared/scheduler";

/*
 * envkit's scheduler (shared/scheduler.ts) run for real: the generated loop in the host's sh
 * (dash on Debian) and in busybox's ash (the alpine images' sh), with `date` and `sleep` replaced
 * by shell functions (busybox runs its own applets whatever PATH says, but a function wins) that
 * walk a list of UTC minutes. The job records the minute it ran at; the test compares the runs
 * with cronMatches, and reads the health check after every run.
 */
const shells: string[][] = [["sh"], ...(fs.existsSync("/bin/busybox") ? [["/bin/busybox", "sh"]] : [])];

interface Run {
  runs: string[];
  /** The health check's verdict (exit 0 = healthy) before each minute was evaluated, in order. */
  health: string[];
  log: string;
}

const pad = (n: number): string => String(n).padStart(2, "0");
/** A minute as `date -u '+%M %H %d %m %w'` prints it (zero-padded, weekday 0-6 from Sunday). */
const clock = (d: Date): string => `${pad(d.getUTCMinutes())} ${pad(d.getUTCHours())} ${pad(d.getUTCDate())} ${pad(d.getUTCMonth() + 1)} ${d.getUTCDay()}`;

/**
 * Runs the scheduler for `schedule` over `minutes` with `job` as the job: it runs in `$FAKE`, may
 * read the current minute from `$FAKE/now` and advance the clock by writing to `$FAKE/skip`.
 */
function runScheduler(shell: string[], schedule: string, minutes: Date[], job: string): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "envkit-scheduler-"));
  try {
    fs.writeFileSync(path.join(dir, "times"), minutes.map(clock).join("\n") + "\n");
    const sj: ScheduledJob = { env: CRON_SCHEDULE.env, statusFile: path.join(dir, "status"), log: CRON_SCHEDULE.log };
    const health = schedulerHealthTest(sj)[1];
    const fakes = [
      `FAKE=${shellQuote(dir)}; export FAKE; i=0`,
      // `date -u +%S`: second 30 (the loop sleeps 30 s). The minute form: the next line, after
      // recording the health check's verdict; the list exhausted, the loop is stopped with SIGTERM.
      "date() {",
      '  case "$2" in +%S) echo 30; return;; esac',
      `  if ${health}; then echo healthy >> "$FAKE/health"; else echo unhealthy >> "$FAKE/health"; fi`,
      '  n=$(cat "$FAKE/n" 2>/dev/null || echo 0); n=$((n + 1 + $(cat "$FAKE/skip" 2>/dev/null || echo 0))); rm -f "$FAKE/skip"; echo "$n" > "$FAKE/n"',
      '  line=$(sed -n "${n}p" "$FAKE/times")',
      '  if [ -z "$line" ]; then kill -TERM $$; echo "99 99 99 99 9"; return; fi',
      '  echo "$line" > "$FAKE/now"; echo "$line"',
      "}",
      'sleep() { echo "$1" >> "$FAKE/slept"; }',
    ].join("\n");
    const log = execFileSync(shell[0], [...shell.slice(1), "-c", `${fakes}\n${schedulerScript(schedule, sj)}`], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, [CRON_SCHEDULE.env]: job },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    });
    const read = (f: string): string[] => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n").filter(Boolean) : []);
    expect(read("slept").every((s) => s === "30")).toBe(true);
    return { runs: read("runs"), health: read("health"), log };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Every minute from `start` for `count` minutes. */
const minutesFrom = (start: Date, count: number): Date[] => Array.from({ length: count }, (_, i) => new Date(start.getTime() + i * 60_000));
/** `count` hours from `start`, at each of `at` minutes past the hour. */
const hourly = (start: Date, count: number, at: number[]): Date[] => Array.from({ length: count }, (_, h) => at.map((m) => new Date(start.getTime() + h * 3_600_000 + m * 60_000))).flat();
const RECORD = 'read m h d mo w < "$FAKE/now"; echo "$m $h $d $mo $w" >> "$FAKE/runs"';

describe.each(shells.map((s) => [s.join(" "), s]))("the scheduler in %s", (_name, shell) => {
  it.each([
    // Every minute of 90 across an hour boundary.
    ["*/15 3 * * *", minutesFrom(new Date(Date.UTC(2026, 11, 1, 2, 50)), 90)],
    // Both day fields restricted: the 13th or a Friday (Vixie cron's either-or); each hour from
    // Monday the 12th (the 13th is a Tuesday, the 16th a Friday), at :00 and :01.
    ["0 */6 13 * 5", hourly(new Date(Date.UTC(2026, 0, 12, 0, 0)), 24 * 6, [0, 1])],
    // A leap day, the month's end and the next month's first days, at :58 and :59 of each hour.
    ["59 23 28-31 2 *", hourly(new Date(Date.UTC(2028, 1, 27, 0, 0)), 24 * 4, [58, 59])],
  ])("runs the job at exactly the minutes cronMatches does: %s", (schedule, minutes) => {
    const parsed = parseCron(schedule);
    if (!parsed.ok) throw new Error(parsed.error);
    const expected = minutes.filter((d) => cronMatches(parsed.value, d)).map(clock);
    const r = runScheduler(shell, schedule, minutes, RECORD);
    expect(expected.length).toBeGreaterThan(0);
    expect(r.runs).toEqual(expected);
    expect(r.log).toContain(`envkit-cron: schedule ${schedule} (UTC)`);
  });

  it("never overlaps: a run that lasts past the next match skips it (Forbid), and the next match after it runs", () => {
    // Every minute; the run at :01 takes three minutes (it advances the clock past :02, :03, :04).
    const minutes = minutesFrom(new Date(Date.UTC(2026, 11, 1, 10, 0)), 8);
    const r = runScheduler(shell, "* * * * *", minutes, `${RECORD}; if [ "$m" = 01 ]; then echo 3 > "$FAKE/skip"; fi`);
    expect(r.runs.map((x) => x.split(" ")[0])).toEqual(["00", "01", "05", "06", "07"]);
  });

  it("the health check is unhealthy after a failed run and healthy again after the next good one", () => {
    const minutes = minutesFrom(new Date(Date.UTC(2026, 11, 1, 10, 0)), 5);
    // Fails at :01 only.
    const r = runScheduler(shell, "* * * * *", minutes, `${RECORD}; [ "$m" != 01 ]`);
    expect(r.runs).toHaveLength(5);
    // Read before each minute: nothing ran yet (healthy), after :00 ok, after :01 failed, after :02 ok…
    expect(r.health).toEqual(["healthy", "healthy", "unhealthy", "healthy", "healthy", "healthy"]);
    expect(r.log).toBe(`envkit-cron: schedule * * * * * (UTC)\n`);
  });

  it("runs a cron job's command with its words intact: quotes, spaces, $ and a backslash are not re-read by the shell", () => {
    const words = ["printf", "%s|", "a b", "it's", "$HOME", "back\\slash", ""];
    const out = execFileSync(shell[0], [...shell.slice(1), "-c", `sh -c "$${CRON_SCHEDULE.env}"`], { encoding: "utf8", env: { PATH: process.env.PATH, [CRON_SCHEDULE.env]: cronJobCommand({ name: "x", command: words.slice(0, 2), args: words.slice(2) }) } });
    expect(out).toBe("a b|it's|$HOME|back\\slash||");
  });
});

describe("one scheduler for backups and cron jobs", () => {
  it("differs only in the job's variable, status file and log prefix", () => {
    const strip = (s: string, j: ScheduledJob): string => s.split(j.env).join("JOB").split(j.statusFile).join("STATUS").split(j.log).join("LOG");
    expect(strip(schedulerScript("0 2 * * *", BACKUP_SCHEDULE), BACKUP_SCHEDULE)).toBe(strip(schedulerScript("0 2 * * *", CRON_SCHEDULE), CRON_SCHEDULE));
    expect(BACKUP_SCHEDULE.env).toBe("ENVKIT_BACKUP_JOB");
    expect(CRON_SCHEDULE.env).toBe("ENVKIT_CRON_JOB");
  });

  it("refuses a schedule it cannot evaluate", () => {
    expect(() => schedulerScript("@daily", CRON_SCHEDULE)).toThrow(/schedule: "@daily" is a cron macro/);
  });
});
