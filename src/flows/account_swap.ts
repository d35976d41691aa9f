import { lastRevokedConnection } from "../connections/connection_store.ts";
import type { Connection } from "../connections/connection_types.ts";
import type { Db, Tx } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { DEVICE_CODE_ATTEMPTS } from "./device_code.ts";
import type { Account, SessionProvider } from "./session_types.ts";

/** The session's failure reason (return_url `error=`, webhooks) and its stable code. */
export const ACCOUNT_MISMATCH = {
  reason: "account_mismatch",
  code: "SX-ACCOUNT-MISMATCH",
} as const;

/** The code apps get beside a failure reason, where the reason has one. */
export function reasonCode(reason: string | null): string | null {
  if (reason === ACCOUNT_MISMATCH.reason) return ACCOUNT_MISMATCH.code;
  return reason === DEVICE_CODE_ATTEMPTS.reason ? DEVICE_CODE_ATTEMPTS.code : null;
}

/** What a refused consent would have swapped: the account kept and the one offered. */
export interface SwapRefusal {
  connectionId: string;
  kept: Account | null;
  offered: Account | null;
  /** The kept account's connection was revoked: it stays disconnected, not connected. */
  revoked: boolean;
}

/** The account an agent's consent may only reconnect, and the connection that names it. */
export interface PinnedAccount {
  connectionId: string;
  /** Null when nothing names it (a typed API key): no account can prove to be the same. */
  account: Account | null;
  revoked: boolean;
}

/**
 * The connection an agent's consent answers to: the entity's current one
 * (`currentConnection`), unless that is only pending, else its newest revoked
 * one that still names an account. A revoked connection keeps its account, so
 * an agent cannot "reconnect" the user's revoked mailbox with another account
 * (request-connection gives it a fresh pending one, which pins nothing).
 */
export async function guardedConnection(
  db: Db | Tx,
  current: Connection | null,
  key: { appId: string; entityId: string; provider: string },
): Promise<Connection | null> {
  if (current && current.status !== "pending") return current;
  return await lastRevokedConnection(db, key.appId, key.entityId, key.provider);
}

/**
 * Which account an agent key's consent may only reconnect: the one the
 * connection (`guarded`, see guardedConnection) has, compared by the
 * provider's account id. The consent page says it before sign-in and
 * refusedSwap holds the end to it: one function, so they cannot disagree.
 *
 * An agent holds a key that can start a consent for any entity and can open
 * the link itself: letting it finish with any account would let it swap the
 * user's mailbox for its own, silently, under the same connection id — or,
 * once the user revoked it, under a new one the user's other agents then
 * use. So an active, paused, needs_reauth or revoked connection pins its
 * account; a pending one (or a revoked one that names no account) has
 * nothing to protect. The app's backend keys add or replace accounts as before.
 */
export function pinnedAccount(
  step: SessionProvider,
  guarded: Connection | null,
  /**
   * False when the credential names no account at the provider: a typed API
   * key's account is only the entity id, the same for any key.
   */
  identified = true,
): PinnedAccount | null {
  if (step.startedBy !== "agent" || !guarded || guarded.status === "pending") return null;
  const revoked = guarded.status === "revoked";
  if (revoked && !guarded.account?.id) return null;
  return {
    connectionId: guarded.id,
    account: identified ? guarded.account ?? null : null,
    revoked,
  };
}

/**
 * Whether finishing this provider step would put another account behind the
 * pinned one (pinnedAccount). Compared by the provider's account id (OIDC
 * `sub`, GitHub user id, …), not by the email, which a provider may let
 * another account take. When either side's identity is unknown nothing
 * proves it is the same account, so it is refused too.
 */
export function refusedSwap(
  step: SessionProvider,
  guarded: Connection | null,
  identified = true,
): SwapRefusal | null {
  const pin = pinnedAccount(step, guarded, identified);
  if (!pin) return null;
  const { connectionId, revoked } = pin;
  if (!identified) return { connectionId, kept: null, offered: null, revoked };
  const kept = pin.account;
  const offered = step.account ?? null;
  if (kept?.id && offered?.id && kept.id === offered.id) return null;
  return { connectionId, kept, offered, revoked };
}

/**
 * Whether a provider's credential names an account: OAuth (its identity
 * endpoint), basic auth (the username), SigV4 (the access key id); a typed
 * API key (header or query parameter) does not.
 */
export function identifiesAccount(form: { strategy: string } | null | undefined): boolean {
  return form?.strategy !== "header" && form?.strategy !== "query_param";
}

/** How the user recognises an account: its email, else its name, else its id. */
export function accountLabel(account: Account | null): string | null {
  return account ? (account.email ?? account.name ?? account.id) : null;
}

/** Thrown inside the activation's transaction, so nothing of the swap is written. */
export function accountMismatch(provider: string, refusal: SwapRefusal): SecurixError {
  const kept = accountLabel(refusal.kept);
  return new SecurixError(
    ACCOUNT_MISMATCH.code,
    `This link can only reconnect ${
      kept ?? (refusal.revoked ? "the account connected before" : "the account already connected")
    }; you signed in with a different ${provider} account. ${
      refusal.revoked
        ? `Nothing was connected: ${provider} stays disconnected`
        : `Nothing was changed: ${kept ?? "the connected account"} stays connected`
    }. To connect another account, use the app's own settings.`,
    { status: 403, details: { provider, ...refusal } },
  );
}
