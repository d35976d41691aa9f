import { and, eq } from "drizzle-orm";
import type { Actor } from "../audit/actor.ts";
import { appendAudit } from "../audit/append.ts";
import type { Database } from "../db/client.ts";
import { anomalies, anomalyCounts } from "../db/schema.ts";
import { anomalyErrors } from "./anomaly_errors.ts";
import { getAnomaly } from "./anomaly_store.ts";
import type { Anomaly } from "./anomaly_types.ts";
import { countSubject } from "./count_subject.ts";

export interface ClearDeps {
  database: Database;
  now: () => number;
  /** After commit: this process's block set lets the connection through at once. */
  onCleared?: (anomaly: Anomaly) => void;
}

/**
 * Ends a block: the row, an audit record of who cleared it, and the shared
 * counts that tripped it (so the next call does not trip it again), in one
 * transaction. `appId` confines an app to its own anomalies: another app's
 * id answers not found. Other processes let calls through at their next
 * refresh (security.share_ms).
 */
export async function clearAnomaly(
  deps: ClearDeps,
  id: string,
  options: { by: Actor; appId?: string },
): Promise<Anomaly> {
  const now = deps.now();
  const cleared = await deps.database.transaction(async (tx) => {
    const anomaly = await getAnomaly(tx, id);
    if (!anomaly || (options.appId !== undefined && anomaly.appId !== options.appId)) {
      throw anomalyErrors.notFound(id);
    }
    if (anomaly.status !== "active") throw anomalyErrors.notActive(anomaly);
    const clearedBy = options.by.osUser
      ? `${options.by.actor}:${options.by.osUser}`
      : options.by.actor;
    await tx.update(anomalies).set({ status: "cleared", clearedAt: now, clearedBy }).where(
      eq(anomalies.id, id),
    );
    const subject = countSubject(anomaly);
    if (subject !== null) {
      await tx.delete(anomalyCounts).where(
        and(eq(anomalyCounts.detector, anomaly.detector), eq(anomalyCounts.subject, subject)),
      );
    }
    await appendAudit(tx, [{
      kind: "security.anomaly.cleared",
      at: now,
      appId: anomaly.appId,
      agentId: anomaly.agentId,
      entityId: anomaly.entityId,
      provider: anomaly.provider,
      data: {
        id,
        detector: anomaly.detector,
        connection: anomaly.connectionId,
        ...options.by,
      },
    }]);
    return { ...anomaly, status: "cleared" as const, clearedAt: now, clearedBy };
  });
  deps.onCleared?.(cleared);
  return cleared;
}
