import type { Db } from "../db/client.ts";
import { readRecords } from "../audit/read_records.ts";

/** One proxied call, as the portal shows it: no path, no content. */
export interface ActivityItem {
  at: number;
  agentId: string;
  provider: string;
  operation: string;
  /** allowed | denied | hidden | redacted … */
  decision: string;
  via: string | null;
}

/** How far back the portal looks. */
export const ACTIVITY_WINDOW_MS = 30 * 86_400_000;

/**
 * The entity's proxied calls in this app over the last 30 days, newest
 * first: a page of `limit` before `before` (ms), and the last use per
 * provider. Calls the portal itself made (`via: portal`) are left out.
 */
export async function readActivity(
  db: Db,
  where: { appId: string; entityId: string; provider?: string },
  page: { before: number | null; limit: number },
  now: number,
): Promise<{ items: ActivityItem[]; more: boolean; lastUsed: Map<string, number> }> {
  const lastUsed = new Map<string, number>();
  // Oldest first from the log: keep a window of the newest limit+1 before the cursor.
  const kept: ActivityItem[] = [];
  const records = readRecords(db, {
    appId: where.appId,
    entityId: where.entityId,
    kinds: "proxy.request",
    since: now - ACTIVITY_WINDOW_MS,
  });
  for await (const batch of records) {
    for (const r of batch) {
      const data = r.data;
      if (data.via === "portal" || r.provider === null) continue;
      if (
        data.decision === "allowed" || data.decision === "redacted" || data.decision === "hidden"
      ) {
        if ((lastUsed.get(r.provider) ?? 0) < r.at) lastUsed.set(r.provider, r.at);
      }
      if (where.provider && r.provider !== where.provider) continue;
      if (page.before !== null && r.at >= page.before) continue;
      kept.push({
        at: r.at,
        agentId: r.agentId ?? "",
        provider: r.provider,
        operation: String(data.operation ?? ""),
        decision: String(data.decision ?? ""),
        via: typeof data.via === "string" ? data.via : null,
      });
      if (kept.length > page.limit + 1) kept.shift();
    }
  }
  const more = kept.length > page.limit;
  const items = kept.slice(more ? 1 : 0).reverse();
  return { items, more, lastUsed };
}
