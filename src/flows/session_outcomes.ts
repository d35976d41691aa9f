import type { Database } from "../db/client.ts";
import type { AuthSession } from "./session_types.ts";

export type SessionOutcome = "created" | "completed" | "failed" | "expired";
export type SessionObserver = (flow: AuthSession["flow"], outcome: SessionOutcome) => void;

/**
 * Observers of session outcomes, per database handle: the HTTP wiring
 * subscribes (metrics) without every flow function taking another
 * parameter, and two appliances in one process never see each other's sessions.
 */
const observers = new WeakMap<Database, Set<SessionObserver>>();

/** Calls `observer` after each session this process creates or ends on `database`. */
export function observeSessions(database: Database, observer: SessionObserver): () => void {
  let set = observers.get(database);
  if (!set) observers.set(database, set = new Set());
  set.add(observer);
  return () => set.delete(observer);
}

/**
 * Reports a session change once it is committed. An observer that throws is
 * ignored: counting must never fail a consent.
 */
export function reportSession(
  database: Database,
  flow: AuthSession["flow"],
  outcome: SessionOutcome,
): void {
  for (const observer of observers.get(database) ?? []) {
    try {
      observer(flow, outcome);
    } catch { /* metrics only */ }
  }
}
