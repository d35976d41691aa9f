import { type Connection, oauthTokens } from "./connection_types.ts";
import { readStoredCredential } from "./stored_credential.ts";
import { updateConnection } from "./connection_store.ts";
import { connectionAudit, connectionEventData } from "./lifecycle.ts";
import type { Actor } from "../audit/actor.ts";
import { recordAuthEvent } from "../audit/auth_event.ts";
import type { Database } from "../db/client.ts";
import type { VaultStore } from "../vault/store.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";

export interface RevokeDeps {
  database: Database;
  vault: VaultStore;
  providers: ProviderRegistry;
  now: () => number;
  /** Called once the connection is revoked, e.g. to empty credential caches. */
  onRevoked?: (connection: Connection) => void;
}

/**
 * Revokes at the provider when it supports revocation (best effort: a provider
 * that is down must not keep a user connected), then deletes the credential
 * and marks the connection revoked. Returns whether the provider confirmed.
 * `by` (the API key or the CLI user) goes into the audit record.
 */
export async function revokeConnection(
  deps: RevokeDeps,
  connection: Connection,
  options: { by?: Actor } = {},
): Promise<{ providerRevoked: boolean }> {
  let providerRevoked = false;
  const provider = deps.providers.enabled.get(connection.provider);
  if (connection.credentialId) {
    const stored = await readStoredCredential(deps.vault, connection).catch(() => null);
    const credential = stored ? oauthTokens(stored.credential) : null;
    // API keys and passwords cannot be revoked by us: the user revokes them at the provider.
    if (credential && provider?.revoke) {
      try {
        await provider.revoke(credential);
        providerRevoked = true;
      } catch {
        providerRevoked = false;
      }
    }
  }
  const now = deps.now();
  await deps.database.transaction(async (tx) => {
    await updateConnection(tx, connection.id, {
      status: "revoked",
      credentialId: null,
      credentialExpiresAt: null,
    }, now);
    await recordAuthEvent(tx, {
      kind: "connection.revoked",
      ...connectionAudit(connection, { providerRevoked, ...options.by }),
      webhook: {
        type: "connection.revoked",
        data: { ...connectionEventData(connection), providerRevoked },
        orderingKey: connection.id,
      },
    }, now);
  });
  if (connection.credentialId) await deps.vault.delete(connection.credentialId);
  deps.onRevoked?.(connection);
  return { providerRevoked };
}
