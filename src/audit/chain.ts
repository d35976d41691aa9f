import { createHash } from "node:crypto";
import type { AuditEvent } from "./audit_types.ts";
import { canonicalJson } from "./canonical_json.ts";
import { storableOrNull, storableText } from "./storable_text.ts";

export interface ChainedFields {
  id: string;
  at: number;
  kind: string;
  appId: string | null;
  agentId: string | null;
  entityId: string | null;
  provider: string | null;
  /** Canonical JSON (canonical_json.ts), as stored. */
  data: string;
}

/**
 * The fields an event is chained with, once it has its id: text as it will
 * be stored (storable_text.ts), so rows and packs hash what they hold.
 */
export function chainedFields(event: AuditEvent, id: string): ChainedFields {
  return {
    id,
    at: event.at,
    kind: storableText(event.kind),
    appId: storableOrNull(event.appId),
    agentId: storableOrNull(event.agentId),
    entityId: storableOrNull(event.entityId),
    provider: storableOrNull(event.provider),
    data: canonicalJson(event.data),
  };
}

/**
 * hash = SHA-256(prevHash ‖ "\n" ‖ canonical content). Editing any field,
 * deleting a record or reordering two breaks the link to the next record.
 */
export function chainHash(prevHash: string, fields: ChainedFields): string {
  return hashLink(prevHash, chainContent(fields));
}

export function hashLink(prevHash: string, content: string): string {
  return createHash("sha256").update(`${prevHash}\n${content}`).digest("hex");
}

/**
 * The canonical JSON of the record with `data` spliced in as stored: the
 * keys below are already in canonical (sorted) order, so this is byte for
 * byte what canonicalJson would produce, without re-parsing `data` on the
 * hot path of every proxied request. Packs store exactly this text. `q`
 * quotes the fields that repeat from record to record (a pack caches them).
 */
export function chainContent(
  fields: ChainedFields,
  q: (value: string | null) => string = JSON.stringify,
): string {
  const at = JSON.stringify(fields.at);
  const id = JSON.stringify(fields.id);
  return `{"agentId":${q(fields.agentId)},"appId":${
    q(fields.appId)
  },"at":${at},"data":${fields.data},"entityId":${q(fields.entityId)},"id":${id},"kind":${
    q(fields.kind)
  },"provider":${q(fields.provider)}}`;
}

/**
 * chainContent(chainedFields(event, id)) for a pack, without the fields
 * object: `quoted` gives a text field as stored and quoted (storableOrNull,
 * then JSON.stringify), which a pack caches across its records.
 */
export function eventContent(
  event: AuditEvent,
  id: string,
  quoted: (value: string | null | undefined) => string,
): string {
  return `{"agentId":${quoted(event.agentId)},"appId":${quoted(event.appId)},"at":${
    JSON.stringify(event.at)
  },"data":${canonicalJson(event.data)},"entityId":${quoted(event.entityId)},"id":${
    JSON.stringify(id)
  },"kind":${quoted(event.kind)},"provider":${quoted(event.provider)}}`;
}
