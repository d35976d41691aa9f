import { logSafeError } from "../errors/log_safe.ts";
/**
 * The security thread's entry point: its own connection to the database
 * file, making the security engine's round trips (rate-limit leases, shared
 * anomaly counts, blocks, findings, the hourly learning of active hours).
 * The embedded driver runs SQLite synchronously, and a statement waiting on
 * another connection's write lock (the audit thread's, another process's)
 * blocks the thread that made it for up to the busy timeout: here that is
 * this thread, not the event loop serving requests.
 */
import { databaseAnomalyStorage } from "../anomalies/anomaly_storage.ts";
import type { OpenOptions } from "../db/client.ts";
import { WorkerDatabase } from "../db/worker_database.ts";
import { databaseBuckets } from "../limits/bucket_store.ts";
import type { SecurityOps } from "./security_thread.ts";

export type ToSecurityThread =
  | { type: "open"; options: OpenOptions; leaseMs: number }
  /** Another isolate's calls come over `port` (one thread serves every isolate of a process). */
  | { type: "port"; port: MessagePort }
  | { type: "call"; id: number; op: keyof SecurityOps; args: unknown[] };

export type FromSecurityThread =
  | { type: "opened" }
  | { type: "done"; id: number; result: unknown }
  | { type: "failed"; id: number | null; message: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToSecurityThread>) => void) | null;
  postMessage(message: FromSecurityThread): void;
};

let leaseMs = 0;
const database = new WorkerDatabase<SecurityOps>({
  name: "security thread",
  prepare: (db) => ({ ...databaseBuckets(db, leaseMs), ...databaseAnomalyStorage(db) }),
});

/** Answers one source's messages (this worker's scope, or a port another isolate holds). */
function serve(reply: (message: FromSecurityThread) => void) {
  return async ({ data }: MessageEvent<ToSecurityThread>) => {
    if (data.type === "port") {
      data.port.onmessage = serve((message) => data.port.postMessage(message));
      return;
    }
    if (data.type === "open") {
      try {
        leaseMs = data.leaseMs;
        await database.open(data.options);
        reply({ type: "opened" });
      } catch (error) {
        reply({ type: "failed", id: null, message: logSafeError(error) });
      }
      return;
    }
    try {
      const result = await database.use((ops) =>
        (ops[data.op] as (...a: unknown[]) => Promise<unknown>)(...data.args)
      );
      reply({ type: "done", id: data.id, result });
    } catch (error) {
      // logSafeError: a failed query's message holds its bound values.
      reply({ type: "failed", id: data.id, message: logSafeError(error) });
    }
  };
}

scope.onmessage = serve((message) => scope.postMessage(message));
