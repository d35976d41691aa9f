import { desc } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { auditLog } from "../db/schema.ts";
import { canonicalJson } from "./canonical_json.ts";
import { type AuditEvent, GENESIS_HASH } from "./audit_types.ts";
import { chainHash } from "./chain.ts";
import { writeHead } from "./chain_meta.ts";

export interface AuditWriterOptions {
  database: Database;
  /** How often buffered events are written; default 250 ms. */
  intervalMs?: number;
  /** Flush early when this many events are waiting; default 500. */
  maxBatch?: number;
  onError?: (error: unknown) => void;
  onFlush?: (count: number, lagMs: number) => void;
  now?: () => number;
}

/**
 * Collects audit events in memory and appends them in one transaction per
 * batch, off the request path. Each batch reads the chain's head inside its
 * write transaction, so several processes appending to one database still
 * build a single chain. A crash loses at most one interval of events.
 */
export class AuditWriter {
  readonly #o: Required<Omit<AuditWriterOptions, "onFlush">> & Pick<AuditWriterOptions, "onFlush">;
  #buffer: AuditEvent[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: AuditWriterOptions) {
    this.#o = {
      intervalMs: 250,
      maxBatch: 500,
      onError: (error) => console.error(`audit: cannot write batch: ${(error as Error).message}`),
      now: Date.now,
      ...options,
    };
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#o.intervalMs);
  }

  /** Queues an event; never blocks, never throws. */
  record(event: AuditEvent): void {
    this.#buffer.push(event);
    if (this.#buffer.length >= this.#o.maxBatch) void this.flush();
  }

  get pending(): number {
    return this.#buffer.length;
  }

  /** Writes everything queued so far; batches are written one after another. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#writeBatch());
    return this.#flushing;
  }

  /** Stops the timer and writes what is left (clean shutdown). */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  async #writeBatch(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    try {
      await this.#o.database.transaction(async (tx) => {
        const [head] = await tx.select({ hash: auditLog.hash }).from(auditLog)
          .orderBy(desc(auditLog.seq)).limit(1);
        let prevHash = head?.hash ?? GENESIS_HASH;
        const rows = [];
        for (const event of batch) {
          const fields = {
            id: newId("aud"),
            at: event.at,
            kind: event.kind,
            appId: event.appId ?? null,
            agentId: event.agentId ?? null,
            entityId: event.entityId ?? null,
            provider: event.provider ?? null,
            data: canonicalJson(event.data),
          };
          const hash = chainHash(prevHash, fields);
          rows.push({ ...fields, prevHash, hash });
          prevHash = hash;
        }
        // SQLite caps bound parameters; 10 columns × 50 rows stays well below.
        for (let i = 0; i < rows.length; i += 50) {
          await tx.insert(auditLog).values(rows.slice(i, i + 50));
        }
        await writeHead(tx, prevHash, rows.length);
      });
      this.#o.onFlush?.(batch.length, this.#o.now() - batch[0].at);
    } catch (error) {
      // Put the batch back in front so a passing failure loses nothing.
      this.#buffer = batch.concat(this.#buffer);
      this.#o.onError(error);
    }
  }
}
