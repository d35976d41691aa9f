import type { Connection } from "../connections/connection_types.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { Account, SessionProvider } from "./session_types.ts";

/** The session's failure reason (return_url `error=`, webhooks) and its stable code. */
export const ACCOUNT_MISMATCH = {
  reason: "account_mismatch",
  code: "SX-ACCOUNT-MISMATCH",
} as const;

/** The code apps get beside a failure reason, where the reason has one. */
export function reasonCode(reason: string | null): string | null {
  return reason === ACCOUNT_MISMATCH.reason ? ACCOUNT_MISMATCH.code : null;
}

/** What a refused consent would have swapped: the account kept and the one offered. */
export interface SwapRefusal {
  connectionId: string;
  kept: Account | null;
  offered: Account | null;
}

/**
 * Whether finishing this provider step would put another account behind the
 * entity's existing connection when an agent key asked for the consent.
 *
 * An agent holds a key that can start a consent for any entity and can open
 * the link itself: letting it finish with any account would let it swap the
 * user's mailbox for its own, silently, under the same connection id. So an
 * agent's consent may only reconnect the account the connection already has
 * (a needs_reauth, a paused or a still working connection alike), compared
 * by the provider's account id (OIDC `sub`, GitHub user id, …), not by the
 * email, which a provider may let another account take. When either side's
 * identity is unknown nothing proves it is the same account, so it is
 * refused too. A connection that never got an account (pending) has nothing
 * to protect. The app's backend keys add or replace accounts as before.
 */
export function refusedSwap(
  step: SessionProvider,
  current: Connection | null,
  /**
   * False when the credential names no account at the provider: a typed API
   * key's account is only the entity id, the same for any key.
   */
  identified = true,
): SwapRefusal | null {
  if (step.startedBy !== "agent") return null;
  if (!current || current.status === "pending" || current.status === "revoked") return null;
  const kept = current.account ?? null;
  const offered = step.account ?? null;
  if (!identified) return { connectionId: current.id, kept: null, offered: null };
  if (kept?.id && offered?.id && kept.id === offered.id) return null;
  return { connectionId: current.id, kept, offered };
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
      kept ?? "the account already connected"
    }; you signed in with a different ${provider} account. Nothing was changed: ${
      kept ?? "the connected account"
    } stays connected. To connect another account, use the app's own settings.`,
    { status: 403, details: { provider, ...refusal } },
  );
}
