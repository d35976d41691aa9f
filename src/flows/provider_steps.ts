import { and, eq, isNull } from "drizzle-orm";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import {
  CREDENTIAL_PURPOSE,
  isRefreshable,
  type OAuthCredential,
  oauthTokens,
  type StoredCredential,
} from "../connections/connection_types.ts";
import { serializeCredential } from "../connections/stored_credential.ts";
import { newId } from "../db/ids.ts";
import { oauthStates } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { recordAuthEvent } from "../audit/auth_event.ts";
import { ACCOUNT_MISMATCH, type SwapRefusal } from "./account_swap.ts";
import { activateSession, recordPendingConnections } from "./activate_session.ts";
import { callbackUrl, type FlowDeps } from "./flow_deps.ts";
import type { FlowProvider, TokenResult } from "./flow_provider.ts";
import { capPendingStates, discardSessionLeftovers } from "./session_leftovers.ts";
import { claimStep, endSession, loadSession, updateSession } from "./session_store.ts";
import { type AuthSession, isOpen } from "./session_types.ts";

const PKCE_PURPOSE = "pkce-verifier";

function random32(deps: FlowDeps): string {
  const bytes = (deps.random ?? ((b) => crypto.getRandomValues(b)))(new Uint8Array(32));
  return encodeBase64urlNoPadding(bytes);
}

function hashState(state: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(`state:${state}`)));
}

/** The next provider of the session the user has not connected yet. */
export function nextProvider(session: AuthSession): string | null {
  const entry = Object.entries(session.providers).find(([, step]) => step.status === "pending");
  return entry ? entry[0] : null;
}

/**
 * Sends the browser to the provider: a fresh single-use `state` bound to this
 * session and this browser, and a PKCE verifier kept in the vault.
 */
export async function beginProviderAuth(
  deps: FlowDeps,
  session: AuthSession,
  provider: FlowProvider,
  bindingHash: string,
): Promise<URL> {
  const state = random32(deps);
  const codeVerifier = random32(deps);
  // First, so a provider that is unavailable leaves no state row or verifier behind.
  const url = await provider.authorizationUrl({
    state,
    codeVerifier,
    scopes: session.providers[provider.name].scopes,
    redirectUri: callbackUrl(deps.publicUrl),
  });
  const verifierId = newId("pkce", deps.random);
  await deps.vault.put(verifierId, PKCE_PURPOSE, codeVerifier);
  const now = deps.now();
  await deps.database.db.insert(oauthStates).values({
    stateHash: hashState(state),
    sessionId: session.id,
    provider: provider.name,
    browserBinding: bindingHash,
    verifierId,
    createdAt: now,
    expiresAt: Math.min(session.expiresAt, now + 10 * 60_000),
    usedAt: null,
  });
  await capPendingStates(deps, session.id);
  return url;
}

export type CallbackOutcome =
  | { kind: "next"; session: AuthSession; provider: string }
  | { kind: "done"; session: AuthSession }
  | {
    kind: "failed";
    session: AuthSession;
    reason: string;
    /** Set when the user's page should say more than the reason (an account refused). */
    error?: SecurixError;
  };

function stateError(code: string, message: string): SecurixError {
  return new SecurixError(code, message, { status: 400 });
}

/**
 * Consumes a `state` exactly once. It must exist, be unexpired, belong to
 * the browser presenting it, and not have been used before.
 */
async function consumeState(deps: FlowDeps, state: string, bindingHash: string | null) {
  const stateHash = hashState(state);
  const [row] = await deps.database.db.select().from(oauthStates).where(
    eq(oauthStates.stateHash, stateHash),
  ).limit(1);
  if (!row) {
    throw stateError("SX-STATE-INVALID", "This sign-in response does not belong to any consent");
  }
  if (row.usedAt !== null) {
    throw stateError("SX-STATE-REPLAYED", "This sign-in response was already used; start again");
  }
  const now = deps.now();
  if (!bindingHash || bindingHash !== row.browserBinding) {
    // Burnt, not left for later: a user talked into sending this URL (code and state) to
    // whoever started the sign-in must not let that browser finish it with their account.
    await burnState(deps, stateHash, row.verifierId, now);
    throw stateError(
      "SX-STATE-FOREIGN",
      "This sign-in response was opened in another browser than the one that started it, so it " +
        "can no longer be used; start again in one browser",
    );
  }
  if (row.expiresAt <= now) {
    throw stateError("SX-STATE-EXPIRED", "This sign-in took too long; start again");
  }
  const claimed = await deps.database.db.update(oauthStates).set({ usedAt: now }).where(
    and(eq(oauthStates.stateHash, stateHash), isNull(oauthStates.usedAt)),
  );
  if (claimed.rowsAffected === 0) {
    throw stateError("SX-STATE-REPLAYED", "This sign-in response was already used; start again");
  }
  const verifier = await deps.vault.get(row.verifierId, PKCE_PURPOSE);
  await deps.vault.delete(row.verifierId);
  return { row, codeVerifier: verifier?.value ?? "" };
}

async function burnState(deps: FlowDeps, stateHash: string, verifierId: string, now: number) {
  await deps.database.db.update(oauthStates).set({ usedAt: now }).where(
    and(eq(oauthStates.stateHash, stateHash), isNull(oauthStates.usedAt)),
  );
  await deps.vault.delete(verifierId);
}

export async function handleCallback(
  deps: FlowDeps,
  params: { state: string | null; code: string | null; error: string | null },
  bindingHash: string | null,
): Promise<CallbackOutcome> {
  if (!params.state) throw stateError("SX-STATE-INVALID", "The provider's response has no state");
  const { row, codeVerifier } = await consumeState(deps, params.state, bindingHash);
  const session = await loadSession(deps.database, row.sessionId, deps.now());
  if (!session) throw stateError("SX-STATE-INVALID", "The consent no longer exists");
  if (!isOpen(session)) {
    return { kind: "failed", session, reason: session.reason ?? session.status };
  }
  const provider = deps.providers.enabled.get(row.provider);
  if (params.error || !params.code || !provider) {
    const reason = params.error === "access_denied" ? "access_denied" : (params.error ?? "no_code");
    return await failSession(deps, session, row.provider, reason);
  }
  let tokens: TokenResult;
  try {
    tokens = await provider.exchangeCode({
      code: params.code,
      codeVerifier,
      redirectUri: callbackUrl(deps.publicUrl),
    });
  } catch {
    return await failSession(deps, session, row.provider, "token_exchange_failed");
  }
  return await recordTokens(deps, session, provider, tokens);
}

async function failSession(
  deps: FlowDeps,
  session: AuthSession,
  provider: string,
  reason: string,
): Promise<CallbackOutcome> {
  const providers = {
    ...session.providers,
    [provider]: { ...session.providers[provider], status: "failed" as const, error: reason },
  };
  await updateSession(deps.database.db, session.id, { providers });
  await endSession(deps.database, session, "failed", reason, deps.now());
  // Providers connected earlier in this session will never be used: revoke and delete.
  await discardSessionLeftovers(deps, { id: session.id, status: "failed", providers });
  return { kind: "failed", session: { ...session, providers, status: "failed", reason }, reason };
}

async function recordTokens(
  deps: FlowDeps,
  session: AuthSession,
  provider: FlowProvider,
  tokens: TokenResult,
): Promise<CallbackOutcome> {
  const account = await provider.fetchAccount(tokens.accessToken).catch(() => null);
  const granted = tokens.scopes ?? session.providers[provider.name].scopes;
  const credential: OAuthCredential = {
    kind: "oauth2",
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: tokens.tokenType,
    expiresAt: tokens.expiresAt,
    obtainedAt: deps.now(),
    scopes: granted,
    idToken: tokens.idToken,
  };
  return await recordConnected(deps, session, provider.name, credential, {
    account,
    expiresAt: tokens.expiresAt,
    refreshable: isRefreshable(tokens),
    granted,
  });
}

/**
 * Stores a provider's credential for the session (any kind: a token set from
 * the callback, or a key from the credential form) and moves the session on
 * exactly as an OAuth callback does.
 */
export async function recordConnected(
  deps: FlowDeps,
  session: AuthSession,
  name: string,
  credential: StoredCredential,
  meta: {
    account: AuthSession["providers"][string]["account"];
    expiresAt: number | null;
    refreshable: boolean;
    granted: string[];
  },
): Promise<CallbackOutcome> {
  const credentialId = newId("cred", deps.random);
  await deps.vault.put(credentialId, CREDENTIAL_PURPOSE, serializeCredential(credential));
  const providers = {
    ...session.providers,
    [name]: {
      ...session.providers[name],
      status: "connected" as const,
      account: meta.account,
      credentialId,
      credentialExpiresAt: meta.expiresAt,
      refreshable: meta.refreshable,
      grantedScopes: meta.granted,
    },
  };
  const updated: AuthSession = { ...session, providers };
  const next = nextProvider(updated);
  const status = next || session.flow === "device" ? "pending" : "awaiting_confirmation";
  if (!await claimStep(deps.database.db, session.id, name, providers, status)) {
    await discardCredential(deps, name, credential, credentialId);
    const displayName = deps.providers.enabled.get(name)?.displayName ?? name;
    throw stateError(
      "SX-STATE-REPLAYED",
      `This consent already has a ${displayName} account connected: this sign-in was not used, and nothing changed`,
    );
  }
  if (next) return { kind: "next", session: updated, provider: next };
  if (session.flow === "device") {
    let activated: AuthSession | null;
    try {
      activated = await activateSession(deps, updated, "pending");
    } catch (error) {
      if (!(error instanceof SecurixError) || error.code !== ACCOUNT_MISMATCH.code) throw error;
      return await refuseSwap(deps, updated, name, error);
    }
    return { kind: "done", session: activated ?? { ...updated, status: "completed" } };
  }
  await recordPendingConnections(deps, updated);
  return { kind: "done", session: { ...updated, status: "awaiting_confirmation" } };
}

/** A credential another sign-in beat to its step: revoked where the provider can, deleted. */
async function discardCredential(
  deps: FlowDeps,
  provider: string,
  credential: StoredCredential,
  credentialId: string,
): Promise<void> {
  const tokens = oauthTokens(credential);
  const revoke = deps.providers.enabled.get(provider)?.revoke;
  if (tokens && revoke) await revoke(tokens).catch(() => {});
  await deps.vault.delete(credentialId);
}

/**
 * An agent's consent came back with another account than the connection's:
 * audited with both account ids (never a token), then failed like any other
 * consent (session.failed with the reason and code, the app's return_url),
 * which revokes and deletes the token just obtained. The connection is untouched.
 */
async function refuseSwap(
  deps: FlowDeps,
  session: AuthSession,
  provider: string,
  error: SecurixError,
): Promise<CallbackOutcome> {
  const refusal = error.details as unknown as SwapRefusal;
  await deps.database.transaction(async (tx) => {
    await recordAuthEvent(tx, {
      kind: "session.account_refused",
      appId: session.appId,
      entityId: session.entityId,
      provider,
      data: {
        sessionId: session.id,
        connectionId: refusal.connectionId,
        startedBy: session.providers[provider].startedBy ?? null,
        keptAccountId: refusal.kept?.id ?? null,
        offeredAccountId: refusal.offered?.id ?? null,
        code: ACCOUNT_MISMATCH.code,
      },
      webhook: null,
    }, deps.now());
  });
  const failed = await failSession(deps, session, provider, ACCOUNT_MISMATCH.reason);
  return { ...failed, error } as CallbackOutcome;
}
