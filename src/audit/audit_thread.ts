import type { OpenOptions } from "../db/client.ts";
import { ThreadCalls } from "../db/thread_calls.ts";
import type { Actor } from "./actor.ts";
import type { AuditEvent } from "./audit_types.ts";
import type { FromAuditThread, ToAuditThread } from "./audit_worker.ts";

/**
 * A worker thread that writes audit batches through its own connection.
 * With the embedded driver every SQL statement runs on the calling thread's
 * event loop; at thousands of proxied requests a second, chaining and
 * inserting their records there costs the proxy about a fifth of its
 * throughput. Batches are handed over whole; a failed batch rejects so the
 * writer keeps it for the next flush.
 */
export class AuditThread {
  readonly #worker: Worker;
  readonly #calls = new ThreadCalls("audit thread");

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }: MessageEvent<FromAuditThread>) => this.#calls.settle(data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#calls.fail(new Error(`audit thread crashed: ${event.message}`));
    };
  }

  /** Starts the thread and opens its connection; rejects when the database cannot be opened. */
  static async start(options: OpenOptions): Promise<AuditThread> {
    const worker = new Worker(new URL("./audit_worker.ts", import.meta.url), { type: "module" });
    const thread = new AuditThread(worker);
    try {
      await thread.#send({ type: "open", options }, 0);
    } catch (error) {
      // The serving thread writes instead: a thread with no database must not linger.
      thread.close();
      throw error;
    }
    return thread;
  }

  write(events: AuditEvent[]): Promise<void> {
    // One JSON string crosses the thread boundary for less than structured
    // clone charges for hundreds of small objects, on both threads.
    return this.writeJson(JSON.stringify(events));
  }

  /** A batch already in JSON (an AuditEvent[] array), as AuditWriter's `writeJson` hands it. */
  async writeJson(events: string): Promise<void> {
    const id = this.#calls.nextId();
    await this.#send({ type: "write", id, events }, id);
  }

  /** pruneAudit on this thread's connection; resolves with the records pruned. */
  prune(before: number, by: Actor, now: number): Promise<number> {
    const id = this.#calls.nextId();
    return this.#send({ type: "prune", id, before, by, now }, id);
  }

  /** Stops the thread; call after the writer's last flush. */
  close(): void {
    this.#calls.fail(new Error("the audit thread is closed"));
    this.#worker.terminate();
  }

  async #send(message: ToAuditThread, id: number): Promise<number> {
    const result = await this.#calls.send(id, () => this.#worker.postMessage(message));
    return typeof result === "number" ? result : 0;
  }
}
