import { proxyErrors } from "./proxy_errors.ts";
import { identityCoded } from "./request_coding.ts";

/** Judges a body as it is forwarded: what may go on now; throws to refuse the rest. */
export interface BodyScan {
  push(chunk: Uint8Array): Uint8Array[];
  end(): Uint8Array[];
}

/**
 * A body that filters may read the head of, up to a limit, without losing
 * it: what was read is sent on first, then the rest of the stream. A body
 * nobody reads is handed on as the original stream (zero-copy).
 */
export class PeekableBody {
  #source: ReadableStream<Uint8Array> | Uint8Array | null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #done = false;
  #scan: BodyScan | null = null;
  /** What the scan let through of the chunks read so far, in order. */
  #scanned: Uint8Array[] = [];
  #refusal: unknown = null;

  /**
   * `contentEncoding`: the caller's, for a request body (null for an answer's):
   * a body a check reads must be the one the provider reads.
   */
  constructor(
    source: ReadableStream<Uint8Array> | Uint8Array | null,
    readonly contentEncoding: string | null = null,
  ) {
    this.#source = source;
  }

  /**
   * `read` for a check that decides on the body: a compressed body is refused
   * (415) rather than judged as the bytes it is before the provider inflates it.
   */
  inspect(limit: number): Promise<Uint8Array | "too_large" | null> {
    const coding = this.contentEncoding;
    // No body (a GET, or a method whose body is not forwarded): nothing to hide.
    if (coding !== null && this.#source !== null && !identityCoded(coding)) {
      return Promise.reject(proxyErrors.compressedBody(coding));
    }
    return this.read(limit);
  }

  /** At most `limit` bytes: the whole body, `"too_large"` when there is more, or null when there is none. */
  async read(limit: number): Promise<Uint8Array | "too_large" | null> {
    const source = this.#source;
    if (source === null) return null;
    if (source instanceof Uint8Array) return source.byteLength > limit ? "too_large" : source;
    this.#reader ??= source.getReader();
    while (!this.#done && this.#size <= limit) {
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#done = true;
        if (this.#scan) this.#scan.end();
      } else {
        this.#chunks.push(value);
        this.#size += value.byteLength;
        if (this.#scan) this.#scanned.push(...this.#scan.push(value));
      }
    }
    if (this.#size > limit) return "too_large";
    return this.#whole();
  }

  /**
   * Passes every byte of a body read past a limit through `scan` on its way
   * on: what was read so far now (so a refusal there throws here, before
   * anything is sent), the rest as it is forwarded, where a refusal errors
   * the forwarded stream. A body read whole needs none: judge the bytes.
   */
  scan(scan: BodyScan): void {
    if (this.#reader === null || this.#done) {
      throw new Error("Only a body read past a limit is scanned");
    }
    this.#scan = scan;
    for (const chunk of this.#chunks) this.#scanned.push(...scan.push(chunk));
  }

  /** The scan's refusal, once it ended the forwarded stream. */
  get refusal(): unknown {
    return this.#refusal;
  }

  /** True once a filter read the body (then `forward()` replays it). */
  get touched(): boolean {
    return this.#reader !== null;
  }

  /** What to send on: the untouched source, the whole body read, or what was read followed by the rest. */
  forward(): ReadableStream<Uint8Array> | Uint8Array | null {
    if (this.#reader === null) return this.#source;
    if (this.#done) return this.#whole();
    if (this.#scan) return this.#forwardScanned(this.#scan, this.#reader);
    const reader = this.#reader;
    const head = this.#chunks;
    this.#chunks = [];
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = head.shift();
        if (next) return controller.enqueue(next);
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  #forwardScanned(
    scan: BodyScan,
    reader: ReadableStreamDefaultReader<Uint8Array>,
  ): ReadableStream<Uint8Array> {
    const head = this.#scanned;
    this.#scanned = [];
    this.#chunks = [];
    const refused = (error: unknown) => this.#refusal = error;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = head.shift();
        if (next) return controller.enqueue(next);
        for (;;) {
          const { done, value } = await reader.read();
          let out: Uint8Array[];
          try {
            out = done ? scan.end() : scan.push(value);
          } catch (error) {
            // Errors the stream: the provider's request ends unfinished.
            refused(error);
            await reader.cancel(error).catch(() => {});
            throw error;
          }
          for (const piece of out) controller.enqueue(piece);
          if (done) return controller.close();
          if (out.length > 0) return;
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
  }

  /** Gives up on the body (a denied call): the rest is never read. */
  async discard(): Promise<void> {
    const source = this.#source;
    if (source instanceof ReadableStream) {
      await (this.#reader ? this.#reader.cancel() : source.cancel()).catch(() => {});
    }
  }

  #whole(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0];
    const whole = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of this.#chunks) {
      whole.set(chunk, at);
      at += chunk.byteLength;
    }
    this.#chunks = [whole];
    return whole;
  }
}
