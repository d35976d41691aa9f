import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { connections } from "../db/schema.ts";
import type { TokenResult } from "../flows/flow_provider.ts";
import type { VaultStore } from "../vault/store.ts";
import {
  type Connection,
  CREDENTIAL_PURPOSE,
  type OAuthCredential,
  oauthTokens,
  type StoredCredential,
} from "./connection_types.ts";
import { readStoredCredential, serializeCredential } from "./stored_credential.ts";
import { needsReauth, refreshPending, tokenExpired } from "./credential_errors.ts";
import { acquireLease, releaseLease } from "./refresh_lease.ts";
import { refreshDue } from "./refresh_timing.ts";
import { connectionAudit, connectionEventData } from "./lifecycle.ts";
import { recordAuthEvent } from "../audit/auth_event.ts";

/** How a provider refreshes; `invalidGrant` tells a dead refresh token from a passing failure. */
export interface Refresher {
  refresh(refreshToken: string): Promise<TokenResult>;
  isInvalidGrant(error: unknown): boolean;
}

export interface CredentialSourceOptions {
  database: Database;
  vault: VaultStore;
  now: () => number;
  refresherFor: (provider: string) => Refresher | null;
  /** Refresh when the token expires within this, capped at a quarter of its lifetime
   * (see refresh_timing.ts); default 60 s. */
  skewMs?: number;
  /** How long a decrypted credential is reused without re-reading; default 30 s. */
  cacheTtlMs?: number;
  leaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  owner?: string;
  onRefresh?: (outcome: "success" | "failure" | "invalid_grant" | "reused") => void;
}

const FORCED_REFRESH_MS = 30_000;

interface Cached {
  credential: StoredCredential;
  recordVersion: number;
  connectionVersion: number;
  loadedAt: number;
}

interface Backoff {
  failures: number;
  until: number;
}

/**
 * Hands out usable credentials. Decrypted credentials are cached per
 * connection; refreshes are single-flight in the process and guarded by a
 * lease row across processes, so a refresh token is presented exactly once.
 */
export class CredentialSource {
  readonly #o:
    & Required<Omit<CredentialSourceOptions, "onRefresh">>
    & Pick<CredentialSourceOptions, "onRefresh">;
  readonly #cache = new Map<string, Cached>();
  readonly #inflight = new Map<string, Promise<StoredCredential>>();
  readonly #backoff = new Map<string, Backoff>();
  readonly #forcedAt = new Map<string, number>();

  constructor(options: CredentialSourceOptions) {
    this.#o = {
      skewMs: 60_000,
      cacheTtlMs: 30_000,
      leaseMs: 30_000,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      owner: crypto.randomUUID(),
      ...options,
    };
  }

  /** Drops a connection's cached credential at once (revoke, pause). */
  invalidate(connectionId: string): void {
    this.#cache.delete(connectionId);
  }

  /**
   * A credential for `connection` that is not about to expire. `rejected` is
   * an access token the provider just answered 401 to: it is refreshed even
   * if its expiry says it is still good. A cached credential is answered
   * synchronously (the proxy's usual call: no promise, no microtask).
   */
  get(
    connection: Connection,
    rejected: string | null = null,
  ): StoredCredential | Promise<StoredCredential> {
    const hit = this.#cache.get(connection.id);
    const now = this.#o.now();
    if (
      hit && !rejected && hit.connectionVersion === connection.version &&
      now - hit.loadedAt < this.#o.cacheTtlMs && !this.#expiring(hit.credential, now)
    ) return hit.credential;
    return this.#getLoaded(connection, rejected);
  }

  async #getLoaded(connection: Connection, rejected: string | null): Promise<StoredCredential> {
    const running = this.#inflight.get(connection.id);
    if (running) return await running;
    const work = this.#load(connection, rejected).finally(() =>
      this.#inflight.delete(connection.id)
    );
    this.#inflight.set(connection.id, work);
    return await work;
  }

  /** API keys, basic and SigV4 credentials do not expire: only a token set is ever due. */
  #expiring(credential: StoredCredential, now: number): boolean {
    const tokens = oauthTokens(credential);
    return tokens !== null && refreshDue(tokens, this.#o.skewMs, now);
  }

  async #read(connection: Connection): Promise<{ credential: StoredCredential; version: number }> {
    const stored = await readStoredCredential(this.#o.vault, connection);
    if (!stored) throw tokenExpired(connection.provider, "no credential is stored");
    return stored;
  }

  #remember(
    connection: Connection,
    credential: StoredCredential,
    version: number,
  ): StoredCredential {
    this.#cache.set(connection.id, {
      credential,
      recordVersion: version,
      connectionVersion: connection.version,
      loadedAt: this.#o.now(),
    });
    return credential;
  }

  #usable(credential: StoredCredential, rejected: string | null): boolean {
    const tokens = oauthTokens(credential);
    if (tokens === null) return true;
    return !this.#expiring(tokens, this.#o.now()) &&
      (rejected === null || tokens.accessToken !== rejected);
  }

  async #load(connection: Connection, rejected: string | null): Promise<StoredCredential> {
    const stored = await this.#read(connection);
    if (this.#usable(stored.credential, rejected) || this.#rejectedAgain(connection, rejected)) {
      return this.#remember(connection, stored.credential, stored.version);
    }
    const without = this.#withoutRefresh(connection, stored, rejected);
    if (without) return without;
    if (rejected !== null) this.#forcedAt.set(connection.id, this.#o.now());
    return await this.#refreshWithLease(connection, stored, rejected);
  }

  /**
   * When asking the provider is pointless (backing off after a failure, or
   * nothing to refresh with), answer before taking the lease: the still-valid
   * credential if there is one, else SX-TOKEN-EXPIRED. Null: go and refresh.
   */
  #withoutRefresh(
    connection: Connection,
    current: { credential: StoredCredential; version: number },
    rejected: string | null,
  ): StoredCredential | null {
    const now = this.#o.now();
    const backingOff = (this.#backoff.get(connection.id)?.until ?? 0) > now;
    const refreshable = this.#o.refresherFor(connection.provider) !== null &&
      Boolean(oauthTokens(current.credential)?.refreshToken);
    if (!backingOff && refreshable) return null;
    const kept = this.#stillValid(connection, current, rejected);
    if (kept) return kept;
    if (refreshable) {
      const until = this.#backoff.get(connection.id)?.until ?? now;
      throw refreshPending(connection.provider, "refresh failed recently", until - now);
    }
    throw tokenExpired(connection.provider, "it expired and cannot be refreshed");
  }

  /** The current credential while it has not expired (we refresh early), unless it was rejected. */
  #stillValid(
    connection: Connection,
    current: { credential: StoredCredential; version: number },
    rejected: string | null,
  ): StoredCredential | null {
    const credential = oauthTokens(current.credential);
    if (
      rejected === null && credential !== null && credential.expiresAt !== null &&
      credential.expiresAt > this.#o.now()
    ) {
      return this.#remember(connection, credential, current.version);
    }
    return null;
  }

  /**
   * The provider rejected a token we refreshed because it rejected the one
   * before, moments ago: the 401 is about something else (a scope, a
   * permission), and refreshing on every such answer would hammer the token
   * endpoint. One forced refresh per connection per FORCED_REFRESH_MS.
   */
  #rejectedAgain(connection: Connection, rejected: string | null): boolean {
    const at = this.#forcedAt.get(connection.id);
    return rejected !== null && at !== undefined && this.#o.now() - at < FORCED_REFRESH_MS;
  }

  async #refreshWithLease(
    connection: Connection,
    seen: { credential: StoredCredential; version: number },
    rejected: string | null,
  ): Promise<StoredCredential> {
    const { database, leaseMs } = this.#o;
    const deadline = this.#o.now() + leaseMs * 2;
    while (this.#o.now() < deadline) {
      if (await acquireLease(database.db, connection.id, this.#o.owner, this.#o.now(), leaseMs)) {
        try {
          // Someone may have refreshed between our read and the lease.
          const latest = await this.#read(connection);
          if (latest.version !== seen.version && this.#usable(latest.credential, rejected)) {
            this.#o.onRefresh?.("reused");
            return this.#remember(connection, latest.credential, latest.version);
          }
          return await this.#refresh(connection, latest, rejected);
        } finally {
          await releaseLease(database.db, connection.id, this.#o.owner);
        }
      }
      await this.#o.sleep(25);
      const latest = await this.#read(connection);
      if (latest.version !== seen.version && this.#usable(latest.credential, rejected)) {
        this.#o.onRefresh?.("reused");
        return this.#remember(connection, latest.credential, latest.version);
      }
    }
    throw refreshPending(
      connection.provider,
      "another appliance process is still refreshing it",
      1_000,
    );
  }

  async #refresh(
    connection: Connection,
    current: { credential: StoredCredential; version: number },
    rejected: string | null,
  ): Promise<StoredCredential> {
    const now = this.#o.now();
    const refresher = this.#o.refresherFor(connection.provider);
    const credential = oauthTokens(current.credential);
    const fallback = () => this.#stillValid(connection, current, rejected);
    const without = this.#withoutRefresh(connection, current, rejected);
    if (without) return without;
    if (!refresher || !credential?.refreshToken) {
      throw tokenExpired(connection.provider, "it expired and cannot be refreshed");
    }
    let tokens: TokenResult;
    try {
      tokens = await refresher.refresh(credential.refreshToken);
    } catch (error) {
      return await this.#refreshFailed(
        connection,
        current,
        refresher.isInvalidGrant(error),
        fallback,
      );
    }
    if (this.#backoff.has(connection.id)) {
      this.#backoff.delete(connection.id);
      await this.#event(connection, "connection.recovered", {});
    }
    const next: OAuthCredential = {
      kind: "oauth2",
      accessToken: tokens.accessToken,
      // Providers that do not rotate omit the refresh token: keep the old one.
      refreshToken: tokens.refreshToken ?? credential.refreshToken,
      tokenType: tokens.tokenType,
      expiresAt: tokens.expiresAt,
      obtainedAt: now,
      scopes: tokens.scopes ?? credential.scopes,
      idToken: tokens.idToken ?? credential.idToken ?? null,
    };
    const version = await this.#o.vault.putIfVersion(
      connection.credentialId!,
      CREDENTIAL_PURPOSE,
      serializeCredential(next),
      current.version,
    );
    if (version === null) {
      // Lost a race despite the lease (it expired mid-refresh): take what won.
      const latest = await this.#read(connection);
      return this.#remember(connection, latest.credential, latest.version);
    }
    const at = this.#o.now();
    await this.#o.database.transaction(async (tx) => {
      await tx.update(connections).set({ credentialExpiresAt: next.expiresAt })
        .where(eq(connections.id, connection.id));
      await recordAuthEvent(tx, {
        kind: "connection.refreshed",
        ...connectionAudit(connection, { expiresAt: next.expiresAt }),
        webhook: null,
      }, at);
    });
    this.#o.onRefresh?.("success");
    return this.#remember(connection, next, version);
  }

  async #event(
    connection: Connection,
    type: "connection.refresh_failed" | "connection.recovered",
    extra: Record<string, unknown>,
  ): Promise<void> {
    const now = this.#o.now();
    await this.#o.database.transaction((tx) =>
      recordAuthEvent(tx, connectionEvent(connection, type, extra), now)
    );
  }

  async #refreshFailed(
    connection: Connection,
    current: { credential: StoredCredential; version: number },
    invalidGrant: boolean,
    fallback: () => StoredCredential | null,
  ): Promise<StoredCredential> {
    if (invalidGrant) {
      // The token may have been rotated by someone else meanwhile: look before giving up.
      const latest = await this.#read(connection);
      if (latest.version !== current.version) {
        return this.#remember(connection, latest.credential, latest.version);
      }
      const now = this.#o.now();
      await this.#o.database.transaction(async (tx) => {
        // Only an active connection: a pause or revoke made meanwhile (or an
        // operator's refresh of a paused one) is the user's, and stays.
        const marked = await tx.update(connections).set({
          status: "needs_reauth",
          version: sql`${connections.version} + 1`,
          updatedAt: now,
        }).where(and(eq(connections.id, connection.id), eq(connections.status, "active")));
        if (marked.rowsAffected === 0) return;
        const extra = { reason: "invalid_grant", needsReauth: true };
        await recordAuthEvent(
          tx,
          connectionEvent(connection, "connection.refresh_failed", extra),
          now,
        );
      });
      this.invalidate(connection.id);
      this.#o.onRefresh?.("invalid_grant");
      throw needsReauth(connection.provider, "the provider no longer accepts it (invalid_grant)");
    }
    const failures = (this.#backoff.get(connection.id)?.failures ?? 0) + 1;
    if (failures === 1) {
      await this.#event(connection, "connection.refresh_failed", {
        reason: "provider_error",
        needsReauth: false,
      });
    }
    this.#backoff.set(connection.id, {
      failures,
      until: this.#o.now() + Math.min(60_000, 1_000 * 2 ** (failures - 1)),
    });
    this.#o.onRefresh?.("failure");
    const kept = fallback();
    if (kept) return kept;
    const until = this.#backoff.get(connection.id)?.until ?? this.#o.now();
    throw refreshPending(
      connection.provider,
      "the provider did not answer the refresh",
      until - this.#o.now(),
    );
  }
}

/** The audit record and webhook of a refresh failure or recovery; in one place so both match. */
function connectionEvent(
  connection: Connection,
  type: "connection.refresh_failed" | "connection.recovered",
  extra: Record<string, unknown>,
): Parameters<typeof recordAuthEvent>[1] {
  return {
    kind: type,
    ...connectionAudit(connection, extra),
    webhook: {
      type,
      data: { ...connectionEventData(connection), ...extra },
      orderingKey: connection.id,
    },
  };
}
