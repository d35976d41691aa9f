import { concat, type Write } from "./request_body.ts";

/**
 * Bytes gathered before a write while the caller's reads are already there:
 * small chunks, their framing, the head and the last chunk leave together
 * (on loopback each write also wakes the provider, on the sender's CPU).
 */
export const GATHER_BYTES = 16 * 1024;

/** A piece over this is written as it is, after its size line: copying it costs more than a write. */
export const UNCOPIED_CHUNK = 64 * 1024;

/**
 * Microtask turns a read may take and still count as already there: data
 * Deno.serve has buffered takes 1–3, through a TransformStream up to 8;
 * a read that waits for the network takes an event-loop turn.
 */
const READY_TURNS = 16;

const CRLF = new Uint8Array([13, 10]);
const ENCODER = new TextEncoder();
const LAST_CHUNK = ENCODER.encode("0\r\n\r\n");

/**
 * Writes `head` and the caller's body chunked, one chunk per piece, ended by
 * the last chunk. Pieces whose reads settle at once go out in one write with
 * whatever precedes them (up to GATHER_BYTES); a read that has to wait sends
 * what is gathered first, so nothing is held back for the next piece. At
 * most one read runs ahead of the writes: memory stays bounded at the
 * provider's pace. Returns true when the body was sent whole; false when
 * `stop()` said the answer is complete and the rest is no longer wanted.
 */
export async function writeChunked(
  body: ReadableStream<Uint8Array>,
  head: Uint8Array,
  write: Write,
  stop: () => boolean,
): Promise<boolean> {
  const reader = body.getReader();
  const out = new Gathered(write);
  out.add(head);
  let next = readAhead(reader);
  try {
    for (;;) {
      if (stop()) {
        await reader.cancel();
        return false;
      }
      if (out.size > 0 && (out.size >= GATHER_BYTES || !await settlesNow(next))) {
        await out.flush();
        continue;
      }
      const { done, value } = await next;
      if (done) {
        out.add(LAST_CHUNK);
        await out.flush();
        return true;
      }
      next = readAhead(reader);
      if (value.byteLength > 0) await out.chunk(value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  }
}

/** Bytes waiting for one write. */
class Gathered {
  #pieces: Uint8Array[] = [];
  size = 0;
  readonly write: Write;

  constructor(write: Write) {
    this.write = write;
  }

  add(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#pieces.push(bytes);
    this.size += bytes.byteLength;
  }

  /** `size CRLF data CRLF`; a large piece's data is written uncopied and its CRLF waits. */
  async chunk(data: Uint8Array): Promise<void> {
    this.add(ENCODER.encode(data.byteLength.toString(16) + "\r\n"));
    if (data.byteLength > UNCOPIED_CHUNK) {
      await this.flush();
      await this.write(data);
    } else this.add(data);
    this.add(CRLF);
  }

  async flush(): Promise<void> {
    const bytes = concat(this.#pieces);
    this.#pieces = [];
    this.size = 0;
    await this.write(bytes);
  }
}

/**
 * The next read, started before the last piece is written: were the body to
 * fail during that write, a rejection nothing awaits yet would end the
 * process. It is awaited (and its error thrown) in turn.
 */
function readAhead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const read = reader.read();
  read.catch(() => {});
  return read;
}

/** Whether a read settles within READY_TURNS microtask turns, without waiting for I/O. */
async function settlesNow(read: Promise<unknown>): Promise<boolean> {
  let settled = false;
  read.then(() => settled = true, () => settled = true);
  for (let turn = 0; turn < READY_TURNS && !settled; turn++) await Promise.resolve();
  return settled;
}
