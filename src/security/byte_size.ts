/**
 * Sizes as operators write them: `"1GiB"`, `"500MB"`, `"64KiB"`, `"1024"`
 * bytes, or a number. Binary (KiB, MiB, GiB, TiB) and decimal (kB, MB, GB,
 * TB) units. Null when the text is not one.
 */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const SIZE = /^(\d{1,15}(?:\.\d{1,6})?)\s*([a-z]{0,3})$/i;

export function parseByteSize(value: string | number): number | null {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? value : null;
  const m = SIZE.exec(value.trim());
  if (!m) return null;
  const unit = UNIT_BYTES[(m[2] || "b").toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
