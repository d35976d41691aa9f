import type { Database } from "../db/client.ts";
import { activeBlocks, expireBlocks } from "./anomaly_store.ts";
import type { Anomaly } from "./anomaly_types.ts";
import { type CountRow, shareCounts } from "./count_share.ts";
import { type HourProfiles, learnHours } from "./learn_hours.ts";
import { recordAnomaly } from "./record_anomaly.ts";

/**
 * Every database round trip the anomaly engine makes, behind one interface:
 * the engine runs on the serving thread, and with an embedded file these
 * calls are better made on a thread of their own (the runtime's security
 * thread), where SQLite waiting on a lock stalls nobody's requests.
 */
export interface AnomalyStorage {
  /** count_share.ts: adds the deltas, answers the totals since `since`. */
  shareCounts(deltas: readonly CountRow[], since: number, dropBefore: number): Promise<CountRow[]>;
  /** The blocks in force, tripped by any process. */
  activeBlocks(): Promise<Anomaly[]>;
  expireBlocks(ids: string[]): Promise<void>;
  /** record_anomaly.ts: one row, audit record and webhook per finding across processes. */
  recordAnomaly(
    anomaly: Anomaly,
    dedupeMs: number,
  ): Promise<{ anomaly: Anomaly; created: boolean }>;
  /** learn_hours.ts: the active hours from the audit trail of the last `historyDays`. */
  learnHours(now: number, historyDays: number): Promise<HourProfiles>;
}

/** The calls made on the calling thread's connection. */
export function databaseAnomalyStorage(database: Database): AnomalyStorage {
  return {
    shareCounts: (deltas, since, dropBefore) => shareCounts(database, deltas, since, dropBefore),
    activeBlocks: () => activeBlocks(database.db),
    expireBlocks: (ids) => expireBlocks(database.db, ids),
    recordAnomaly: (anomaly, dedupeMs) => recordAnomaly(database, anomaly, dedupeMs),
    learnHours: (now, historyDays) => learnHours(database.db, now, historyDays),
  };
}
