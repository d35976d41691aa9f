import { type KeyLockout, lockoutKey } from "./failed_key_limiter.ts";

/**
 * A serving isolate's side of the failed-key lockout when another isolate
 * counts (the main one's FailedKeyLimiter, reached by message): failures are
 * reported there, so `max_failures` holds for the process, not per isolate;
 * the lockouts it announces are kept here, so the check before a key is read
 * stays a map lookup and a locked-out address is refused at once.
 */
export class ReportedKeyLockout implements KeyLockout {
  // Lockout key → when its lockout ends; insertion order is arrival order.
  readonly #locked = new Map<string, number>();
  /** The latest end of a kept lockout: past it all have ended and the map is cleared. */
  #latestUntil = 0;
  readonly #report: (address: string) => Promise<number | null>;
  readonly #maxAddresses: number;

  /**
   * `report` counts a failure where the count is kept and resolves to the
   * end of the address's lockout when it was locked out already, else null.
   */
  constructor(deps: {
    report: (address: string) => Promise<number | null>;
    /** Lockouts kept at once (oldest forgotten first), as `auth_lockout.max_addresses`. */
    maxAddresses: number;
  }) {
    this.#report = deps.report;
    this.#maxAddresses = deps.maxAddresses;
  }

  retryAfterS(address: string, now: number): number | null {
    // Every request asks, nearly always with nothing locked: no address parsing then.
    if (this.#locked.size === 0) return null;
    // Ended lockouts are otherwise only dropped when their address comes back.
    if (this.#latestUntil <= now) {
      this.#locked.clear();
      return null;
    }
    const key = lockoutKey(address);
    const until = this.#locked.get(key);
    if (until === undefined) return null;
    if (until <= now) {
      this.#locked.delete(key);
      return null;
    }
    return Math.ceil((until - now) / 1000);
  }

  async fail(address: string, now: number): Promise<number | null> {
    let until: number | null;
    try {
      until = await this.#report(address);
    } catch {
      // The count is out of reach (the process is stopping): this key was refused anyway.
      return null;
    }
    if (until === null || until <= now) return null;
    this.lock(lockoutKey(address), until);
    return Math.ceil((until - now) / 1000);
  }

  /** An address (its `lockoutKey`) is locked out until `until`, as the counting isolate says. */
  lock(key: string, until: number): void {
    this.#locked.delete(key);
    while (this.#locked.size >= this.#maxAddresses) {
      this.#locked.delete(this.#locked.keys().next().value!);
    }
    this.#locked.set(key, until);
    this.#latestUntil = Math.max(this.#latestUntil, until);
  }

  get tracked(): number {
    return this.#locked.size;
  }
}
