import { formatDuration } from "../security/duration.ts";
import type { Anomaly } from "./anomaly_types.ts";

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();

/** An anomaly as the API and `securix anomalies list --json` show it. */
export function anomalyView(a: Anomaly) {
  return {
    id: a.id,
    detector: a.detector,
    action: a.action,
    status: a.status,
    blocked: a.blocked,
    connectionId: a.connectionId,
    agentId: a.agentId,
    entityId: a.entityId,
    provider: a.provider,
    count: a.count,
    window: formatDuration(a.windowMs),
    createdAt: iso(a.createdAt),
    expiresAt: iso(a.expiresAt),
    clearedAt: iso(a.clearedAt),
    clearedBy: a.clearedBy,
  };
}
