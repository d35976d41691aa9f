import type { Db } from "../db/client.ts";
import { type FailureCount, giveBackAttempt, reserveFailure } from "../flows/attempt_counter.ts";
import {
  type FailedKeyLimits,
  type KeyLockout,
  type KeyReservation,
  lockoutKey,
} from "./key_lockout.ts";
import { LockedAddresses } from "./locked_addresses.ts";

/**
 * Failed API key checks per client address, counted in the database
 * (`rate_counters`), so `max_failures` holds for every node sharing it, not
 * per node. Only a check that may fail reaches it: a key this isolate
 * holds as good never does. The lockouts it learns are kept here too, so a
 * locked-out address costs no further round trip until its lockout ends.
 * Nothing secret is stored: the row is keyed by the address, never the key.
 */
export class SharedKeyLockout implements KeyLockout {
  readonly #db: Db;
  readonly #limits: FailedKeyLimits;
  readonly #locked: LockedAddresses;
  readonly #onLocked: (key: string, until: number) => void;

  /** `onLocked`: an address (its `lockoutKey`) turned out locked out, e.g. to tell the other isolates. */
  constructor(deps: {
    db: Db;
    limits: FailedKeyLimits;
    onLocked?: (key: string, until: number) => void;
  }) {
    this.#db = deps.db;
    this.#limits = deps.limits;
    this.#locked = new LockedAddresses(deps.limits.maxAddresses);
    this.#onLocked = deps.onLocked ?? (() => {});
  }

  retryAfterS(address: string, now: number): number | null {
    return this.#locked.retryAfterS(address, now);
  }

  async reserve(address: string, now: number): Promise<KeyReservation> {
    const counted = await this.count(address, now);
    if ("until" in counted) return { lockedForS: Math.ceil((counted.until - now) / 1000) };
    return { lockedForS: null, giveBack: () => this.giveBack(address, counted.windowStart) };
  }

  /** `reserve` as another isolate of this process asks for it (by message). */
  async count(address: string, now: number): Promise<FailureCount> {
    const known = this.#locked.lockedUntil(address, now);
    if (known !== null) return { until: known };
    const key = lockoutKey(address);
    const counted = await reserveFailure(this.#db, counterKey(key), {
      now,
      ms: this.#limits.windowMs,
      limit: this.#limits.maxFailures,
    });
    if ("until" in counted && this.#locked.lock(key, counted.until)) {
      this.#onLocked(key, counted.until);
    }
    return counted;
  }

  /** Takes back a failure `count` counted in the window starting at `windowStart`. */
  giveBack(address: string, windowStart: number): void {
    const window = { start: windowStart, ms: this.#limits.windowMs };
    // Off the request path; a give-back lost to a database error errs towards a lockout.
    giveBackAttempt(this.#db, counterKey(lockoutKey(address)), window).catch(() => {});
  }

  /** The lockouts this isolate knows of, for a serving isolate that starts late. */
  activeLockouts(now: number): Array<{ key: string; until: number }> {
    return this.#locked.active(now);
  }

  get tracked(): number {
    return this.#locked.tracked;
  }
}

const counterKey = (key: string) => `api-key-failures:${key}`;
