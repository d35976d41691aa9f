/** `"100/min"`: how many calls per which period a `limit` rule allows. */
export interface Rate {
  readonly count: number;
  readonly periodMs: number;
}

const PERIOD_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
};

const RATE = /^(\d{1,9})\s*\/\s*([a-z]+)$/;

export function parseRate(value: string): Rate | null {
  const m = RATE.exec(value.trim().toLowerCase());
  if (!m) return null;
  const count = Number(m[1]);
  const periodMs = PERIOD_MS[m[2]];
  if (periodMs === undefined || count < 1) return null;
  return { count, periodMs };
}
