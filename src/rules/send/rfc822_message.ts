/**
 * The header section and body of an RFC 822 / MIME entity, read the way a
 * mail server reads it. Only what send conditions need: header values and
 * the body bytes, never a full MIME model.
 */

export interface Rfc822Header {
  /** Lowercased, so lookups are case-insensitive like mail servers'. */
  name: string;
  /** Unfolded (continuation lines joined), not decoded. */
  value: string;
}

export interface Rfc822Entity {
  headers: Rfc822Header[];
  body: Uint8Array;
}

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * Splits an entity at its first empty line. Null when a header line is not
 * `name: value` (a server might read such a message differently from us, so
 * its recipients are not to be trusted).
 */
export function parseEntity(bytes: Uint8Array): Rfc822Entity | null {
  const end = headerEnd(bytes);
  // Headers are ASCII (RFC 5322); latin1 keeps every byte, so 8-bit junk cannot shift offsets.
  const head = latin1(bytes.subarray(0, end.headerEnd));
  const body = bytes.subarray(end.bodyStart);
  const headers: Rfc822Header[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (line === "") continue;
    if (line[0] === " " || line[0] === "\t") {
      const last = headers.at(-1);
      if (!last) return null;
      last.value += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    // Obsolete syntax (RFC 5322 §4.5) allows blanks before the colon: `To : a@b`.
    const name = line.slice(0, colon).replace(/[ \t]+$/, "");
    if (!FIELD_NAME.test(name)) return null;
    headers.push({ name: name.toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return { headers, body };
}

/** Every value of a header, in order (To may legitimately appear more than once). */
export function headerValues(entity: Rfc822Entity, name: string): string[] {
  const key = name.toLowerCase();
  return entity.headers.filter((h) => h.name === key).map((h) => h.value);
}

export interface ContentType {
  /** Lowercased `type/subtype`; `text/plain` when absent, as RFC 2045 says. */
  mediaType: string;
  params: Record<string, string>;
}

/** `multipart/mixed; boundary="a b"; charset=utf-8` → media type and lowercased-name params. */
export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { mediaType: "text/plain", params: {} };
  const semi = value.indexOf(";");
  const mediaType = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() ||
    "text/plain";
  const params: Record<string, string> = {};
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/g;
  for (const m of value.slice(Math.max(semi, 0)).matchAll(re)) {
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3];
    params[m[1].toLowerCase()] = raw;
  }
  return { mediaType, params };
}

function headerEnd(bytes: Uint8Array): { headerEnd: number; bodyStart: number } {
  // No header section at all: the entity starts with its empty line (RFC 2046 part defaults).
  if (bytes[0] === 0x0a) return { headerEnd: 0, bodyStart: 1 };
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return { headerEnd: 0, bodyStart: 2 };
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return { headerEnd: i, bodyStart: i + 2 };
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return { headerEnd: i, bodyStart: i + 3 };
  }
  return { headerEnd: bytes.length, bodyStart: bytes.length };
}

export function latin1(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}
