/**
 * Time-ordered ids (`aud_` + 9 base-36 digits of the millisecond + 80
 * random bits in hex): new rows land at the end of the id index instead of
 * at random pages, which keeps inserts cheap as the log grows. One call
 * draws and hex-encodes the randomness for a whole batch, and records of one
 * millisecond share their prefix: the encoding stays off the per-request cost.
 */
export function auditIds(
  ats: readonly number[],
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string[] {
  const bytes = new Uint8Array(10 * ats.length);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < bytes.length; i += 65_536) random(bytes.subarray(i, i + 65_536));
  const hex = bytes.toHex();
  let lastAt = NaN;
  let prefix = "";
  return ats.map((at, i) => {
    if (at !== lastAt) {
      lastAt = at;
      prefix = `aud_${Math.max(0, Math.floor(at)).toString(36).padStart(9, "0")}`;
    }
    return prefix + hex.slice(i * 20, i * 20 + 20);
  });
}
