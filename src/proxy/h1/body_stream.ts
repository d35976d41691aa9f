import { type ByteReader, H1Error } from "./byte_reader.ts";
import { ChunkedDecoder } from "./chunked_body.ts";
import type { Framing } from "./response_head.ts";

/** Largest answer with a declared length read whole instead of streamed. */
export const SMALL_BODY = 64 * 1024;

/**
 * The answer's body as a stream that reads the socket only when its reader
 * asks (high-water mark 0: nothing is read ahead of the caller, so a 200 MB
 * download to a slow client holds one socket read at a time). `onEnd` runs
 * once: true when the body was read to its end as framed, false when it
 * failed or was cancelled (the connection is then never reused).
 */
export function bodyStream(
  reader: ByteReader,
  framing: Exclude<Framing, { kind: "none" }>,
  onEnd: (whole: boolean) => void,
): ReadableStream<Uint8Array> {
  let ended = false;
  const end = (whole: boolean) => {
    if (ended) return;
    ended = true;
    onEnd(whole);
  };
  const next = nextPiece(reader, framing);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const piece = await next();
          if (piece === null) {
            controller.close();
            end(true);
            return;
          }
          if (piece.byteLength === 0) continue;
          controller.enqueue(piece);
          return;
        }
      } catch (error) {
        end(false);
        controller.error(error instanceof Error ? error : new H1Error(String(error)));
      }
    },
    cancel() {
      end(false);
    },
  }, { highWaterMark: 0 });
}

/** The framing's next body piece, null at its end; throws if the connection ends early. */
function nextPiece(
  reader: ByteReader,
  framing: Exclude<Framing, { kind: "none" }>,
): () => Promise<Uint8Array | null> {
  if (framing.kind === "chunked") {
    const decoder = new ChunkedDecoder(reader);
    return () => decoder.next();
  }
  if (framing.kind === "close") return () => reader.read();
  let remaining = framing.length;
  return async () => {
    if (remaining === 0) return null;
    const chunk = await reader.read();
    if (chunk === null) throw new H1Error("the provider's connection closed mid-body");
    if (chunk.byteLength <= remaining) {
      remaining -= chunk.byteLength;
      return chunk;
    }
    reader.unread(chunk.subarray(remaining));
    const piece = chunk.subarray(0, remaining);
    remaining = 0;
    return piece;
  };
}

/**
 * Exactly `length` bytes, read whole into one array (most API answers are a
 * few KB: one array costs the serving thread far less than a stream).
 */
export async function readWhole(
  reader: ByteReader,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  if (length === 0) return new Uint8Array(0);
  const first = await reader.read();
  if (first === null) throw new H1Error("the provider's connection closed mid-body");
  // Usually the whole body came in the head's read: a view of that read, not a copy
  // (every read is the caller's own: a copied slice, or a large read's buffer handed over).
  if (first.byteLength >= length) {
    reader.unread(first.subarray(length));
    return first.subarray(0, length) as Uint8Array<ArrayBuffer>;
  }
  reader.unread(first);
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const chunk = await reader.read();
    if (chunk === null) throw new H1Error("the provider's connection closed mid-body");
    const take = Math.min(chunk.byteLength, length - filled);
    bytes.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), filled);
    if (take < chunk.byteLength) reader.unread(chunk.subarray(take));
    filled += take;
  }
  return bytes;
}

/**
 * The body as framed: null when there is none, bytes when its declared
 * length is small, else a stream. `onEnd` as for `bodyStream`.
 */
export async function responseBody(
  reader: ByteReader,
  framing: Framing,
  onEnd: (whole: boolean) => void,
): Promise<ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null> {
  if (framing.kind === "none") {
    onEnd(true);
    return null;
  }
  if (framing.kind === "length" && framing.length <= SMALL_BODY) {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await readWhole(reader, framing.length);
    } catch (error) {
      onEnd(false);
      throw error;
    }
    onEnd(true);
    return bytes;
  }
  return bodyStream(reader, framing, onEnd);
}
