import { readRecords } from "../audit/read_records.ts";
import type { Db } from "../db/client.ts";
import { historyRange, HourHistogram, type HourProfile } from "./hour_profile.ts";

/** Profiles by app, entity and provider: nested maps, so the hot path looks up without building a key. */
export type HourProfiles = Map<string, Map<string, Map<string, HourProfile>>>;

/**
 * Learns each connection's active hours from the `proxy.request` records of
 * the last `historyDays` (a connection is its app, entity and provider, as
 * the records name them). Runs in the background, periodically.
 */
export async function learnHours(db: Db, now: number, historyDays: number): Promise<HourProfiles> {
  const { from, until } = historyRange(now, historyDays);
  const histograms = new Map<string, Map<string, Map<string, HourHistogram>>>();
  for await (
    const records of readRecords(db, { kinds: "proxy.request", since: from, until: until - 1 })
  ) {
    for (const r of records) {
      if (!r.appId || !r.entityId || !r.provider) continue;
      const byEntity = getOr(histograms, r.appId, () => new Map());
      const byProvider = getOr(byEntity, r.entityId, () => new Map());
      getOr(byProvider, r.provider, () => new HourHistogram(from, until)).add(r.at);
    }
  }
  const profiles: HourProfiles = new Map();
  for (const [app, byEntity] of histograms) {
    const entities = new Map<string, Map<string, HourProfile>>();
    for (const [entity, byProvider] of byEntity) {
      const providers = new Map<string, HourProfile>();
      for (const [provider, h] of byProvider) providers.set(provider, h.profile());
      entities.set(entity, providers);
    }
    profiles.set(app, entities);
  }
  return profiles;
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, value = make());
  return value;
}
