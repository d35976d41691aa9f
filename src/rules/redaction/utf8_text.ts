const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });
const UTF8_STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * UTF-8 text, or null for bytes that are not. Deno's fatal decoder copies
 * its input first, which on a 1 MB body cost more than the lenient decode; a
 * U+FFFD in the result is rare, and only then is the body decoded strictly
 * to tell a real U+FFFD from bad bytes.
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  const text = UTF8.decode(bytes);
  if (text.indexOf("\uFFFD") === -1) return text;
  try {
    return UTF8_STRICT.decode(bytes);
  } catch {
    return null;
  }
}
