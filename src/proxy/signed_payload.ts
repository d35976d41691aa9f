import { encodeHexLowerCase } from "@oslojs/encoding";
import { EMPTY_PAYLOAD_HASH, UNSIGNED_PAYLOAD } from "../providers/credential_injection.ts";
import type { PeekableBody } from "./peekable_body.ts";
import { DEFAULT_MAX_INSPECT_BYTES } from "../config/schema.ts";

/**
 * The payload hash a signed request (SigV4) carries: the body's SHA-256 when
 * it was sent with a Content-Length no larger than `limit` (read here, then
 * replayed by `forward()`), else `UNSIGNED-PAYLOAD` so a streamed or large
 * upload is never held in memory.
 */
export async function signedPayloadHash(
  body: PeekableBody,
  contentLength: string | null,
  limit = DEFAULT_MAX_INSPECT_BYTES,
): Promise<string> {
  if (contentLength !== null && /^\d+$/.test(contentLength) && Number(contentLength) > limit) {
    return UNSIGNED_PAYLOAD;
  }
  if (contentLength === null) {
    // No declared length: a chunked stream, or no body at all.
    const peek = await body.read(0);
    const empty = peek === null || (peek instanceof Uint8Array && peek.byteLength === 0);
    return empty ? EMPTY_PAYLOAD_HASH : UNSIGNED_PAYLOAD;
  }
  const bytes = await body.read(limit);
  if (bytes === null) return EMPTY_PAYLOAD_HASH;
  if (bytes === "too_large") return UNSIGNED_PAYLOAD;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return encodeHexLowerCase(new Uint8Array(digest));
}
