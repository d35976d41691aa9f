import type { AnomalyStorage } from "../anomalies/anomaly_storage.ts";
import type { OpenOptions } from "../db/client.ts";
import { ThreadCalls } from "../db/thread_calls.ts";
import type { BucketStore } from "../limits/bucket_store.ts";
import type { FromSecurityThread, ToSecurityThread } from "./security_worker.ts";

/** Every database round trip of the security engine: the rate limits' and the anomaly engine's. */
export type SecurityOps = BucketStore & AnomalyStorage;

/** Where messages go: the thread itself, or a port to it (another isolate's). */
interface Endpoint {
  postMessage(message: ToSecurityThread, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<FromSecurityThread>) => void) | null;
}

/**
 * A sync waits at most the busy timeout (5 s) for the lock, then works: an
 * answer this late means the thread is gone (a port cannot tell). Learning
 * reads the indexed hourly activity counts, no longer the audit trail.
 */
const CALL_TIMEOUT_MS = 60_000;

/**
 * A worker thread that makes the security engine's database round trips
 * through its own connection (security_worker.ts). The engine's hot path
 * never touches the database; its periodic syncs (every `[security]
 * share_ms`) and the hourly learning did, on the serving thread, where the
 * embedded driver blocked the event loop whenever SQLite waited for the
 * write lock. Here they are messages: the serving thread posts its deltas
 * and claims and takes the answers when they come.
 *
 * One thread serves every isolate of a process: the main isolate starts it
 * and hands each serving isolate a port (`port()`, `over()`). Each isolate
 * keeps its own lease holder (lease_bucket.ts), so the leases work exactly
 * as when every isolate had its own connection. A thread that crashed, was
 * closed or does not answer rejects the calls: the limits then refuse calls
 * that need a new claim (fail closed), the anomaly engine keeps counting in
 * memory and logs.
 */
export class SecurityThread {
  readonly #endpoint: Endpoint;
  readonly #end: () => void;
  readonly #calls = new ThreadCalls("security thread");
  readonly buckets: BucketStore;
  readonly anomalies: AnomalyStorage;

  private constructor(endpoint: Endpoint, end: () => void) {
    this.#endpoint = endpoint;
    this.#end = end;
    endpoint.onmessage = ({ data }) => this.#calls.settle(data);
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
    const thread = new SecurityThread(worker, () => worker.terminate());
    worker.onerror = (event) => {
      event.preventDefault();
      thread.#calls.fail(new Error(`security thread crashed: ${event.message}`));
    };
    try {
      await thread.#send({ type: "open", options, leaseMs }, 0, CALL_TIMEOUT_MS);
    } catch (error) {
      thread.close();
      throw error;
    }
    return thread;
  }

  /** The thread another isolate reaches through `port` (from `port()` in the main isolate). */
  static over(port: MessagePort): SecurityThread {
    return new SecurityThread(port, () => port.close());
  }

  /** A new port to this thread, to transfer to another isolate (which calls `over`). */
  port(): MessagePort {
    const { port1, port2 } = new MessageChannel();
    this.#endpoint.postMessage({ type: "port", port: port2 }, [port2]);
    return port1;
  }

  /**
   * Rejects every call from now on and ends this isolate's side: the thread
   * itself, or the port to it. Call after the limits and the engine made their
   * last sync (in the main isolate: after the serving isolates stopped).
   */
  close(): void {
    this.#calls.fail(new Error("the security thread is closed"));
    this.#end();
  }

  #call<K extends keyof SecurityOps>(
    op: K,
    args: Parameters<SecurityOps[K]>,
    timeoutMs = CALL_TIMEOUT_MS,
  ): ReturnType<SecurityOps[K]> {
    const id = this.#calls.nextId();
    return this.#send({ type: "call", id, op, args }, id, timeoutMs) as ReturnType<
      SecurityOps[K]
    >;
  }

  #send(message: ToSecurityThread, id: number, timeoutMs: number): Promise<unknown> {
    return this.#calls.send(id, () => this.#endpoint.postMessage(message), timeoutMs);
  }
}
