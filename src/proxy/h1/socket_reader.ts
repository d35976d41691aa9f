import type { ByteReader } from "./byte_reader.ts";

/** Bytes asked of the socket per read: the most a body piece can be. */
const READ_SIZE = 64 * 1024;
/**
 * A read this small is copied out and its buffer kept for the next read:
 * allocating a zeroed 64 KiB buffer per read halved the requests per second
 * (bench: 166 against 78 µs CPU per small answer). A larger read hands its
 * buffer over (a streamed body's piece, owned by the caller from then on).
 */
const COPY_LIMIT = 16 * 1024;

/**
 * A connection to one upstream: a `ByteReader` over the socket plus writes.
 * While it idles in the pool a read stays pending, so a provider closing the
 * connection (or sending anything unasked) is seen at once and the socket is
 * dropped instead of being handed to the next request; that same read then
 * carries the next answer's first bytes.
 */
export class SocketReader implements ByteReader {
  readonly conn: Deno.Conn;
  /** Bytes received so far: a stale pooled socket fails before its first one. */
  received = 0;
  closed = false;
  #leftover: Uint8Array | null = null;
  #pending: Promise<Uint8Array | null> | null = null;
  #idle = false;
  #spare: Uint8Array | null = null;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  read(): Promise<Uint8Array | null> {
    const leftover = this.#leftover;
    if (leftover !== null) {
      this.#leftover = null;
      return Promise.resolve(leftover);
    }
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      return pending;
    }
    return this.#readSocket();
  }

  unread(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    // Only a parser's overshoot comes back, always read after any leftover.
    this.#leftover = bytes;
  }

  /** Unread bytes are waiting: the provider sent more than its answer. */
  get hasLeftover(): boolean {
    return this.#leftover !== null;
  }

  /** Parks the connection: `onLost` runs if the provider closes it or talks unasked. */
  idle(onLost: () => void): void {
    this.#idle = true;
    const pending = this.#readSocket();
    this.#pending = pending;
    pending.then(
      () => {
        if (this.#idle) onLost();
      },
      () => {
        if (this.#idle) onLost();
      },
    );
  }

  /** Takes the connection out of the pool for a request. */
  wake(): void {
    this.#idle = false;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.byteLength) {
      at += await this.conn.write(at === 0 ? bytes : bytes.subarray(at));
    }
  }

  /** Ends the socket; pending reads and writes fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#idle = false;
    try {
      this.conn.close();
    } catch {
      // Already closed by the runtime.
    }
  }

  async #readSocket(): Promise<Uint8Array | null> {
    const buffer = this.#spare ?? new Uint8Array(READ_SIZE);
    this.#spare = null;
    const n = await this.conn.read(buffer);
    if (n === null) return null;
    this.received += n;
    if (n > COPY_LIMIT) return buffer.subarray(0, n);
    this.#spare = buffer;
    return buffer.slice(0, n);
  }
}
