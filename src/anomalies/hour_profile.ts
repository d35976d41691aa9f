const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The hours of day (UTC) a connection was active in, as a 24-bit mask, and
 * on how many distinct days: what `unusual_hours` learns from the hourly
 * activity rollup (learn_hours.ts). Today is left out, so today's unusual
 * activity does not teach itself to be usual until tomorrow.
 */
export interface HourProfile {
  hours: number;
  days: number;
  /** The hour (ms / 1 h) this profile last alerted in: one alert per hour. */
  alertedHour: number;
}

export function hourOfDay(at: number): number {
  return Math.floor(at / HOUR) % 24;
}

/** The learning period for `now`: the `historyDays` whole UTC days before today. */
export function historyRange(now: number, historyDays: number): { from: number; until: number } {
  const today = Math.floor(now / DAY) * DAY;
  return { from: today - historyDays * DAY, until: today };
}

/**
 * Whether activity at `at` is outside the learned hours. Silent while the
 * connection has fewer than `minDays` days with activity in its history.
 */
export function unusualHour(profile: HourProfile | undefined, at: number, minDays: number) {
  if (profile === undefined || profile.days < minDays) return false;
  return (profile.hours & (1 << hourOfDay(at))) === 0;
}
