import { and, eq, gt, isNull, lte, type SQL } from "drizzle-orm";
import { appendAudit } from "../audit/append.ts";
import type { Database, Tx } from "../db/client.ts";
import { anomalies } from "../db/schema.ts";
import { formatDuration } from "../security/duration.ts";
import { enqueueEvent } from "../webhooks/outbox.ts";
import { toAnomaly } from "./anomaly_store.ts";
import type { Anomaly } from "./anomaly_types.ts";

/** What the `security.anomaly` webhook and the audit record carry: ids and counts, no content. */
export function anomalyEventData(a: Anomaly) {
  return {
    id: a.id,
    detector: a.detector,
    action: a.action,
    connection: a.connectionId,
    agent: a.agentId,
    entity: a.entityId,
    provider: a.provider,
    count: a.count,
    window: formatDuration(a.windowMs),
    blocked: a.blocked,
  };
}

/**
 * Writes a finding with its audit record and `security.anomaly` webhook in
 * one transaction, unless it repeats one already there: an active block of
 * the same detector on the connection (another process tripped it first),
 * or an alert of the same detector and subject less than `dedupeMs` old.
 * Answers the anomaly in force and whether it is the one just written, so
 * a block alerts exactly once whichever process sees it.
 */
export async function recordAnomaly(
  database: Database,
  anomaly: Anomaly,
  dedupeMs: number,
): Promise<{ anomaly: Anomaly; created: boolean }> {
  return await database.transaction(async (tx) => {
    const existing = await repeated(tx, anomaly, dedupeMs);
    if (existing) return { anomaly: existing, created: false };
    await tx.insert(anomalies).values(anomaly);
    const data = anomalyEventData(anomaly);
    await appendAudit(tx, [{
      kind: "security.anomaly",
      at: anomaly.createdAt,
      appId: anomaly.appId,
      agentId: anomaly.agentId,
      entityId: anomaly.entityId,
      provider: anomaly.provider,
      data,
    }]);
    await enqueueEvent(tx, {
      appId: anomaly.appId,
      type: "security.anomaly",
      data,
      orderingKey: `anomaly:${anomaly.connectionId ?? anomaly.agentId}`,
    }, anomaly.createdAt);
    return { anomaly, created: true };
  });
}

async function repeated(tx: Tx, a: Anomaly, dedupeMs: number): Promise<Anomaly | null> {
  const where: SQL[] = [eq(anomalies.appId, a.appId), eq(anomalies.detector, a.detector)];
  // burst_errors counts per agent; the others per connection.
  if (a.detector === "burst_errors") {
    where.push(a.agentId === null ? isNull(anomalies.agentId) : eq(anomalies.agentId, a.agentId));
  } else {
    where.push(
      a.connectionId === null
        ? isNull(anomalies.connectionId)
        : eq(anomalies.connectionId, a.connectionId),
    );
  }
  if (a.blocked) {
    // A block whose time ran out gives way to the new one (the unique index holds one active).
    await tx.update(anomalies).set({ status: "expired" }).where(
      and(...where, eq(anomalies.status, "active"), lte(anomalies.expiresAt, a.createdAt)),
    );
    where.push(eq(anomalies.status, "active"));
  } else {
    where.push(gt(anomalies.createdAt, a.createdAt - dedupeMs));
  }
  const [row] = await tx.select().from(anomalies).where(and(...where)).limit(1);
  return row ? toAnomaly(row) : null;
}
