/**
 * The audit thread's entry point: its own connection to the database file,
 * appending the batches the serving thread hands over. SQLite runs
 * synchronously in the embedded driver, so chaining and inserting here keeps
 * that work off the event loop that serves requests.
 */
import { type Database, openDatabase, type OpenOptions } from "../db/client.ts";
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

let database: Database | null = null;
let openOptions: OpenOptions | null = null;

/**
 * A batch that failed on a locked database can leave the driver's
 * connection unusable ("cannot commit transaction - SQL statements in
 * progress" on every later batch): the next batch starts on a fresh one.
 */
async function reopen(): Promise<void> {
  if (!openOptions) return;
  try {
    database?.close();
  } catch {
    // Closing a broken connection may fail; the new one is what matters.
  }
  database = await openDatabase({ ...openOptions, create: false });
}

scope.onmessage = async ({ data }) => {
  try {
    if (data.type === "open") {
      // The main thread opened (or created) the file; never create another here.
      openOptions = data.options;
      database = await openDatabase({ ...data.options, create: false });
      scope.postMessage({ type: "opened" });
      return;
    }
    if (!database) throw new Error("the audit thread has no database yet");
    if (data.type === "prune") {
      const result = await pruneAudit(database, data.before, data.by, data.now);
      scope.postMessage({ type: "done", id: data.id, result });
      return;
    }
    await appendAuditBatch(database, JSON.parse(data.events) as AuditEvent[]);
    scope.postMessage({ type: "done", id: data.id });
  } catch (error) {
    const id = data.type === "open" ? null : data.id;
    if (data.type !== "open") await reopen().catch(() => {});
    scope.postMessage({ type: "failed", id, message: (error as Error).message });
  }
};
