const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A header value as text. Deno hands header bytes over one char per byte
 * (Latin-1); clients that send a non-ASCII entity id or note send UTF-8, so
 * such a value is decoded as UTF-8 when it is valid UTF-8, and left as it
 * came otherwise (the identifier rules then judge it). ASCII, the usual
 * case, is returned as is.
 */
export function headerText(value: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[^\u0000-\u007f]/.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return value;
    bytes[i] = code;
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    return value;
  }
}
