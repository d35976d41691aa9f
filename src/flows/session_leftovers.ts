import { and, asc, eq, inArray, isNull, like, lte, sql } from "drizzle-orm";
import { oauthTokens } from "../connections/connection_types.ts";
import { readStoredCredential } from "../connections/stored_credential.ts";
import type { Database } from "../db/client.ts";
import { authSessions, connections, oauthStates } from "../db/schema.ts";
import type { VaultStore } from "../vault/store.ts";
import type { ProviderRegistry } from "./flow_provider.ts";
import { updateSession } from "./session_store.ts";
import type { AuthSession, SessionProvider } from "./session_types.ts";

/**
 * What a session leaves behind when it ends without completing: tokens
 * obtained before the sxc reveal failed or the session expired, the pending
 * connection rows made for them, and unused OAuth states with their PKCE
 * verifiers. None of it can ever become usable, so it is revoked where the
 * provider can and deleted.
 */

export interface LeftoverDeps {
  database: Database;
  vault: VaultStore;
  providers: ProviderRegistry;
  now: () => number;
}

/** Unused states kept per session: a user may retry a few times, no one needs more. */
export const MAX_PENDING_STATES_PER_SESSION = 3;

/**
 * Revokes and deletes the credentials an ended (failed or expired) session
 * obtained, deletes the connection rows that only ever were pending for it,
 * and its unused states. Revocation is best effort: a provider that is down
 * must not keep a dead token in the vault.
 */
export async function discardSessionLeftovers(
  deps: LeftoverDeps,
  session: Pick<AuthSession, "id" | "status" | "providers">,
): Promise<void> {
  if (session.status !== "failed" && session.status !== "expired") return;
  const providers: Record<string, SessionProvider> = { ...session.providers };
  for (const [name, step] of Object.entries(session.providers)) {
    if (!step.credentialId) continue;
    const stored = await readStoredCredential(deps.vault, { credentialId: step.credentialId })
      .catch(() => null);
    const revoke = deps.providers.enabled.get(name)?.revoke;
    const tokens = stored ? oauthTokens(stored.credential) : null;
    if (tokens && revoke) await revoke(tokens).catch(() => {});
    await deps.vault.delete(step.credentialId);
    providers[name] = { ...step, credentialId: null };
  }
  await updateSession(deps.database.db, session.id, { providers });
  await deps.database.db.delete(connections).where(and(
    eq(connections.sessionId, session.id),
    eq(connections.status, "pending"),
    isNull(connections.credentialId),
  ));
  const states = await deps.database.db.select({ hash: oauthStates.stateHash }).from(oauthStates)
    .where(and(eq(oauthStates.sessionId, session.id), isNull(oauthStates.usedAt)));
  await deleteStates(deps, states.map((s) => s.hash));
}

/**
 * Housekeeping: every ended session still holding credentials is cleaned
 * (a bounded batch per run), and expired OAuth states are deleted with their
 * verifiers. Returns how many sessions were cleaned.
 */
export async function sweepLeftovers(deps: LeftoverDeps, batch = 20): Promise<number> {
  const now = deps.now();
  const ended = await deps.database.db.select().from(authSessions).where(and(
    inArray(authSessions.status, ["failed", "expired"]),
    // A vault id is a JSON string; cleaned steps hold `"credentialId":null`.
    like(authSessions.providers, '%"credentialId":"%'),
  )).orderBy(asc(authSessions.endedAt)).limit(batch);
  for (const row of ended) {
    await discardSessionLeftovers(deps, {
      id: row.id,
      status: row.status as AuthSession["status"],
      providers: JSON.parse(row.providers),
    });
  }
  const expired = await deps.database.db.select({ hash: oauthStates.stateHash }).from(oauthStates)
    .where(lte(oauthStates.expiresAt, now)).limit(1_000);
  await deleteStates(deps, expired.map((s) => s.hash));
  return ended.length;
}

/**
 * Keeps a session's newest unused states and deletes the older ones with
 * their verifiers, so repeated "Continue" posts cannot grow the tables.
 */
export async function capPendingStates(
  deps: Pick<LeftoverDeps, "database" | "vault">,
  sessionId: string,
  keep = MAX_PENDING_STATES_PER_SESSION,
): Promise<void> {
  const unused = await deps.database.db.select({ hash: oauthStates.stateHash }).from(oauthStates)
    .where(and(eq(oauthStates.sessionId, sessionId), isNull(oauthStates.usedAt)))
    // rowid breaks ties in one millisecond: insertion order, so the newest is always kept.
    .orderBy(asc(oauthStates.createdAt), sql`rowid`);
  await deleteStates(deps, unused.slice(0, Math.max(0, unused.length - keep)).map((s) => s.hash));
}

async function deleteStates(
  deps: Pick<LeftoverDeps, "database" | "vault">,
  hashes: string[],
): Promise<void> {
  if (hashes.length === 0) return;
  const rows = await deps.database.db.select({
    hash: oauthStates.stateHash,
    verifierId: oauthStates.verifierId,
  }).from(oauthStates).where(inArray(oauthStates.stateHash, hashes));
  // Used states had their verifier deleted when consumed; deleting again is harmless.
  for (const row of rows) await deps.vault.delete(row.verifierId);
  await deps.database.db.delete(oauthStates).where(inArray(oauthStates.stateHash, hashes));
}
