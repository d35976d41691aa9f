import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { canonicalJson } from "./canonical_json.ts";

export interface ChainedFields {
  id: string;
  at: number;
  kind: string;
  appId: string | null;
  agentId: string | null;
  entityId: string | null;
  provider: string | null;
  data: string;
}

/**
 * hash = SHA-256(prevHash ‖ canonical content). Editing any field, deleting
 * a record or reordering two breaks the link to the next record.
 */
export function chainHash(prevHash: string, fields: ChainedFields): string {
  const content = canonicalJson({
    id: fields.id,
    at: fields.at,
    kind: fields.kind,
    appId: fields.appId,
    agentId: fields.agentId,
    entityId: fields.entityId,
    provider: fields.provider,
    data: JSON.parse(fields.data),
  });
  return encodeHexLowerCase(sha256(new TextEncoder().encode(`${prevHash}\n${content}`)));
}
