/**
 * The audit thread's entry point: its own connection to the database file,
 * appending the batches the serving thread hands over. SQLite runs
 * synchronously in the embedded driver, so chaining and inserting here keeps
 * that work off the event loop that serves requests.
 */
import { logSafeError } from "../errors/log_safe.ts";
import type { Database, OpenOptions } from "../db/client.ts";
import { WorkerDatabase } from "../db/worker_database.ts";
import { appendAuditBatch } from "./append.ts";
import type { Actor } from "./actor.ts";
import type { AuditEvent } from "./audit_types.ts";
import { pruneAudit } from "./prune.ts";

export type ToAuditThread =
  | { type: "open"; options: OpenOptions }
  /** The batch as JSON (AuditEvent[]). */
  | { type: "write"; id: number; events: string }
  /** Retention (prune.ts): deleting a minute of packs is no work for the serving thread. */
  | { type: "prune"; id: number; before: number; by: Actor; now: number };

export type FromAuditThread =
  | { type: "opened" }
  /** `result`: records pruned, for a prune. */
  | { type: "done"; id: number; result?: number }
  | { type: "failed"; id: number | null; message: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToAuditThread>) => void) | null;
  postMessage(message: FromAuditThread): void;
};

const database = new WorkerDatabase({ name: "audit thread", prepare: (db: Database) => db });

scope.onmessage = async ({ data }) => {
  try {
    if (data.type === "open") {
      await database.open(data.options);
      scope.postMessage({ type: "opened" });
      return;
    }
    if (data.type === "prune") {
      const result = await database.use((db) => pruneAudit(db, data.before, data.by, data.now));
      scope.postMessage({ type: "done", id: data.id, result });
      return;
    }
    const events = JSON.parse(data.events) as AuditEvent[];
    await database.use((db) => appendAuditBatch(db, events));
    scope.postMessage({ type: "done", id: data.id });
  } catch (error) {
    const id = data.type === "open" ? null : data.id;
    // A failed insert's message lists the batch it bound (paths, entity ids): not sent on.
    scope.postMessage({ type: "failed", id, message: logSafeError(error) });
  }
};
