import type { AuditEvent } from "./audit_types.ts";
import { canonicalJson } from "./canonical_json.ts";
import { chainContent, type ChainedFields, eventContent, hashLink } from "./chain.ts";
import { storableOrNull } from "./storable_text.ts";

/**
 * A pack: the records of one audit batch in one audit_log row. SQLite and
 * the driver cost about 14 µs per row inserted and a proxied request is one
 * record, so the batch writer stores its records together: one row per
 * batch, the same chain inside it. Each element keeps its own hash, so
 * verification still names the exact record that was changed.
 *
 * `data` holds `[{"hash":…,"record":<chain content>},…]`; the row's
 * `prev_hash` links its first record, its `hash` is its last record's.
 */
export interface Pack {
  /** The first record's id. */
  id: string;
  kind: string;
  /** Earliest and latest record times, so time filters can skip whole packs. */
  at: number;
  lastAt: number;
  records: number;
  data: string;
  prevHash: string;
  hash: string;
}

export interface PackedRecord extends Omit<ChainedFields, "data"> {
  data: Record<string, unknown>;
  hash: string;
}

/** Chains `events` (one kind) after `prevHash` into one pack. */
export function buildPack(
  events: readonly AuditEvent[],
  ids: readonly string[],
  prevHash: string,
): Pack {
  let hash = prevHash;
  let at = Infinity;
  let lastAt = -Infinity;
  const parts: string[] = new Array(events.length);
  const quote = storedQuoteCache();
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const content = eventContent(event, ids[i], quote);
    hash = hashLink(hash, content);
    parts[i] = `{"hash":"${hash}","record":${content}}`;
    at = Math.min(at, event.at);
    lastAt = Math.max(lastAt, event.at);
  }
  // The brackets go into the first and last element: join then yields the stored
  // text as one flat string, which the driver reads without V8 copying it again.
  if (parts.length > 0) {
    parts[0] = `[${parts[0]}`;
    parts[parts.length - 1] += "]";
  }
  return {
    id: ids[0],
    kind: events[0].kind,
    at,
    lastAt,
    records: events.length,
    data: parts.length > 0 ? parts.join(",") : "[]",
    prevHash,
    hash,
  };
}

/**
 * A text field as stored (storable_text.ts) and quoted, remembered for the
 * batch: apps, agents, entities and providers repeat from one proxied
 * request to the next, so most records need neither step.
 */
function storedQuoteCache(): (value: string | null | undefined) => string {
  const seen = new Map<string | null | undefined, string>();
  return (value) => {
    let quoted = seen.get(value);
    if (quoted === undefined) {
      quoted = JSON.stringify(storableOrNull(value));
      if (seen.size < 1_000) seen.set(value, quoted);
    }
    return quoted;
  };
}

/** The records of a pack's `data`; throws when it is not a list of them (a damaged row). */
export function readPack(data: string): PackedRecord[] {
  const entries = JSON.parse(data) as unknown;
  if (!Array.isArray(entries)) throw new Error("not a list of records");
  return entries.map((entry) => {
    const { hash, record } = entry ?? {};
    if (typeof hash !== "string" || typeof record !== "object" || record === null) {
      throw new Error("an element is not a hashed record");
    }
    return { ...record, hash } as PackedRecord;
  });
}

/** The chain hash a packed record should carry after `prevHash`. */
export function packedRecordHash(prevHash: string, record: PackedRecord): string {
  return hashLink(prevHash, chainContent({ ...record, data: canonicalJson(record.data) }));
}
