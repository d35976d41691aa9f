import type { AnomalyStorage } from "../anomalies/anomaly_storage.ts";
import type { OpenOptions } from "../db/client.ts";
import type { BucketStore } from "../limits/bucket_store.ts";
import type { FromSecurityThread, ToSecurityThread } from "./security_worker.ts";

/** Every database round trip of the security engine: the rate limits' and the anomaly engine's. */
export type SecurityOps = BucketStore & AnomalyStorage;

interface Waiting {
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

/**
 * A worker thread that makes the security engine's database round trips
 * through its own connection (security_worker.ts). The engine's hot path
 * never touches the database; its periodic syncs (every `[security]
 * share_ms`) and the hourly learning did, on the serving thread, where the
 * embedded driver blocked the event loop whenever SQLite waited for the
 * write lock. Here they are messages: the serving thread posts its deltas
 * and claims and takes the answers when they come.
 *
 * Each serving isolate runs one, so leases keep their holder per isolate
 * (lease_bucket.ts) exactly as before. A thread that crashed or was closed
 * rejects every call: the limits then refuse calls that need a new claim
 * (fail closed), the anomaly engine keeps counting in memory and logs.
 */
export class SecurityThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #broken: Error | null = null;
  readonly buckets: BucketStore;
  readonly anomalies: AnomalyStorage;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.onmessage = ({ data }: MessageEvent<FromSecurityThread>) => this.#settle(data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`security thread crashed: ${event.message}`));
    };
    this.buckets = { settle: (...args) => this.#call("settle", args) };
    this.anomalies = {
      shareCounts: (...args) => this.#call("shareCounts", args),
      activeBlocks: () => this.#call("activeBlocks", []),
      expireBlocks: (...args) => this.#call("expireBlocks", args),
      recordAnomaly: (...args) => this.#call("recordAnomaly", args),
      learnHours: (...args) => this.#call("learnHours", args),
    };
  }

  /**
   * Starts the thread and opens its connection (`leaseMs`: how long a
   * rate-limit lease lives in the database); rejects when it cannot.
   */
  static async start(options: OpenOptions, leaseMs: number): Promise<SecurityThread> {
    const worker = new Worker(new URL("./security_worker.ts", import.meta.url), {
      type: "module",
    });
    const thread = new SecurityThread(worker);
    try {
      await thread.#send({ type: "open", options, leaseMs }, 0);
    } catch (error) {
      thread.close();
      throw error;
    }
    return thread;
  }

  /** Stops the thread; call after the limits and the engine made their last sync. */
  close(): void {
    this.#fail(new Error("the security thread is closed"));
    this.#worker.terminate();
  }

  #call<K extends keyof SecurityOps>(
    op: K,
    args: Parameters<SecurityOps[K]>,
  ): ReturnType<SecurityOps[K]> {
    const id = this.#next++;
    return this.#send({ type: "call", id, op, args }, id) as ReturnType<SecurityOps[K]>;
  }

  #send(message: ToSecurityThread, id: number): Promise<unknown> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage(message);
    });
  }

  #settle(message: FromSecurityThread): void {
    const id = message.type === "opened" ? 0 : message.id ?? 0;
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (message.type === "failed") waiting?.reject(new Error(message.message));
    else waiting?.resolve(message.type === "done" ? message.result : undefined);
  }

  #fail(error: Error): void {
    this.#broken ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}
