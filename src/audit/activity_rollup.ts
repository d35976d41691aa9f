import type { InValue } from "@libsql/client";
import type { AuditEvent } from "./audit_types.ts";
import { storableText } from "./storable_text.ts";

export const HOUR_MS = 3_600_000;

/** The UTC hour `at` falls in, as its start in ms: the rollup's time key. */
export function hourOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

const COLUMNS =
  "app_id, entity_id, hour, provider, agent_id, operation, decision, via, calls, last_at";
const UPSERT_TAIL = " ON CONFLICT (app_id, entity_id, hour, provider, agent_id, operation, " +
  "decision, via) DO UPDATE SET calls = calls + excluded.calls, " +
  "last_at = max(last_at, excluded.last_at)";
// One JSON parameter for all the batch's rows: binding ten values a row through the driver
// cost more than SQLite's reading them back out of JSON.
const UPSERT = `INSERT INTO activity_hourly (${COLUMNS}) ` +
  "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, " +
  "value ->> 6, value ->> 7, value ->> 8, value ->> 9 FROM json_each(?) WHERE true" +
  UPSERT_TAIL;

/**
 * The `activity_hourly` upsert for a batch of audit events, null when none
 * counts: its `proxy.request` records counted per app, entity, hour,
 * provider, agent, operation, decision and via, so a batch of a thousand
 * calls by a few agents is a handful of rows. Run in the batch's own transaction
 * (append.ts): the rollup then holds exactly what the log holds, even after
 * a crash. Records without an app, entity or provider (none of the readers
 * can use them) are left out; so are paths and content.
 */
export function rollupUpsert(
  events: readonly AuditEvent[],
): { sql: string; args: InValue[] } | null {
  const rows = new Map<string, InValue[]>();
  for (const e of events) {
    if (e.kind !== "proxy.request" || !e.appId || !e.entityId || !e.provider) continue;
    const d = e.data;
    const agent = e.agentId ?? "";
    const operation = typeof d.operation === "string" ? d.operation : "";
    const decision = typeof d.decision === "string" ? d.decision : "";
    const via = typeof d.via === "string" ? d.via : "";
    const hour = hourOf(e.at);
    // Each text led by its length: no agent or entity id can make two groups' keys meet.
    const key = `${hour}|${e.appId.length}:${e.appId}${e.entityId.length}:${e.entityId}` +
      `${e.provider.length}:${e.provider}${agent.length}:${agent}${operation.length}:` +
      `${operation}${decision.length}:${decision}${via}`;
    const row = rows.get(key);
    if (row) {
      (row[8] as number)++;
      if (e.at > (row[9] as number)) row[9] = e.at;
      continue;
    }
    rows.set(key, [
      storableText(e.appId),
      storableText(e.entityId),
      hour,
      storableText(e.provider),
      storableText(agent),
      storableText(operation),
      storableText(decision),
      storableText(via),
      1,
      e.at,
    ]);
  }
  if (rows.size === 0) return null;
  return { sql: UPSERT, args: [JSON.stringify([...rows.values()])] };
}
