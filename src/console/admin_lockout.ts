import { lockoutKey } from "../apps/key_lockout.ts";
import type { Db } from "../db/client.ts";
import { giveBackAttempt, reserveFailure } from "../flows/attempt_counter.ts";

export interface AdminLockoutLimits {
  /** Failed sign-ins of one admin name within the window before it is locked. Default 5. */
  perAccount: number;
  /** Failed sign-ins from one address (an IPv6 /64) within the window. Default 20. */
  perAddress: number;
  /** Default 15 minutes. */
  windowMs: number;
}

export const DEFAULT_ADMIN_LOCKOUT: AdminLockoutLimits = {
  perAccount: 5,
  perAddress: 20,
  windowMs: 15 * 60_000,
};

/** What `reserve` took: the windows to give back to if the attempt was right. */
export type AdminReservation = { retryAfterS: number } | {
  retryAfterS: null;
  taken: Array<{ key: string; windowStart: number }>;
};

/**
 * Failed console sign-ins counted per admin name and per client address:
 * guessing one admin's password from many addresses, or many names from one
 * address, both end in SX-AUTH-LOCKOUT until the window is over. Counted in
 * the database (`rate_counters`), so the limits hold across every node that
 * shares it; a sign-in is rare enough that each attempt may pay the round trip.
 *
 * A null name (a login link, which names no admin until it is used) counts
 * against the address only: one shared name would let anyone lock every
 * admin's links with a few garbage ones, and a link's 256 random bits are
 * not guessed, so only a flood needs stopping, and that from its address.
 */
export class AdminLockout {
  readonly #db: Db;
  readonly #limits: AdminLockoutLimits;

  constructor(deps: { db: Db; limits?: AdminLockoutLimits }) {
    this.#db = deps.db;
    this.#limits = deps.limits ?? DEFAULT_ADMIN_LOCKOUT;
  }

  /**
   * Counts an attempt as failed before it is checked, in one statement with
   * the lockout check per counter: answers the seconds to wait when either
   * is locked out, else what was taken. Concurrent attempts, on any node,
   * each take one of the allowed failures, so no more than the limit are ever
   * checked; an attempt that turns out right gives them back with `succeeded`.
   */
  async reserve(name: string | null, address: string, now: number): Promise<AdminReservation> {
    const counters = [{ key: addressKey(address), limit: this.#limits.perAddress }];
    if (name !== null) counters.unshift({ key: accountKey(name), limit: this.#limits.perAccount });
    const taken: Array<{ key: string; windowStart: number }> = [];
    for (const { key, limit } of counters) {
      const counted = await reserveFailure(this.#db, key, {
        now,
        ms: this.#limits.windowMs,
        limit,
      });
      if ("until" in counted) {
        // The other counter's failure is not this attempt's to keep: it is never checked.
        await this.succeeded({ retryAfterS: null, taken });
        return { retryAfterS: Math.ceil((counted.until - now) / 1000) };
      }
      taken.push({ key, windowStart: counted.windowStart });
    }
    return { retryAfterS: null, taken };
  }

  /** Gives back the failures `reserve` counted for an attempt that was right. */
  async succeeded(reservation: AdminReservation): Promise<void> {
    if (reservation.retryAfterS !== null) return;
    for (const { key, windowStart } of reservation.taken) {
      await giveBackAttempt(this.#db, key, { start: windowStart, ms: this.#limits.windowMs });
    }
  }
}

// Never the password guessed: only who was guessed at, and from where.
const accountKey = (name: string) => `console-sign-in:admin:${name.toLowerCase()}`;
const addressKey = (address: string) => `console-sign-in:address:${lockoutKey(address)}`;
