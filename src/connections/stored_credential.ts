import type { VaultStore } from "../vault/store.ts";
import { type Connection, CREDENTIAL_PURPOSE, type StoredCredential } from "./connection_types.ts";

/** The connection's decrypted credential and its vault version, or null when none is stored. */
export async function readStoredCredential(
  vault: VaultStore,
  connection: Pick<Connection, "credentialId">,
): Promise<{ credential: StoredCredential; version: number } | null> {
  if (!connection.credentialId) return null;
  const record = await vault.get(connection.credentialId, CREDENTIAL_PURPOSE);
  if (!record) return null;
  return { credential: JSON.parse(record.value) as StoredCredential, version: record.version };
}
