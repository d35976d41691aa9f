/**
 * Capped exponential backoff with full jitter: a uniform draw in
 * [0, min(maxMs, initialMs · 2^attempt)], so many agents dropped by one
 * outage do not come back in step.
 */
export function bridgeBackoffMs(
  attempt: number,
  options: { initialMs: number; maxMs: number; random: () => number },
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling * options.random());
}
