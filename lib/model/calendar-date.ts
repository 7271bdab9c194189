/** A `YYYY-MM-DD` text. */
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether `text` is a real calendar date written `YYYY-MM-DD` (UTC). `Date.parse` accepts
 * "2026-02-31" by rolling it over to March; a real date prints back unchanged. "2026-99-99",
 * "2026-12-32" and "0000-00-00" are not dates.
 */
export function isCalendarDate(text: string): boolean {
  const t = DATE_RE.test(text) ? Date.parse(`${text}T00:00:00Z`) : NaN;
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === text;
}
