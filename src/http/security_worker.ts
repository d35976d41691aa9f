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
import { type Database, openDatabase, type OpenOptions } from "../db/client.ts";
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

let opened: { database: Database; ops: SecurityOps } | null = null;
let open: Extract<ToSecurityThread, { type: "open" }> | null = null;
let inFlight = 0;
let broken = false;
let reopening: Promise<void> | null = null;

async function connect(message: Extract<ToSecurityThread, { type: "open" }>) {
  // The serving thread opened (or created) the file; never create another here.
  const database = await openDatabase({ ...message.options, create: false });
  const ops: SecurityOps = {
    ...databaseBuckets(database, message.leaseMs),
    ...databaseAnomalyStorage(database),
  };
  return { database, ops };
}

/**
 * A statement that failed on a locked database can leave the driver's
 * connection unusable (see audit_worker.ts): once no call is using it, the
 * next calls go to a fresh one.
 */
function reopen(): Promise<void> {
  return (async () => {
    try {
      opened?.database.close();
    } catch {
      // Closing a broken connection may fail; the new one is what matters.
    }
    opened = null;
    opened = await connect(open!);
  })().catch(() => {
    // Still unopened: the next call fails and tries again.
  }).finally(() => {
    reopening = null;
  });
}

async function call(op: keyof SecurityOps, args: unknown[]): Promise<unknown> {
  while (reopening) await reopening;
  if (!opened && open) reopening = reopen();
  while (reopening) await reopening;
  if (!opened) throw new Error("the security thread has no database");
  inFlight++;
  try {
    return await (opened.ops[op] as (...a: unknown[]) => Promise<unknown>)(...args);
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    if (--inFlight === 0 && broken) {
      broken = false;
      reopening = reopen();
    }
  }
}

/** Answers one source's messages (this worker's scope, or a port another isolate holds). */
function serve(reply: (message: FromSecurityThread) => void) {
  return async ({ data }: MessageEvent<ToSecurityThread>) => {
    if (data.type === "port") {
      data.port.onmessage = serve((message) => data.port.postMessage(message));
      return;
    }
    if (data.type === "open") {
      try {
        open = data;
        opened = await connect(data);
        reply({ type: "opened" });
      } catch (error) {
        reply({ type: "failed", id: null, message: logSafeError(error) });
      }
      return;
    }
    try {
      const result = await call(data.op, data.args);
      reply({ type: "done", id: data.id, result });
    } catch (error) {
      // logSafeError: a failed query's message holds its bound values.
      reply({ type: "failed", id: data.id, message: logSafeError(error) });
    }
  };
}

scope.onmessage = serve((message) => scope.postMessage(message));
