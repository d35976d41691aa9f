import { SecurixError } from "../errors/securix_error.ts";
import type { FailureCount } from "../flows/attempt_counter.ts";
import { type KeyLockout, type KeyReservation, lockoutKey } from "./key_lockout.ts";
import { LockedAddresses } from "./locked_addresses.ts";

/**
 * A serving isolate's side of the failed-key lockout when another isolate
 * counts (the main one's SharedKeyLockout, reached by message): failures are
 * reserved there, so the process makes one count in the database with
 * every other node; the lockouts it announces are kept here, so the check
 * before a key is read stays a map lookup and a locked-out address is
 * refused at once.
 */
export class ReportedKeyLockout implements KeyLockout {
  readonly #locked: LockedAddresses;
  readonly #report: (address: string) => Promise<FailureCount>;
  readonly #giveBack: (address: string, windowStart: number) => void;

  /**
   * `report` reserves a failure where the count is kept: the window it was
   * counted in, or the end of the address's lockout (nothing counted).
   * `giveBack` returns one a check that passed had taken.
   */
  constructor(deps: {
    report: (address: string) => Promise<FailureCount>;
    giveBack: (address: string, windowStart: number) => void;
    /** Lockouts kept at once (oldest forgotten first), as `auth_lockout.max_addresses`. */
    maxAddresses: number;
  }) {
    this.#report = deps.report;
    this.#giveBack = deps.giveBack;
    this.#locked = new LockedAddresses(deps.maxAddresses);
  }

  retryAfterS(address: string, now: number): number | null {
    return this.#locked.retryAfterS(address, now);
  }

  async reserve(address: string, now: number): Promise<KeyReservation> {
    let counted: FailureCount;
    try {
      counted = await this.#report(address);
    } catch {
      // The count is out of reach (the database, or the counting isolate is behind or stopping):
      // fail closed, as the counting isolate itself does, rather than check a key uncounted.
      throw new SecurixError("SX-UNAVAILABLE", "Cannot check the API key now; retry shortly", {
        status: 503,
      });
    }
    if ("windowStart" in counted) {
      const { windowStart } = counted;
      return { lockedForS: null, giveBack: () => this.#giveBack(address, windowStart) };
    }
    if (counted.until <= now) return { lockedForS: null, giveBack: () => {} };
    this.#locked.lock(lockoutKey(address), counted.until);
    return { lockedForS: Math.ceil((counted.until - now) / 1000) };
  }

  /** An address (its `lockoutKey`) is locked out until `until`, as the counting isolate says. */
  lock(key: string, until: number): void {
    this.#locked.lock(key, until);
  }

  get tracked(): number {
    return this.#locked.tracked;
  }
}
