import { and, desc, eq, inArray, lt, or, type SQL } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { anomalies } from "../db/schema.ts";
import type { Anomaly, AnomalyStatus, Detector } from "./anomaly_types.ts";

type Row = typeof anomalies.$inferSelect;

export function toAnomaly(row: Row): Anomaly {
  return { ...row, detector: row.detector as Detector, status: row.status as AnomalyStatus };
}

export async function getAnomaly(db: Db | Tx, id: string): Promise<Anomaly | null> {
  const [row] = await db.select().from(anomalies).where(eq(anomalies.id, id));
  return row ? toAnomaly(row) : null;
}

/** Blocks in force (expired ones too until `expireBlocks` marks them). */
export async function activeBlocks(db: Db): Promise<Anomaly[]> {
  const rows = await db.select().from(anomalies).where(eq(anomalies.status, "active"));
  return rows.map(toAnomaly);
}

/** Marks blocks whose `expires_at` passed (security.block_minutes) as expired. */
export async function expireBlocks(db: Db | Tx, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.update(anomalies).set({ status: "expired" }).where(
    and(inArray(anomalies.id, ids), eq(anomalies.status, "active")),
  );
}

export interface PagePosition {
  createdAt: number;
  id: string;
}

/** Newest first; `after` continues below the last item of the previous page. */
export async function listAnomaliesPage(
  db: Db,
  filter: { appId?: string; statuses?: readonly AnomalyStatus[] },
  page: { limit: number; after?: PagePosition | null },
): Promise<{ anomalies: Anomaly[]; next: PagePosition | null }> {
  const where: SQL[] = [];
  if (filter.appId) where.push(eq(anomalies.appId, filter.appId));
  if (filter.statuses) where.push(inArray(anomalies.status, [...filter.statuses]));
  const after = page.after;
  if (after) {
    where.push(
      or(
        lt(anomalies.createdAt, after.createdAt),
        and(eq(anomalies.createdAt, after.createdAt), lt(anomalies.id, after.id)),
      )!,
    );
  }
  const rows = await db.select().from(anomalies).where(and(...where))
    .orderBy(desc(anomalies.createdAt), desc(anomalies.id)).limit(page.limit + 1);
  const list = rows.slice(0, page.limit).map(toAnomaly);
  const last = list.at(-1);
  return {
    anomalies: list,
    next: rows.length > page.limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}
