import type { AuditEvent } from "./audit_types.ts";
import { canonicalJson } from "./canonical_json.ts";
import { chainContent, type ChainedFields, chainedFields, hashLink } from "./chain.ts";

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
  const parts: string[] = [];
  const quote = quoteCache();
  events.forEach((event, i) => {
    const content = chainContent(chainedFields(event, ids[i]), quote);
    hash = hashLink(hash, content);
    parts.push(`{"hash":"${hash}","record":${content}}`);
    at = Math.min(at, event.at);
    lastAt = Math.max(lastAt, event.at);
  });
  return {
    id: ids[0],
    kind: events[0].kind,
    at,
    lastAt,
    records: events.length,
    data: `[${parts.join(",")}]`,
    prevHash,
    hash,
  };
}

/**
 * JSON.stringify, remembered for the batch: apps, agents, entities and
 * providers repeat from one proxied request to the next.
 */
function quoteCache(): (value: string | null) => string {
  const seen = new Map<string | null, string>();
  return (value) => {
    let quoted = seen.get(value);
    if (quoted === undefined) {
      quoted = JSON.stringify(value);
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
