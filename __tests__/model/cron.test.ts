import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { CRON_FIELDS, cronMatches, parseCron } from "../../lib/model/cron";
import { cronTestLines } from "../../lib/targets/shared/scheduler";

// One field written as cron allows: *, n, a-b, a-b/s, a step of *, or a list of them.
const field = (min: number, max: number): fc.Arbitrary<{ text: string; values: Set<number> }> => {
  const part = fc.oneof(
    fc.constant({ text: "*", values: new Set(Array.from({ length: max - min + 1 }, (_, i) => min + i)) }),
    fc.integer({ min, max }).map((n) => ({ text: String(n), values: new Set([n]) })),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: max - min + 1 }), fc.boolean()).map(([a, b, s, stepped]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      const step = stepped ? s : 1;
      const values = new Set<number>();
      for (let v = lo; v <= hi; v += step) values.add(v);
      return { text: `${lo}-${hi}${stepped ? `/${s}` : ""}`, values };
    }),
    fc.integer({ min: 1, max: max - min + 1 }).map((s) => {
      const values = new Set<number>();
      for (let v = min; v <= max; v += s) values.add(v);
      return { text: `*/${s}`, values };
    }),
  );
  return fc.array(part, { minLength: 1, maxLength: 3 }).map((ps) => (ps.some((p) => p.text === "*") ? ps.filter((p) => p.text === "*").slice(0, 1) : ps)).map((ps) => ({ text: ps.map((p) => p.text).join(","), values: new Set(ps.flatMap((p) => [...p.values])) }));
};
const schedule = fc.tuple(...CRON_FIELDS.map((f) => field(f.min, f.max))).map((fs) => ({ text: fs.map((f) => f.text).join(" "), fields: fs }));
/** Any minute between 2000 and 2100, UTC. */
const minute = fc.integer({ min: Date.UTC(2000, 0, 1) / 60_000, max: Date.UTC(2100, 0, 1) / 60_000 }).map((m) => new Date(m * 60_000));

describe("parseCron", () => {
  it("accepts every schedule written with *, numbers, ranges, steps and lists within range, and matches exactly the values written", () => {
    fc.assert(
      fc.property(schedule, minute, (s, d) => {
        const r = parseCron(s.text);
        // A day-of-month that no chosen month has is refused on purpose (see the test below).
        if (!r.ok) return /never runs/.test(r.error);
        const [mi, h, dom, mo, dow] = s.fields.map((f) => f.values);
        const weekdays = new Set([...dow].map((x) => x % 7));
        const domStar = s.text.split(" ")[2] === "*";
        const dowStar = s.text.split(" ")[4] === "*";
        const dayOk = dom.has(d.getUTCDate());
        const wdOk = weekdays.has(d.getUTCDay());
        const day = !domStar && !dowStar ? dayOk || wdOk : dayOk && wdOk;
        const expected = mi.has(d.getUTCMinutes()) && h.has(d.getUTCHours()) && mo.has(d.getUTCMonth() + 1) && day;
        return cronMatches(r.value, d) === expected;
      }),
      { numRuns: 500 },
    );
  });

  it("the Docker scheduler's sh test fires at exactly the minutes cronMatches does (one sh run over 300 cases)", () => {
    const cases = fc.sample(fc.tuple(schedule, minute), { numRuns: 300, seed: 15 }).flatMap(([s, d]) => {
      const r = parseCron(s.text);
      return r.ok ? [{ c: r.value, d }] : [];
    });
    // Each case as the scheduler sees the clock: `date -u '+%M %H %d %m %w'` (zero-padded), leading zeros stripped.
    const pad = (n: number): string => String(n).padStart(2, "0");
    const script = cases
      .map(({ c, d }, i) => [
        `set -- ${pad(d.getUTCMinutes())} ${pad(d.getUTCHours())} ${pad(d.getUTCDate())} ${pad(d.getUTCMonth() + 1)} ${d.getUTCDay()}`,
        "m=${1#0}; h=${2#0}; d=${3#0}; mo=${4#0}; w=$5",
        `r=0; for _ in once; do ${cronTestLines(c).join("; ")}; r=1; done; echo "${i} $r"`,
      ].join("\n"))
      .join("\n");
    // The host's sh (dash on Debian) and, where present, busybox's ash (the alpine images' sh).
    const shells: string[][] = [["sh"], ...(existsSync("/bin/busybox") ? [["/bin/busybox", "sh"]] : [])];
    for (const [cmd, ...args] of shells) {
      const out = execFileSync(cmd, [...args, "-s"], { input: script, encoding: "utf8" }).trim().split("\n");
      expect({ shell: cmd, out }).toEqual({ shell: cmd, out: cases.map(({ c, d }, i) => `${i} ${cronMatches(c, d) ? 1 : 0}`) });
    }
    expect(cases.length).toBeGreaterThan(250);
  });

  it.each([
    ["0 2 * *", /has 4 fields; a schedule has five: minute hour day-of-month month day-of-week, e.g. "0 2 \* \* \*"/],
    ["60 2 * * *", /minute 60 is out of range; allowed values are 0-59/],
    ["0 24 * * *", /hour 24 is out of range; allowed values are 0-23/],
    ["0 2 0 * *", /day of month 0 is out of range; allowed values are 1-31/],
    ["0 2 * 13 *", /month 13 is out of range; allowed values are 1-12/],
    ["0 2 * * 8", /day of week 8 is out of range; allowed values are 0-6/],
    ["0 2 * * 7", /day of week 7 is out of range; allowed values are 0-6 \(Sunday is 0: Kubernetes' cron parser refuses 7\)/],
    ["0 2 * * 5-7", /day of week 7 is out of range/],
    ["0 5-2 * * *", /hour range 5-2 runs backwards; write the smaller value first/],
    ["*/0 * * * *", /minute step \/0 must be between 1 and 60/],
    ["0 2 * * MON", /names such as MON or JAN are not accepted: write numbers/],
    ["@daily", /is a cron macro; write the five fields instead: "0 0 \* \* \*"/],
    ["0 0 30 2 *", /never runs: no chosen month has day 30/],
  ])("refuses %j with the field and the fix", (text, message) => {
    const r = parseCron(text);
    expect(r.ok ? "accepted" : r.error).toMatch(message);
  });

  it("reads 0 as Sunday and both restricted day fields as either-or (Vixie cron)", () => {
    const r = parseCron("0 0 13 * 0");
    if (!r.ok) throw new Error(r.error);
    expect(r.value.weekdays).toEqual([0]);
    expect(cronMatches(r.value, new Date(Date.UTC(2026, 11, 6, 0, 0)))).toBe(true); // a Sunday, the 6th
    expect(cronMatches(r.value, new Date(Date.UTC(2026, 11, 13, 0, 0)))).toBe(true); // the 13th, a Sunday too
    expect(cronMatches(r.value, new Date(Date.UTC(2026, 11, 14, 0, 0)))).toBe(false); // a Monday, the 14th
  });
});
