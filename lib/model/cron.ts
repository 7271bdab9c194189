import { Parsed, fail, ok } from "./result";

/*
 * Five-field cron schedules (minute hour day-of-month month day-of-week), the form Kubernetes
 * CronJobs take and the Docker backup container's scheduler evaluates. Numbers only: names
 * (MON, JAN) and macros (@daily) are refused with the numeric spelling, so one parser decides
 * what every target runs.
 */

/**
 * One field's name and range (inclusive). Day of week is 0-6, Sunday 0: the Kubernetes provider
 * checks a CronJob's schedule with robfig/cron v1.2.0, whose day-of-week bound is 0-6, so the 7
 * Vixie cron reads as Sunday fails `terraform plan` there.
 */
export const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 6 },
] as const;

/** A parsed schedule: the values each field matches, sorted, and which day fields are restricted. */
export interface CronSchedule {
  /** The schedule as written (normalised whitespace). */
  readonly text: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: readonly number[];
  readonly months: readonly number[];
  /** 0-6, Sunday 0. */
  readonly weekdays: readonly number[];
  /**
   * Cron's day rule: when both day fields are restricted (not `*`), a day matches if *either*
   * does; when one is `*`, only the other decides.
   */
  readonly daysRestricted: boolean;
  readonly weekdaysRestricted: boolean;
}

const MACROS: ReadonlyMap<string, string> = new Map([
  ["@yearly", "0 0 1 1 *"],
  ["@annually", "0 0 1 1 *"],
  ["@monthly", "0 0 1 * *"],
  ["@weekly", "0 0 * * 0"],
  ["@daily", "0 0 * * *"],
  ["@midnight", "0 0 * * *"],
  ["@hourly", "0 * * * *"],
]);

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/**
 * A Kubernetes CronJob schedule in the numeric form {@link parseCron} reads, or the schedule
 * unchanged when it is not five fields: the macros (`@daily`) become their five fields, month and
 * day names (`JAN`, `mon`) their numbers and `?` a `*`, which is everything else robfig/cron
 * v1.2.0's standard parser (the Kubernetes provider's plan-time check) accepts. What it refuses
 * (`L`, `W`, `#`, out-of-range numbers) stays and is refused by parseCron.
 */
export function numericKubernetesCron(input: string): string {
  const text = String(input).trim().replace(/\s+/g, " ");
  const macro = MACROS.get(text.toLowerCase());
  if (macro) return macro;
  const fields = text.split(" ");
  if (fields.length !== 5) return text;
  const named = (field: string, names: readonly string[], first: number): string =>
    field.replace(/[A-Za-z]{3}/g, (w) => {
      const i = names.indexOf(w.toUpperCase());
      return i < 0 ? w : String(i + first);
    });
  fields[3] = named(fields[3], MONTH_NAMES, 1);
  fields[4] = named(fields[4], DAY_NAMES, 0);
  for (const i of [2, 4]) if (fields[i] === "?") fields[i] = "*";
  return fields.join(" ");
}

/** Days in each month (February with its leap day: a schedule on the 29th does fire). */
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function parseField(text: string, f: (typeof CRON_FIELDS)[number]): Parsed<number[]> {
  const values = new Set<number>();
  const range = `${f.min}-${f.max}`;
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) {
      const hint = /[a-z]/i.test(part) ? " (names such as MON or JAN are not accepted: write numbers)" : "";
      return fail(`${f.name} "${part}" is not a number, a range a-b, * or a step x/n${hint}; allowed values are ${range}`);
    }
    const lo = m[1] === "*" ? f.min : Number(m[2]);
    // `5/15` means 5-max in steps of 15, as in Vixie cron.
    const hi = m[1] === "*" ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    for (const v of [lo, hi]) {
      const sunday = f.name === "day of week" && v === 7 ? " (Sunday is 0: Kubernetes' cron parser refuses 7)" : "";
      if (v < f.min || v > f.max) return fail(`${f.name} ${v} is out of range; allowed values are ${range}${sunday}`);
    }
    if (lo > hi) return fail(`${f.name} range ${lo}-${hi} runs backwards; write the smaller value first`);
    if (step < 1 || step > f.max - f.min + 1) return fail(`${f.name} step /${m[4]} must be between 1 and ${f.max - f.min + 1}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return ok([...values].sort((a, b) => a - b));
}

/** Parses a five-field cron schedule; the error says which field is wrong and how to write it. */
export function parseCron(input: string): Parsed<CronSchedule> {
  const text = String(input).trim().replace(/\s+/g, " ");
  const macro = MACROS.get(text.toLowerCase());
  if (macro) return fail(`"${text}" is a cron macro; write the five fields instead: "${macro}"`);
  const fields = text.split(" ");
  if (fields.length !== 5) return fail(`"${text}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; a schedule has five: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (daily at 02:00)`);
  const parsed: number[][] = [];
  for (let i = 0; i < 5; i++) {
    const r = parseField(fields[i], CRON_FIELDS[i]);
    if (!r.ok) return fail(`"${text}": ${r.error}`);
    parsed.push(r.value);
  }
  const [minutes, hours, days, months, rawWeekdays] = parsed;
  const weekdays = rawWeekdays;
  const daysRestricted = fields[2] !== "*";
  const weekdaysRestricted = fields[4] !== "*";
  // With only the day of month deciding, a day that no chosen month has never comes ("0 0 30 2 *").
  if (daysRestricted && !weekdaysRestricted && !months.some((mo) => days[0] <= MONTH_DAYS[mo - 1])) {
    return fail(`"${text}" never runs: no chosen month has day ${days[0]}; pick a day every chosen month has`);
  }
  return ok({ text, minutes, hours, days, months, weekdays, daysRestricted, weekdaysRestricted });
}

/** Whether the schedule fires at this minute (UTC fields of `d`): the oracle the scheduler script follows. */
export function cronMatches(s: CronSchedule, d: Date): boolean {
  const dayOk = s.days.includes(d.getUTCDate());
  const weekdayOk = s.weekdays.includes(d.getUTCDay());
  const day = s.daysRestricted && s.weekdaysRestricted ? dayOk || weekdayOk : dayOk && weekdayOk;
  return s.minutes.includes(d.getUTCMinutes()) && s.hours.includes(d.getUTCHours()) && s.months.includes(d.getUTCMonth() + 1) && day;
}
