import { lockoutKey } from "./key_lockout.ts";

/**
 * The lockouts one isolate already knows of, so a locked-out address is
 * refused with a map lookup and no round trip. Bounded: past `maxAddresses`
 * the oldest is forgotten, which costs that address one more round trip to
 * learn it again, never a lockout lifted early where the count is kept.
 */
export class LockedAddresses {
  // Lockout key → when its lockout ends; insertion order is arrival order.
  readonly #locked = new Map<string, number>();
  /** The latest end of a kept lockout: past it all have ended and the map is cleared. */
  #latestUntil = 0;
  readonly #maxAddresses: number;

  constructor(maxAddresses: number) {
    this.#maxAddresses = maxAddresses;
  }

  /** Seconds until `address` may try again as far as this isolate knows, or null. */
  retryAfterS(address: string, now: number): number | null {
    const until = this.lockedUntil(address, now);
    return until === null ? null : Math.ceil((until - now) / 1000);
  }

  /** When `address`'s lockout ends as far as this isolate knows, or null. */
  lockedUntil(address: string, now: number): number | null {
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
    return until;
  }

  /** An address (its `lockoutKey`) is locked out until `until`; true when this isolate did not know. */
  lock(key: string, until: number): boolean {
    const known = this.#locked.get(key) === until;
    this.#locked.delete(key);
    while (this.#locked.size >= this.#maxAddresses) {
      this.#locked.delete(this.#locked.keys().next().value!);
    }
    this.#locked.set(key, until);
    this.#latestUntil = Math.max(this.#latestUntil, until);
    return !known;
  }

  /** The lockouts in force at `now`, for a serving isolate that starts after they were told. */
  active(now: number): Array<{ key: string; until: number }> {
    return [...this.#locked].filter(([, until]) => until > now).map(([key, until]) => ({
      key,
      until,
    }));
  }

  get tracked(): number {
    return this.#locked.size;
  }
}
