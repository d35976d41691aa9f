import {
  headerValues,
  latin1,
  parseContentType,
  parseEntity,
  type Rfc822Entity,
} from "./rfc822_message.ts";

/** Deeper nesting than this is no real mail; stopping keeps a crafted message from recursing forever. */
const MAX_DEPTH = 16;

/**
 * The readable text of a message for `body_contains`: its decoded Subject and
 * every text/* part (plain and HTML, attachments included, tags stripped),
 * decoded from base64 or quoted-printable and from their charset.
 */
export function messageText(entity: Rfc822Entity): string {
  const out: string[] = [];
  const subject = headerValues(entity, "subject");
  if (subject.length > 0) out.push(decodeEncodedWords(subject.join(" ")));
  collectText(entity, out, 0);
  return out.join("\n");
}

function collectText(entity: Rfc822Entity, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  const type = parseContentType(headerValues(entity, "content-type")[0]);
  const encoding = (headerValues(entity, "content-transfer-encoding")[0] ?? "").toLowerCase();
  if (type.mediaType.startsWith("multipart/")) {
    const boundary = type.params["boundary"];
    if (!boundary) return;
    for (const part of multipartParts(entity.body, boundary)) {
      const child = parseEntity(part);
      if (child) collectText(child, out, depth + 1);
    }
    return;
  }
  if (type.mediaType === "message/rfc822") {
    const inner = parseEntity(decodeTransfer(entity.body, encoding));
    if (inner) out.push(messageText(inner));
    return;
  }
  if (!type.mediaType.startsWith("text/")) return;
  const text = decodeCharset(decodeTransfer(entity.body, encoding), type.params["charset"]);
  out.push(type.mediaType === "text/html" ? stripHtml(text) : text);
}

/** The bodies between `--boundary` lines (preamble and epilogue dropped). */
export function multipartParts(body: Uint8Array, boundary: string): Uint8Array[] {
  const text = latin1(body);
  const delimiter = `--${boundary}`;
  const parts: Uint8Array[] = [];
  let start = -1;
  let pos = 0;
  while (pos <= text.length) {
    const nl = text.indexOf("\n", pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const line = text.slice(pos, lineEnd).replace(/\r$/, "").replace(/[ \t]+$/, "");
    if (line === delimiter || line === `${delimiter}--`) {
      if (start >= 0) {
        // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        let end = pos;
        if (text[end - 1] === "\n") end--;
        if (text[end - 1] === "\r") end--;
        parts.push(body.subarray(start, Math.max(start, end)));
      }
      if (line !== delimiter) return parts;
      start = lineEnd + 1;
    }
    if (nl < 0) break;
    pos = nl + 1;
  }
  return parts;
}

export function decodeTransfer(body: Uint8Array, encoding: string): Uint8Array {
  const e = encoding.trim();
  if (e === "base64") return decodeBase64Loose(latin1(body)) ?? body;
  if (e === "quoted-printable") return decodeQuotedPrintable(latin1(body));
  return body;
}

/** Base64 or base64url, padded or not, with line breaks; null when it is neither. */
export function decodeBase64Loose(text: string): Uint8Array | null {
  const clean = text.replace(/[\s]/g, "").replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) return null;
  const padded = clean + "=".repeat((4 - (clean.length % 4)) % 4);
  const bin = atob(padded);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function decodeQuotedPrintable(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "=") {
      const soft = /^=[ \t]*\r?\n/.exec(text.slice(i, i + 80));
      if (soft) {
        i += soft[0].length - 1;
        continue;
      }
      const hex = text.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out.push(parseInt(hex, 16));
        i += 2;
        continue;
      }
    }
    out.push(c.charCodeAt(0) & 0xff);
  }
  return Uint8Array.from(out);
}

export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset?.trim() || "utf-8").decode(bytes);
  } catch {
    // An unknown charset still yields the ASCII words a condition looks for.
    return new TextDecoder("utf-8").decode(bytes);
  }
}

/** RFC 2047 `=?charset?B|Q?…?=` words, decoded; anything malformed is left as it is. */
export function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(?==\?)/g, "$1")
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (whole, charset: string, kind, data: string) => {
      const bytes = kind.toUpperCase() === "B"
        ? decodeBase64Loose(data)
        : decodeQuotedPrintable(data.replace(/_/g, " "));
      return bytes ? decodeCharset(bytes, charset.replace(/\*.*$/, "")) : whole;
    });
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/**
 * Crude on purpose: `body_contains` needs the words, not a rendering. Script
 * and style contents go, tags become spaces, common entities are decoded.
 */
export function stripHtml(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X"
          ? parseInt(name.slice(2), 16)
          : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/[ \t]+/g, " ");
}
