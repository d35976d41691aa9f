import { TtlCache } from "../cache/ttl_cache.ts";
import type { Db } from "../db/client.ts";
import { type App, findApp } from "./app_store.ts";
import type { KeyLockout } from "./key_lockout.ts";
import type { KeyRole } from "./key_role.ts";
import { findLiveKey, touchApiKey } from "./key_store.ts";
import { digestApiKey } from "./api_key.ts";

export interface Authenticated {
  app: App;
  keyId: string;
  /** Read with the key's row and cached with it: checking it costs no database round trip. */
  role: KeyRole;
  /** The agent the key is bound to (null: any agent), cached with it as the role is. */
  agentId: string | null;
}

/** Why a request was refused before any app was known: the `reason` label of its metric. */
export type KeyFailure = "missing_key" | "invalid_key" | "locked_out";

export type KeyCheck =
  | { ok: true; auth: Authenticated }
  | { ok: false; reason: KeyFailure; retryAfterS?: number };

/** Keys kept as having passed (see #vouched): as many as the key cache holds. */
const VOUCHED_KEYS = 10_000;

/**
 * API key → app, cached for `ttlMs` so the hot path does not hit the
 * database per request; a revoked key stops working within `ttlMs`.
 * Misses are cached too, so a flood of bad keys costs one lookup per TTL each.
 *
 * The cache is keyed by the key as presented, not by its digest: hashing it
 * was a native SHA-256 call on every request, for nothing once the answer is
 * cached. It is the same cache as before (the same TTL, the same 10,000-entry
 * bound, the same invalidation), so it holds no more entries and none longer;
 * a key it holds is one a caller sent within the TTL, which the process held
 * in that request anyway. The database only ever sees the digest.
 */
export class KeyAuthenticator {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #cache: TtlCache<Authenticated | null>;
  /** Checks of keys not cached yet, by key, while their lookup runs. */
  readonly #inflight = new Map<string, Promise<KeyCheck>>();
  /**
   * Keys this isolate has seen pass, kept past the 5 s cache: their next lookup (after a lapse,
   * a forget or a revoke) reserves no failure, so a backend's own traffic never spends its
   * address's failures. It only skips the reservation: the key is still looked up, and a
   * revoked one is refused and counted. Held by digest: kept past the TTL, never the key itself.
   */
  readonly #vouched = new Set<string>();
  readonly #touched = new Map<string, number>();
  readonly #limiter: KeyLockout | null;
  readonly #onFailure: (address: string, reason: KeyFailure) => void;
  /** Bumped by every forget: a lookup that started before it does not fill the cache. */
  #generation = 0;

  constructor(deps: {
    db: Db;
    now: () => number;
    ttlMs?: number;
    /** Failed checks per client address (counted in the database, or by the main isolate); none = no lockout. */
    limiter?: KeyLockout;
    /** Every refused check (metrics, the `auth.failed` summaries). */
    onFailure?: (address: string, reason: KeyFailure) => void;
  }) {
    this.#db = deps.db;
    this.#now = deps.now;
    this.#cache = new TtlCache(deps.ttlMs ?? 5_000, deps.now, 10_000);
    this.#limiter = deps.limiter ?? null;
    this.#onFailure = deps.onFailure ?? (() => {});
  }

  /**
   * The edge's key check for a request from `address`: a locked-out address
   * is refused before the key's digest is even looked up. A key this isolate
   * holds as good passes without a round trip; anything else (a missing,
   * unknown or not yet cached key) first reserves a failure in the lockout
   * count, which a key that then turns out good gives back.
   */
  check(presented: string | null | undefined, address: string): KeyCheck | Promise<KeyCheck> {
    const now = this.#now();
    const retryAfterS = this.#limiter?.retryAfterS(address, now) ?? null;
    if (retryAfterS !== null) return this.#refuse(address, "locked_out", retryAfterS);
    const known = presented ? this.#cache.get(presented) : undefined;
    // A cached good key answers at once: no promise, no microtask on the proxy's hot path.
    const good = known?.value;
    if (good) return { ok: true, auth: this.#markUsed(good, now)! };
    if (!presented || known !== undefined) {
      return this.#checkUncached(presented, address, now, true);
    }
    if (this.#vouched.has(digestApiKey(presented))) {
      return this.#checkVouched(presented, address, now);
    }
    return this.#checkShared(presented, address, now);
  }

  /**
   * One lookup (and one reservation) per key in flight: a backend's burst on a key not cached
   * yet must not spend the address's failures, or a valid key locks its own address out.
   */
  async #checkShared(presented: string, address: string, now: number): Promise<KeyCheck> {
    const shared = this.#inflight.get(presented);
    if (shared) {
      const check = await shared;
      // Refused for the leader (a wrong key, or its address locked): this call counts on its own.
      if (check.ok) return check;
      return this.#checkUncached(presented, address, now, false);
    }
    const run = this.#checkUncached(presented, address, now, false);
    this.#inflight.set(presented, run);
    const clear = () => {
      if (this.#inflight.get(presented) === run) this.#inflight.delete(presented);
    };
    run.then(clear, clear);
    return run;
  }

  /** A key that passed before: looked up first, and only a refusal is counted. */
  async #checkVouched(presented: string, address: string, now: number): Promise<KeyCheck> {
    const auth = await this.authenticate(presented);
    if (auth) return { ok: true, auth };
    this.#vouched.delete(digestApiKey(presented));
    // Counted as any refused key is (now cached as bad: not looked up again).
    return this.#checkUncached(presented, address, now, true);
  }

  async #checkUncached(
    presented: string | null | undefined,
    address: string,
    now: number,
    knownBad: boolean,
  ): Promise<KeyCheck> {
    // Reserved before the check: concurrent guesses, on any node, never check more keys than the limit.
    const reservation = this.#limiter ? await this.#limiter.reserve(address, now) : null;
    if (reservation && reservation.lockedForS !== null) {
      return this.#refuse(address, "locked_out", reservation.lockedForS);
    }
    if (!presented) return this.#refuse(address, "missing_key");
    let auth: Authenticated | null;
    try {
      auth = knownBad ? null : await this.authenticate(presented);
    } catch (error) {
      // The lookup failed (the database), not the key: no guess was answered.
      reservation?.giveBack();
      throw error;
    }
    if (!auth) return this.#refuse(address, "invalid_key");
    reservation?.giveBack();
    this.#vouch(presented);
    return { ok: true, auth };
  }

  #refuse(address: string, reason: KeyFailure, retryAfterS?: number): KeyCheck {
    this.#onFailure(address, reason);
    return retryAfterS === undefined ? { ok: false, reason } : { ok: false, reason, retryAfterS };
  }

  async authenticate(presented: string): Promise<Authenticated | null> {
    const now = this.#now();
    const hit = this.#cache.get(presented);
    if (hit) return this.#markUsed(hit.value, now);
    const generation = this.#generation;
    const value = await this.#load(presented);
    // A key read before a revoke committed must not be cached as live after it.
    if (generation === this.#generation) this.#cache.set(presented, value);
    return this.#markUsed(value, now);
  }

  /** Forget everything, e.g. right after a revoke in this process. */
  invalidate(): void {
    this.#generation++;
    this.#cache.clear();
    // A lookup that started before the revoke must not answer calls that arrive after it.
    this.#inflight.clear();
  }

  /**
   * Forget one app's keys (renamed, origins changed, deleted): its next
   * request in this process re-reads the key and the app at once.
   */
  forgetApp(appId: string): void {
    this.#generation++;
    this.#cache.deleteWhere((value) => value?.app.id === appId);
    this.#inflight.clear();
  }

  #vouch(presented: string): void {
    const digest = digestApiKey(presented);
    if (this.#vouched.has(digest)) return;
    // Bounded like the cache: the oldest key that passed goes first.
    if (this.#vouched.size >= VOUCHED_KEYS) {
      this.#vouched.delete(this.#vouched.values().next().value!);
    }
    this.#vouched.add(digest);
  }

  async #load(presented: string): Promise<Authenticated | null> {
    const key = await findLiveKey(this.#db, presented);
    if (!key) return null;
    const app = await findApp(this.#db, key.appId);
    return app ? { app, keyId: key.id, role: key.role, agentId: key.agentId } : null;
  }

  // last_used_at is advisory: written at most once a minute per key, off the request path.
  #markUsed(value: Authenticated | null, now: number): Authenticated | null {
    if (value && (this.#touched.get(value.keyId) ?? 0) < now - 60_000) {
      this.#touched.set(value.keyId, now);
      touchApiKey(this.#db, value.keyId, now).catch(() => {});
    }
    return value;
  }
}
