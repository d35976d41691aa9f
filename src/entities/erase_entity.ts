import { listApprovals } from "../approvals/approval_store.ts";
import type { Approval } from "../approvals/approval_types.ts";
import type { Actor } from "../audit/actor.ts";
import { appendAudit } from "../audit/append.ts";
import { listConnections } from "../connections/connection_store.ts";
import { oauthTokens } from "../connections/connection_types.ts";
import type { Connection } from "../connections/connection_types.ts";
import { revokeConnection } from "../connections/revoke_connection.ts";
import { readStoredCredential } from "../connections/stored_credential.ts";
import type { Database } from "../db/client.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import type { VaultStore } from "../vault/store.ts";
import { enqueueEvent } from "../webhooks/outbox.ts";
import { entityErrors } from "./entity_errors.ts";
import {
  deleteEntityRows,
  entityIsKnown,
  type EntityRef,
  entitySessionSecrets,
  type ErasedCounts,
} from "./entity_rows.ts";

export interface EraseDeps {
  database: Database;
  vault: VaultStore;
  providers: ProviderRegistry;
  now: () => number;
  by: Actor;
  onRevoked?: (connection: Connection) => void;
  /** After commit, per live approval removed: wakes a request held open for it. */
  onApprovalEnded?: (approval: Approval) => void;
}

export interface EraseResult extends ErasedCounts {
  /** Connections that were live and are revoked now (`connections`: rows deleted). */
  connectionsRevoked: number;
  /** Of the connections revoked, how many the provider confirmed. */
  providerConfirmed: number;
}

/**
 * A data-protection erasure of one end user of one app. Live connections
 * are revoked one by one exactly as `DELETE /v1/connections/{id}` does
 * (provider revocation is network I/O, outside any transaction; each sends
 * `connection.revoked`); then one transaction deletes every row naming the
 * entity and writes one `entity.erased` record with the counts; vault
 * records go after commit. SX-ENTITY-NOT-FOUND when nothing is held, so a
 * second erasure is refused.
 */
export async function eraseEntity(deps: EraseDeps, ref: EntityRef): Promise<EraseResult> {
  if (!await entityIsKnown(deps.database.db, ref)) throw entityErrors.notFound(ref.entityId);
  let providerConfirmed = 0;
  // Without a status filter: every connection but the revoked ones.
  const live = await listConnections(deps.database.db, ref);
  for (const connection of live) {
    const { providerRevoked } = await revokeConnection(deps, connection, { by: deps.by });
    if (providerRevoked) providerConfirmed++;
  }
  const secrets = await entitySessionSecrets(deps.database.db, ref);
  await revokeSessionTokens(deps, secrets.credentials);
  const waiting = await listApprovals(
    deps.database.db,
    { ...ref, status: "pending", limit: 10_000 },
    deps.now(),
  );
  const now = deps.now();
  const counts = await deps.database.transaction(async (tx) => {
    const counts = await deleteEntityRows(tx, ref);
    await appendAudit(tx, [{
      kind: "entity.erased",
      at: now,
      appId: ref.appId,
      entityId: ref.entityId,
      data: { ...counts, connectionsRevoked: live.length, providerConfirmed, ...deps.by },
    }]);
    // The app learns of an erasure the operator made (CLI, console) as of one it asked for.
    await enqueueEvent(tx, {
      appId: ref.appId,
      type: "entity.erased",
      // `by` without the OS user: the operator's login is not the app's business.
      data: {
        entityId: ref.entityId,
        ...counts,
        connectionsRevoked: live.length,
        by: deps.by.actor,
      },
      orderingKey: `entity:${ref.entityId}`,
    }, now);
    return counts;
  });
  // Secrets go after the rows: a failure here leaves an unreachable vault record, nothing usable.
  for (const { credentialId } of secrets.credentials) await deps.vault.delete(credentialId);
  for (const id of secrets.verifierIds) await deps.vault.delete(id);
  for (const approval of waiting) deps.onApprovalEnded?.(approval);
  return { ...counts, connectionsRevoked: live.length, providerConfirmed };
}

/** Tokens a consent obtained before its popup reveal: revoked where the provider can, best effort. */
async function revokeSessionTokens(
  deps: EraseDeps,
  credentials: { provider: string; credentialId: string }[],
): Promise<void> {
  for (const { provider, credentialId } of credentials) {
    const revoke = deps.providers.enabled.get(provider)?.revoke;
    if (!revoke) continue;
    const stored = await readStoredCredential(deps.vault, { credentialId }).catch(() => null);
    const tokens = stored ? oauthTokens(stored.credential) : null;
    if (tokens) await revoke(tokens).catch(() => {});
  }
}
