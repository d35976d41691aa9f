import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { parseContentType } from "../rules/send/rfc822_message.ts";

/** RFC 2046 boundary: 1–70 of these characters, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

const encoder = new TextEncoder();

/**
 * What a retry must repeat exactly: method, path, query and body, hashed
 * with their lengths so no two different calls share an input.
 *
 * A multipart body is hashed as the list of its pieces between delimiters,
 * not with its boundary: SDKs pick a random boundary per request
 * (googleapis' media uploads do), so the same call retried differs only
 * there. Two bodies with the same pieces carry the same parts, whatever
 * their boundaries; a piece containing another delimiter splits differently,
 * so it cannot pass for the approved one.
 */
export function requestHash(
  method: string,
  path: string,
  query: string,
  body: Uint8Array | null,
  contentType: string | null = null,
): string {
  const pieces = body === null ? null : bodyPieces(body, contentType);
  const head = `${method.toUpperCase()}\n${path.length}:${path}\n${query.length}:${query}\n`;
  const parts: Uint8Array[] = [encoder.encode(head)];
  if (pieces === null) parts.push(encoder.encode("-\n"));
  else {
    parts.push(encoder.encode(`${pieces.kind}\n${pieces.list.length}\n`));
    for (const piece of pieces.list) parts.push(encoder.encode(`${piece.length}\n`), piece);
  }
  const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    input.set(p, at);
    at += p.length;
  }
  return encodeHexLowerCase(sha256(input));
}

function bodyPieces(
  body: Uint8Array,
  contentType: string | null,
): { kind: string; list: Uint8Array[] } {
  const type = parseContentType(contentType ?? undefined);
  const boundary = type.params["boundary"];
  if (!type.mediaType.startsWith("multipart/") || !boundary || !BOUNDARY.test(boundary)) {
    return { kind: "bytes", list: [body] };
  }
  return { kind: `${type.mediaType}`, list: splitAt(body, encoder.encode(`--${boundary}`)) };
}

function splitAt(body: Uint8Array, delimiter: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  outer: for (let i = 0; i + delimiter.length <= body.length; i++) {
    for (let j = 0; j < delimiter.length; j++) {
      if (body[i + j] !== delimiter[j]) continue outer;
    }
    out.push(body.subarray(start, i));
    start = i + delimiter.length;
    i = start - 1;
  }
  out.push(body.subarray(start));
  return out;
}
