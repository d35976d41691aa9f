import { joinBytes } from "./join_bytes.ts";

/**
 * A body read whole, chunk by chunk, up to `limit` bytes; null once it is
 * larger, and the rest is cancelled unread: a chunked body has no
 * content-length to refuse it by, and `text()` would buffer all of it.
 * It imports only joinBytes, which imports nothing, so the server SDK bundle
 * shares it without pulling in server code.
 */
export async function readLimited(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  return joinBytes(chunks);
}
