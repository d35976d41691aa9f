/**
 * Where a response is read from: a socket in the transport, a list of chunks
 * in tests. `read` hands out each byte once; `unread` puts back what a parser
 * read past the end of its part (the rest of a buffer belongs to the body).
 */
export interface ByteReader {
  /** The next bytes, or null once the peer has ended the connection. */
  read(): Promise<Uint8Array | null>;
  unread(bytes: Uint8Array): void;
}

/** The protocol refusals of the upstream client; the proxy answers them as unreachable. */
export class H1Error extends Error {
  override name = "H1Error";
}

/** Chunks given in advance, then the end: the unit tests' and the differential test's socket. */
export function chunkReader(chunks: Uint8Array[]): ByteReader {
  const queue = chunks.filter((chunk) => chunk.byteLength > 0);
  return {
    read: () => Promise.resolve(queue.shift() ?? null),
    unread(bytes) {
      if (bytes.byteLength > 0) queue.unshift(bytes);
    },
  };
}
