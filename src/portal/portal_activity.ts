import { and, desc, eq, gte, inArray, lte, max, ne, type SQL } from "drizzle-orm";
import { hourOf } from "../audit/activity_rollup.ts";
import type { Db } from "../db/client.ts";
import { activityHourly } from "../db/schema.ts";

/**
 * The calls of one hour by one agent with one operation and decision, as
 * the portal shows them: how many, and when the newest was. No path, no content.
 */
export interface ActivityItem {
  /** The newest call of the group. */
  at: number;
  /** The UTC hour (start, ms) the calls fall in. */
  hour: number;
  calls: number;
  agentId: string;
  provider: string;
  operation: string;
  /** allowed | denied | hidden | redacted … */
  decision: string;
  via: string | null;
}

/**
 * Where the next (older) page starts: groups whose newest call is at or
 * before `at`, less the first `skip` of those at exactly `at` (already shown).
 */
export interface ActivityCursor {
  at: number;
  skip: number;
}

/** How far back the portal looks. */
export const ACTIVITY_WINDOW_MS = 30 * 86_400_000;

/** Decisions that mean the call reached the account: they make "last used". */
const USED = ["allowed", "redacted", "hidden"];

const t = activityHourly;

/**
 * The entity's proxied calls in this app over the last 30 days, grouped per
 * hour, newest first: a page of `limit` groups after `before`, the cursor of
 * the next page, and the last use per provider. Read from the hourly rollup
 * (audit/activity_rollup.ts) by its key, so the cost follows this entity's
 * activity, not the appliance's. Calls the portal itself made (`via:
 * portal`) are left out.
 */
export async function readActivity(
  db: Db,
  where: { appId: string; entityId: string; provider?: string },
  page: { before: ActivityCursor | null; limit: number },
  now: number,
): Promise<{ items: ActivityItem[]; next: ActivityCursor | null; lastUsed: Map<string, number> }> {
  const since = now - ACTIVITY_WINDOW_MS;
  const scope: SQL[] = [
    eq(t.appId, where.appId),
    eq(t.entityId, where.entityId),
    gte(t.hour, hourOf(since)),
    gte(t.lastAt, since),
    ne(t.via, "portal"),
  ];
  const used = await db.select({ provider: t.provider, at: max(t.lastAt) }).from(t)
    .where(and(...scope, inArray(t.decision, USED))).groupBy(t.provider);
  const lastUsed = new Map(used.map((u) => [u.provider, Number(u.at)]));
  if (page.limit <= 0) return { items: [], next: null, lastUsed };

  const before = page.before;
  const skip = before?.skip ?? 0;
  const rows = await db.select().from(t).where(and(
    ...scope,
    where.provider ? eq(t.provider, where.provider) : undefined,
    // Only hours that can hold a call at or before the cursor.
    before ? lte(t.hour, before.at) : undefined,
    before ? lte(t.lastAt, before.at) : undefined,
  )).orderBy(
    desc(t.lastAt),
    desc(t.hour),
    t.provider,
    t.agentId,
    t.operation,
    t.decision,
    t.via,
  ).limit(page.limit + 1 + skip);
  // Groups tied on the cursor's time come in the same order each time: skip those shown.
  let tied = 0;
  const fresh = rows.filter((r) => !(before && r.lastAt === before.at && tied++ < skip));
  const items = fresh.slice(0, page.limit).map((r): ActivityItem => ({
    at: r.lastAt,
    hour: r.hour,
    calls: r.calls,
    agentId: r.agentId,
    provider: r.provider,
    operation: r.operation,
    decision: r.decision,
    via: r.via === "" ? null : r.via,
  }));
  const last = items.at(-1);
  if (fresh.length <= page.limit || !last) return { items, next: null, lastUsed };
  const sameAsLast = items.filter((i) => i.at === last.at).length;
  const carried = before && before.at === last.at ? skip : 0;
  return { items, next: { at: last.at, skip: carried + sameAsLast }, lastUsed };
}
