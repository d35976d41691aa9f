/**
 * The audit thread's entry point: its own connection to the database file,
 * appending the batches the serving thread hands over. SQLite runs
 * synchronously in the embedded driver, so chaining and inserting here keeps
 * that work off the event loop that serves requests.
 */
import { type Database, openDatabase, type OpenOptions } from "../db/client.ts";
import { appendAuditBatch } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";

export type ToAuditThread =
  | { type: "open"; options: OpenOptions }
  /** The batch as JSON (AuditEvent[]). */
  | { type: "write"; id: number; events: string };

export type FromAuditThread =
  | { type: "opened" }
  | { type: "written"; id: number }
  | { type: "failed"; id: number | null; message: string };

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToAuditThread>) => void) | null;
  postMessage(message: FromAuditThread): void;
};

let database: Database | null = null;

scope.onmessage = async ({ data }) => {
  try {
    if (data.type === "open") {
      database = await openDatabase(data.options);
      scope.postMessage({ type: "opened" });
      return;
    }
    if (!database) throw new Error("the audit thread has no database yet");
    await appendAuditBatch(database, JSON.parse(data.events) as AuditEvent[]);
    scope.postMessage({ type: "written", id: data.id });
  } catch (error) {
    const id = data.type === "write" ? data.id : null;
    scope.postMessage({ type: "failed", id, message: (error as Error).message });
  }
};
