import { FailedKeyLimiter } from "../apps/failed_key_limiter.ts";

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

/**
 * Failed console sign-ins counted per admin name and per client address:
 * guessing one admin's password from many addresses, or many names from one
 * address, both end in SX-AUTH-LOCKOUT until the window is over.
 *
 * A null name (a login link, which names no admin until it is used) counts
 * against the address only: one shared name would let anyone lock every
 * admin's links with a few garbage ones, and a link's 256 random bits are
 * not guessed, so only a flood needs stopping, and that from its address.
 */
export class AdminLockout {
  readonly #accounts: FailedKeyLimiter;
  readonly #addresses: FailedKeyLimiter;

  constructor(limits: AdminLockoutLimits = DEFAULT_ADMIN_LOCKOUT) {
    this.#accounts = new FailedKeyLimiter({
      maxFailures: limits.perAccount,
      windowMs: limits.windowMs,
      maxAddresses: 10_000,
    });
    this.#addresses = new FailedKeyLimiter({
      maxFailures: limits.perAddress,
      windowMs: limits.windowMs,
      maxAddresses: 10_000,
    });
  }

  /** Seconds until either may try again, or null. */
  retryAfterS(name: string | null, address: string, now: number): number | null {
    const a = name === null ? null : this.#accounts.retryAfterS(accountKey(name), now);
    const b = this.#addresses.retryAfterS(address, now);
    return a === null && b === null ? null : Math.max(a ?? 0, b ?? 0);
  }

  /**
   * Counts an attempt as failed before it is checked, in one step with the
   * lockout check: answers the seconds to wait (nothing counted) when either
   * is locked out, else null. Concurrent attempts each take one of the
   * allowed failures, so no more than the limit are ever checked at once; an
   * attempt that turns out right gives its failure back with `succeeded`.
   */
  reserve(name: string | null, address: string, now: number): number | null {
    const retry = this.retryAfterS(name, address, now);
    if (retry !== null) return retry;
    if (name !== null) this.#accounts.fail(accountKey(name), now);
    this.#addresses.fail(address, now);
    return null;
  }

  /** Gives back the failure `reserve` counted for an attempt that was right. */
  succeeded(name: string | null, address: string, now: number): void {
    if (name !== null) this.#accounts.forgive(accountKey(name), now);
    this.#addresses.forgive(address, now);
  }
}

// Not an address, so the limiter keeps it as it is.
const accountKey = (name: string) => `admin:${name.toLowerCase()}`;
