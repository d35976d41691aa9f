/**
 * A record's text as SQLite will hand it back. A TEXT column holds UTF-8 and
 * the driver reads it as a C string: a lone surrogate comes back as U+FFFD
 * and everything from a NUL on is lost. Hashing the string as given would
 * make the stored record never match its hash, so both are replaced (with
 * U+FFFD) before the record is hashed and stored: one string for both.
 * (`data` needs none of this: its canonical JSON escapes both.)
 */
export function storableText(value: string): string {
  if (value.isWellFormed() && !value.includes("\0")) return value;
  return value.toWellFormed().replaceAll("\0", "\uFFFD");
}

export function storableOrNull(value: string | null | undefined): string | null {
  return value == null ? null : storableText(value);
}
