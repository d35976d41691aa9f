import type { Database } from "../db/client.ts";
import { appendAuditBatch } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";

export interface AuditWriterOptions {
  database: Database;
  /** How often buffered events are written; default 250 ms. */
  intervalMs?: number;
  /** Flush early when this many events are waiting; default 1000 (one pack). */
  maxBatch?: number;
  /**
   * Events not yet written (buffered, plus the batch being written or
   * retried) at which `backlogged` turns true (writes keep failing or fall
   * behind); default 100,000 (`audit.max_backlog`). The proxy then refuses
   * new requests rather than serve what it cannot record, or grow without bound.
   */
  backlogLimit?: number;
  onError?: (error: unknown) => void;
  onFlush?: (count: number, lagMs: number) => void;
  now?: () => number;
  /**
   * Where batches go; default: appended on this thread. The serving process
   * hands them to an AuditThread instead.
   */
  write?: (events: AuditEvent[]) => Promise<void>;
  /**
   * Whether the writer the batches are handed to is backlogged: a serving
   * isolate's events are written by the main isolate's writer, whose backlog
   * must stop this isolate's proxy too. Default: never.
   */
  downstreamBacklogged?: () => boolean;
}

/**
 * Collects audit events in memory and appends them in one transaction per
 * batch, off the request path. Each batch is chained by `appendAuditBatch` inside
 * its write transaction, so several processes, and the state changes that
 * append their own records directly, still build a single chain. A crash
 * loses at most one interval of buffered events.
 */
export class AuditWriter {
  readonly #o:
    & Required<Omit<AuditWriterOptions, "onFlush" | "write" | "downstreamBacklogged">>
    & Pick<AuditWriterOptions, "onFlush" | "downstreamBacklogged">;
  readonly #write: (events: AuditEvent[]) => Promise<void>;
  #buffer: AuditEvent[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #earlyFlush = false;
  /** Events handed to `write` and not settled: they are held until it ends, retried after a failure. */
  #inFlight = 0;
  #timerFlushWaiting = false;

  constructor(options: AuditWriterOptions) {
    this.#o = {
      intervalMs: 250,
      maxBatch: 1_000,
      backlogLimit: 100_000,
      onError: (error) => console.error(`audit: cannot write batch: ${(error as Error).message}`),
      now: Date.now,
      ...options,
    };
    this.#write = options.write ?? ((events) => appendAuditBatch(options.database, events));
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), this.#o.intervalMs);
  }

  /**
   * While a write is stuck (another process holds the write lock for the
   * busy timeout), ticks must not pile up a queued flush each: one waits.
   */
  #tick(): void {
    if (this.#timerFlushWaiting) return;
    this.#timerFlushWaiting = true;
    this.#flushing = this.#flushing.then(async () => {
      this.#timerFlushWaiting = false;
      await this.#writeBatch();
    });
  }

  /** Queues an event; never blocks, never throws. */
  record(event: AuditEvent): void {
    this.#buffer.push(event);
    if (this.#buffer.length >= this.#o.maxBatch) this.#flushEarly();
    // The moment the limit is reached, not at the next poll: other isolates refuse from then on.
    if (this.#buffer.length + this.#inFlight === this.#o.backlogLimit) this.onBacklogged?.();
  }

  /** Told once each time the queued events reach the backlog limit (the serving pool's hook). */
  onBacklogged: (() => void) | null = null;

  /**
   * One early flush at a time: while a batch is being written the buffer
   * keeps growing, and a flush per event past maxBatch would cut it into many
   * small batches, each paying a whole commit. What piled up meanwhile goes
   * as one batch as soon as the write ends (after a failure, at the timer).
   */
  #flushEarly(): void {
    if (this.#earlyFlush) return;
    this.#earlyFlush = true;
    this.#flushing = this.#flushing.then(async () => {
      const written = await this.#writeBatch();
      this.#earlyFlush = false;
      if (written && this.#buffer.length >= this.#o.maxBatch) this.#flushEarly();
    });
  }

  /** Every event not yet written: buffered, and the batch being written or retried. */
  get pending(): number {
    return this.#buffer.length + this.#inFlight;
  }

  get backlogged(): boolean {
    return this.#buffer.length + this.#inFlight >= this.#o.backlogLimit ||
      this.#o.downstreamBacklogged?.() === true;
  }

  /** Writes everything queued so far; batches are written one after another. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => void await this.#writeBatch());
    return this.#flushing;
  }

  /** Stops the timer and writes what is left (clean shutdown). */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  /** False when the write failed and the batch went back into the buffer. */
  async #writeBatch(): Promise<boolean> {
    if (this.#buffer.length === 0) return true;
    const batch = this.#buffer;
    this.#buffer = [];
    // Still held (and retried if the write fails): the backlog limit counts it.
    this.#inFlight = batch.length;
    try {
      await this.#write(batch);
      this.#inFlight = 0;
      this.#o.onFlush?.(batch.length, this.#o.now() - batch[0].at);
      return true;
    } catch (error) {
      // Put the batch back in front so a passing failure loses nothing.
      this.#inFlight = 0;
      this.#buffer = batch.concat(this.#buffer);
      this.#o.onError(error);
      return false;
    }
  }
}
