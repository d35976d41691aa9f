/**
 * Durations as operators write them in securix.toml: `"90s"`, `"5m"`, `"1h"`,
 * `"14d"`, or a whole number of milliseconds. Null when the text is not one.
 */
const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d{1,9})(ms|s|m|h|d)$/;

export function parseDuration(value: string | number): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const m = DURATION.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** The shortest exact spelling of `ms` (`60000` → `"60s"`, `3600000` → `"1h"`). */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
