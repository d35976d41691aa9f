import type { Database } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { VaultStore } from "../vault/store.ts";
import { connectionErrors } from "./connection_errors.ts";
import { getConnection } from "./connection_store.ts";
import { type Connection, type OAuthCredential, oauthTokens } from "./connection_types.ts";
import { readStoredCredential } from "./stored_credential.ts";
import {
  CredentialSource,
  type CredentialSourceOptions,
  type Refresher,
} from "./credential_source.ts";

export interface RefreshNowDeps {
  database: Database;
  vault: VaultStore;
  now: () => number;
  /** As the serving process wires it (`ProviderWiring.refresherFor`). */
  refresherFor: (provider: string) => Refresher | null;
  /** Whether the provider is enabled in this config, to tell "disabled" from "cannot refresh". */
  providerEnabled: (provider: string) => boolean;
  /** For tests: how long to wait between looks while another process holds the lease. */
  sleep?: CredentialSourceOptions["sleep"];
}

export interface RefreshNowResult {
  connection: Connection;
  /** `refreshed`: this call used the refresh token; `reused`: another process just had. */
  outcome: "refreshed" | "reused";
  expiresAt: number | null;
  scopes: string[];
}

const REFUSED: Partial<Record<Connection["status"], string>> = {
  pending: "the user has not finished connecting",
  needs_reauth: "the provider no longer accepts its refresh token; the user must reconnect",
  revoked: "a revoked connection has no credential",
};

/**
 * Refreshes a connection's token now, whatever its expiry says (the
 * operator's `securix connections refresh`). It goes through the serving
 * process's own path, a `CredentialSource`, so the refresh lease and the
 * vault's compare-and-swap keep it safe next to a running appliance, and
 * invalid_grant marks the connection needs_reauth with the same webhook event.
 */
export async function refreshNow(deps: RefreshNowDeps, id: string): Promise<RefreshNowResult> {
  const connection = await getConnection(deps.database.db, id);
  if (!connection) throw connectionErrors.notFound(id);
  const refused = REFUSED[connection.status];
  if (refused) throw connectionErrors.state(connection, "refresh", refused);
  const refresher = refresherOf(deps, connection);
  const current = await storedCredential(deps.vault, connection);
  const seen: { outcome: string | null; providerError: SecurixError | null } = {
    outcome: null,
    providerError: null,
  };
  const source = new CredentialSource({
    database: deps.database,
    vault: deps.vault,
    now: deps.now,
    refresherFor: () => observed(refresher, (error) => seen.providerError = error),
    onRefresh: (o) => seen.outcome = o,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  try {
    // Naming the current access token as rejected makes the source refresh it.
    const refreshed = await source.get(connection, current.accessToken);
    const next = oauthTokens(refreshed) ?? current;
    return {
      connection,
      outcome: seen.outcome === "success" ? "refreshed" : "reused",
      expiresAt: next.expiresAt,
      scopes: next.scopes,
    };
  } catch (error) {
    if (seen.outcome === "invalid_grant") throw connectionErrors.needsReauth(connection);
    const cause = seen.providerError ?? error;
    if (cause instanceof SecurixError) throw connectionErrors.refreshFailed(connection, cause);
    throw error;
  }
}

function refresherOf(deps: RefreshNowDeps, connection: Connection): Refresher {
  const { provider } = connection;
  if (!deps.providerEnabled(provider)) {
    throw connectionErrors.refreshUnsupported(
      connection,
      `provider "${provider}" is not enabled in this config; add [providers.${provider}] to securix.toml`,
    );
  }
  const refresher = deps.refresherFor(provider);
  if (!refresher) {
    throw connectionErrors.refreshUnsupported(connection, `${provider} does not support refresh`);
  }
  return refresher;
}

async function storedCredential(vault: VaultStore, c: Connection): Promise<OAuthCredential> {
  const record = await readStoredCredential(vault, c);
  if (!record) {
    throw connectionErrors.refreshUnsupported(
      c,
      "no credential is stored; the user must reconnect",
    );
  }
  const credential = oauthTokens(record.credential);
  if (credential === null) {
    throw connectionErrors.refreshUnsupported(
      c,
      `its credential is a ${record.credential.kind}, which does not expire; the user replaces it by reconnecting`,
    );
  }
  if (!credential.refreshToken) {
    throw connectionErrors.refreshUnsupported(
      c,
      "the provider issued no refresh token for it, so only the user reconnecting renews it",
    );
  }
  return credential;
}

/** The same refresher, telling `onError` what the provider answered before the source sums it up. */
function observed(refresher: Refresher, onError: (error: SecurixError) => void): Refresher {
  return {
    refresh: async (token) => {
      try {
        return await refresher.refresh(token);
      } catch (error) {
        if (error instanceof SecurixError) onError(error);
        throw error;
      }
    },
    isInvalidGrant: (error) => refresher.isInvalidGrant(error),
  };
}
