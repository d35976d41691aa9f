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
   * Where batches go as one JSON array (AuditEvent[]), taking precedence
   * over `write`: the audit thread parses its batch anyway, so arrays that
   * serving isolates handed over (`recordJson`) are spliced in unparsed.
   */
  writeJson?: (json: string) => Promise<void>;
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
    & Required<Omit<AuditWriterOptions, "onFlush" | "write" | "writeJson" | "downstreamBacklogged">>
    & Pick<AuditWriterOptions, "onFlush" | "downstreamBacklogged">;
  readonly #write: (batch: QueuedBatch) => Promise<void>;
  #buffer: AuditEvent[] = [];
  /** JSON arrays handed over whole (`recordJson`), with how many events they hold. */
  #handed: string[] = [];
  #handedCount = 0;
  #handedOldestAt = Infinity;
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
    const write = options.write ?? ((events) => appendAuditBatch(options.database, events));
    const { writeJson } = options;
    this.#write = writeJson
      ? (batch) => writeJson(batchJson(batch))
      : (batch) => write(batchEvents(batch));
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
    this.#queued(1);
  }

  /**
   * Queues a JSON array of `count` events as it came from a serving isolate
   * (`oldestAt`: its first event's time, for the lag metric). It stays a
   * string: a writer with `writeJson` never parses it on this thread.
   */
  recordJson(json: string, count: number, oldestAt: number): void {
    if (count === 0) return;
    this.#handed.push(json);
    this.#handedCount += count;
    this.#handedOldestAt = Math.min(this.#handedOldestAt, oldestAt);
    this.#queued(count);
  }

  #queued(added: number): void {
    const queued = this.#buffer.length + this.#handedCount;
    if (queued >= this.#o.maxBatch) this.#flushEarly();
    // The moment the limit is reached, not at the next poll: other isolates refuse from then on.
    const limit = this.#o.backlogLimit;
    const pending = queued + this.#inFlight;
    if (pending >= limit && pending - added < limit) this.onBacklogged?.();
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
      if (written && this.#buffer.length + this.#handedCount >= this.#o.maxBatch) {
        this.#flushEarly();
      }
    });
  }

  /** Every event not yet written: buffered, and the batch being written or retried. */
  get pending(): number {
    return this.#buffer.length + this.#handedCount + this.#inFlight;
  }

  get backlogged(): boolean {
    return this.pending >= this.#o.backlogLimit ||
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
    const count = this.#buffer.length + this.#handedCount;
    if (count === 0) return true;
    const batch: QueuedBatch = {
      events: this.#buffer,
      handed: this.#handed,
      count,
      oldestAt: Math.min(this.#buffer[0]?.at ?? Infinity, this.#handedOldestAt),
    };
    this.#buffer = [];
    this.#handed = [];
    this.#handedCount = 0;
    this.#handedOldestAt = Infinity;
    // Still held (and retried if the write fails): the backlog limit counts it.
    this.#inFlight = count;
    try {
      await this.#write(batch);
      this.#inFlight = 0;
      this.#o.onFlush?.(count, this.#o.now() - batch.oldestAt);
      return true;
    } catch (error) {
      // Put the batch back in front so a passing failure loses nothing.
      this.#inFlight = 0;
      this.#buffer = batch.events.concat(this.#buffer);
      this.#handed = batch.handed.concat(this.#handed);
      this.#handedCount += batch.count - batch.events.length;
      if (batch.handed.length > 0) {
        this.#handedOldestAt = Math.min(this.#handedOldestAt, batch.oldestAt);
      }
      this.#o.onError(error);
      return false;
    }
  }
}

/** One write's worth: events recorded here and JSON arrays handed over, `count` in all. */
interface QueuedBatch {
  events: AuditEvent[];
  handed: string[];
  count: number;
  oldestAt: number;
}

/** The batch as one JSON array: handed arrays are joined as text, never parsed. */
function batchJson(batch: QueuedBatch): string {
  if (batch.handed.length === 0) return JSON.stringify(batch.events);
  const parts = batch.events.length > 0 ? [JSON.stringify(batch.events)] : [];
  parts.push(...batch.handed);
  // Each part is "[…]" with at least one element: their insides joined make one array.
  return `[${parts.map((part) => part.slice(1, -1)).join(",")}]`;
}

/** The batch as objects, for a writer that appends on this thread. */
function batchEvents(batch: QueuedBatch): AuditEvent[] {
  if (batch.handed.length === 0) return batch.events;
  return batch.events.concat(...batch.handed.map((json) => JSON.parse(json) as AuditEvent[]));
}
