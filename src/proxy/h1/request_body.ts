import { type HeaderPairs, pairValue } from "../header_pairs.ts";
import { joinBytes } from "../join_bytes.ts";
import { H1Error } from "./byte_reader.ts";

/** Where a request body goes: the connection's full-write. */
export type Write = (bytes: Uint8Array) => Promise<void>;

/** How the caller framed the body; kept as given. */
export type RequestFraming = { kind: "length"; length: number } | { kind: "chunked" };

/**
 * Writes a body of `length` bytes as it arrives, at the provider's pace
 * (one write finishes before the next read); more or fewer is an error.
 * Returns true when the body was sent whole; false when `stop()` said the
 * answer is complete and the rest is no longer wanted.
 */
export async function writeBody(
  body: ReadableStream<Uint8Array>,
  length: number,
  write: Write,
  stop: () => boolean = () => false,
): Promise<boolean> {
  const reader = body.getReader();
  let sent = 0;
  try {
    for (;;) {
      if (stop()) {
        await reader.cancel();
        return false;
      }
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength === 0) continue;
      sent += value.byteLength;
      if (sent > length) throw new H1Error("request body longer than its Content-Length");
      await write(value);
    }
    if (sent !== length) throw new H1Error("request body shorter than its Content-Length");
    return true;
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  }
}

/**
 * Largest Content-Length body read whole before the head is written, so that
 * head and body leave in one write: on loopback each write also wakes the
 * provider, on the sender's CPU.
 */
export const SMALL_REQUEST_BODY = 16 * 1024;

/**
 * The caller's whole body when it declared a small length, checked as
 * `writeBody` checks it: more or fewer bytes than declared fail.
 */
export async function readSmallBody(
  body: ReadableStream<Uint8Array>,
  length: number,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const pieces: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > length) throw new H1Error("request body longer than its Content-Length");
      if (value.byteLength > 0) pieces.push(value);
    }
    if (size !== length) throw new H1Error("request body shorter than its Content-Length");
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  }
  return concat(pieces);
}

/** The pieces in one array (the one piece itself when there is only one). */
export function concat(pieces: Uint8Array[]): Uint8Array {
  return pieces.length === 1 ? pieces[0] : joinBytes(pieces);
}

/**
 * The framing a request's headers declare: its Content-Length, or chunked
 * (declared or, for a body without either, added by the transport).
 */
export function requestFraming(headers: Headers | HeaderPairs): RequestFraming {
  const pairs = headers instanceof Headers ? [...headers] : headers;
  const length = pairValue(pairs, "content-length");
  const coding = pairValue(pairs, "transfer-encoding");
  if (length !== null) {
    if (!/^[0-9]{1,15}$/.test(length)) throw new H1Error("invalid request Content-Length");
    if (coding !== null) throw new H1Error("request with both framings");
    return { kind: "length", length: Number(length) };
  }
  if (coding !== null && coding.toLowerCase() !== "chunked") {
    throw new H1Error("unsupported request Transfer-Encoding");
  }
  return { kind: "chunked" };
}
