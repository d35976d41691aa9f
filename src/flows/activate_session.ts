import { and, eq } from "drizzle-orm";
import { recordAuthEvent } from "../audit/auth_event.ts";
import {
  currentConnection,
  insertConnection,
  updateConnection,
} from "../connections/connection_store.ts";
import { newId } from "../db/ids.ts";
import {
  accountMismatch,
  guardedConnection,
  identifiesAccount,
  refusedSwap,
} from "./account_swap.ts";
import { authSessions } from "../db/schema.ts";
import type { FlowDeps } from "./flow_deps.ts";
import { reportSession } from "./session_outcomes.ts";
import type { Connection } from "../connections/connection_types.ts";
import type { Account, AuthSession, SessionProvider } from "./session_types.ts";

interface Activated {
  id: string;
  provider: string;
  account: Account | null;
  scopes: string[];
  refreshable: boolean | null;
  /** The connection's status before, null when it is new. */
  previous: string | null;
  /** `active`, or `paused` when an agent's consent reconnected a paused connection. */
  status: "active" | "paused";
}

/**
 * Whether an agent key's consent finds the connection paused (by the user in
 * the portal, or an operator): it renews the tokens but leaves it paused, so
 * an agent cannot undo the user's pause by asking them to "reconnect".
 */
export function keepsPaused(step: SessionProvider, current: Connection | null): boolean {
  return step.startedBy === "agent" && current?.status === "paused";
}

/**
 * Turns a consented session into active connections, in one transaction with
 * the session's move to `completed` (a compare-and-swap from `from`), so two
 * confirms cannot both win. Replaced credentials are deleted afterwards.
 * Returns the completed session (its steps marking `stayedPaused`), or null
 * when the session was no longer in `from`; throws SX-ACCOUNT-MISMATCH,
 * having written nothing, when an agent's consent would put another account
 * behind an existing connection.
 */
export async function activateSession(
  deps: FlowDeps,
  session: AuthSession,
  from: "pending" | "awaiting_confirmation",
): Promise<AuthSession | null> {
  const now = deps.now();
  const replaced: string[] = [];
  const made: Activated[] = [];
  const providersAfter = { ...session.providers };
  const won = await deps.database.transaction(async (tx) => {
    const moved = await tx.update(authSessions).set({ status: "completed", endedAt: now }).where(
      and(eq(authSessions.id, session.id), eq(authSessions.status, from)),
    );
    if (moved.rowsAffected === 0) return false;
    const activated: Activated[] = [];
    for (const [provider, step] of Object.entries(session.providers)) {
      const current = await currentConnection(tx, session.appId, session.entityId, provider);
      const stayedPaused = keepsPaused(step, current);
      const patch = {
        status: stayedPaused ? "paused" as const : "active" as const,
        credentialId: step.credentialId ?? null,
        credentialExpiresAt: step.credentialExpiresAt ?? null,
        refreshable: step.refreshable ?? null,
        scopes: step.grantedScopes ?? step.scopes,
        account: step.account ?? null,
        sessionId: session.id,
      };
      const { account, scopes, refreshable, status } = patch;
      // Checked here, in the transaction that would swap it, not when the consent began: the
      // user may have connected (or revoked) meanwhile. The throw rolls the CAS back too.
      const identified = identifiesAccount(deps.providers.enabled.get(provider)?.form);
      const key = { appId: session.appId, entityId: session.entityId, provider };
      const refusal = refusedSwap(step, await guardedConnection(tx, current, key), identified);
      if (refusal) throw accountMismatch(provider, refusal);
      if (stayedPaused) providersAfter[provider] = { ...step, stayedPaused: true };
      if (current) {
        if (current.credentialId && current.credentialId !== patch.credentialId) {
          replaced.push(current.credentialId);
        }
        await updateConnection(tx, current.id, patch, now);
        activated.push({
          id: current.id,
          provider,
          account,
          scopes,
          refreshable,
          previous: current.status,
          status,
        });
      } else {
        const id = newId("con", deps.random);
        activated.push({ id, provider, account, scopes, refreshable, previous: null, status });
        await insertConnection(tx, {
          id,
          appId: session.appId,
          entityId: session.entityId,
          provider,
          version: 1,
          createdAt: now,
          updatedAt: now,
          ...patch,
        });
      }
    }
    const stayedPaused = activated.filter((c) => c.status === "paused").map((c) => c.id);
    if (stayedPaused.length > 0) {
      await tx.update(authSessions).set({ providers: JSON.stringify(providersAfter) }).where(
        eq(authSessions.id, session.id),
      );
    }
    const base = { appId: session.appId, entityId: session.entityId };
    const providers = Object.keys(session.providers);
    await recordAuthEvent(tx, {
      ...base,
      kind: "session.completed",
      data: {
        sessionId: session.id,
        flow: session.flow,
        providers,
        connections: activated.map((c) => c.id),
        ...(stayedPaused.length > 0 ? { stayedPaused } : {}),
      },
      webhook: {
        type: "session.completed",
        data: { sessionId: session.id, entityId: session.entityId, flow: session.flow, providers },
        orderingKey: `session:${session.id}`,
      },
    }, now);
    for (const c of activated) {
      await recordAuthEvent(tx, {
        ...base,
        kind: "connection.created",
        provider: c.provider,
        data: {
          connectionId: c.id,
          sessionId: session.id,
          accountId: c.account?.id ?? null,
          scopes: c.scopes,
          refreshable: c.refreshable,
          previousStatus: c.previous,
          status: c.status,
        },
        webhook: {
          type: "connection.created",
          data: {
            connectionId: c.id,
            entityId: session.entityId,
            provider: c.provider,
            account: c.account,
            scopes: c.scopes,
            // false: the connection stops working when this access token expires.
            refreshable: c.refreshable,
            sessionId: session.id,
            // `paused`: an agent's consent renewed the tokens; the user's pause still holds.
            status: c.status,
          },
          orderingKey: c.id,
        },
      }, now);
    }
    made.push(...activated);
    return true;
  });
  if (won) {
    reportSession(deps.database, session.flow, "completed");
    for (const c of made) {
      deps.connectionActivated?.({
        id: c.id,
        appId: session.appId,
        entityId: session.entityId,
        provider: c.provider,
      });
    }
  }
  for (const id of replaced) await deps.vault.delete(id);
  return won ? { ...session, status: "completed", endedAt: now, providers: providersAfter } : null;
}

/**
 * After a popup consent, before the sxc reveal: providers the entity had no
 * connection to get one in `pending`, which the proxy refuses to use.
 */
export async function recordPendingConnections(
  deps: FlowDeps,
  session: AuthSession,
): Promise<void> {
  const now = deps.now();
  await deps.database.transaction(async (tx) => {
    for (const [provider, step] of Object.entries(session.providers)) {
      const current = await currentConnection(tx, session.appId, session.entityId, provider);
      if (current) continue;
      await insertConnection(tx, {
        id: newId("con", deps.random),
        appId: session.appId,
        entityId: session.entityId,
        provider,
        status: "pending",
        scopes: step.grantedScopes ?? step.scopes,
        account: step.account ?? null,
        credentialId: null,
        credentialExpiresAt: null,
        sessionId: session.id,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
    }
  });
}
