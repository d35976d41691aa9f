/**
 * Delays before each retry: about a day in all (5 s, 5 min, 30 min, 2 h, 5 h,
 * 10 h, 10 h), each with ±10 % jitter so a recovering receiver is not hit by
 * every appliance at once. After the last one the delivery is dead.
 */
export const DEFAULT_RETRY_DELAYS_MS = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** Delay after `attempts` failed attempts, or null when there is no retry left. */
export function nextDelay(
  attempts: number,
  delays: readonly number[] = DEFAULT_RETRY_DELAYS_MS,
  random: () => number = Math.random,
): number | null {
  const base = delays[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.9 + 0.2 * random()));
}
