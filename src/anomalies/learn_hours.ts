import { and, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { activityHourly } from "../db/schema.ts";
import { historyRange, type HourProfile } from "./hour_profile.ts";

/** Profiles by app, entity and provider: nested maps, so the hot path looks up without building a key. */
export type HourProfiles = Map<string, Map<string, Map<string, HourProfile>>>;

const t = activityHourly;

/**
 * Learns each connection's active hours from the proxied calls of the last
 * `historyDays` (a connection is its app, entity and provider, as the audit
 * records name them). Answered from the hourly activity rollup, one row per
 * connection: the hours of day as a bit mask (the sum of distinct bits is
 * their OR) and the distinct days. Runs in the background, periodically.
 */
export async function learnHours(db: Db, now: number, historyDays: number): Promise<HourProfiles> {
  const { from, until } = historyRange(now, historyDays);
  const rows = await db.select({
    appId: t.appId,
    entityId: t.entityId,
    provider: t.provider,
    hours: sql<number>`sum(DISTINCT 1 << ((${t.hour} / 3600000) % 24))`,
    days: sql<number>`count(DISTINCT ${t.hour} / 86400000)`,
  }).from(t).where(and(gte(t.hour, from), lt(t.hour, until)))
    .groupBy(t.appId, t.entityId, t.provider);
  const profiles: HourProfiles = new Map();
  for (const r of rows) {
    const byEntity = getOr(profiles, r.appId, () => new Map());
    const byProvider = getOr(byEntity, r.entityId, () => new Map());
    byProvider.set(r.provider, { hours: Number(r.hours), days: Number(r.days), alertedHour: -1 });
  }
  return profiles;
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, value = make());
  return value;
}
