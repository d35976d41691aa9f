import type { Config } from "../config/load.ts";
import { parseAddress } from "../config/trusted_proxies.ts";

export interface FailedKeyLimits {
  /** Failures within one window after which the address is locked out until the window ends. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at once; past it the one whose window started first is forgotten. */
  maxAddresses: number;
}

/** `[auth_lockout]` as the limiter counts it. */
export function failedKeyLimits(lockout: Config["auth_lockout"]): FailedKeyLimits {
  return {
    maxFailures: lockout.max_failures,
    windowMs: lockout.window_s * 1000,
    maxAddresses: lockout.max_addresses,
  };
}

/**
 * The failed-key lockout as the key check sees it: a synchronous look before
 * the key is read (no round trip on the hot path), and a report after a key
 * was refused. `fail` answers the seconds to wait when the address turned out
 * to be locked out already (failures counted elsewhere), else null.
 */
export interface KeyLockout {
  retryAfterS(address: string, now: number): number | null;
  fail(address: string, now: number): number | null | Promise<number | null>;
}

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Failed API key checks per client address, in fixed windows. Checked before
 * the key digest is looked up, so a locked-out address costs no database
 * read. Memory is bounded by `maxAddresses`; forgetting the oldest window
 * lets a very wide flood shorten lockouts, never grow the process.
 */
export class FailedKeyLimiter implements KeyLockout {
  readonly #limits: FailedKeyLimits;
  // Insertion order is window start order: a restarted window is re-inserted.
  readonly #windows = new Map<string, Window>();
  readonly #onLocked: (key: string, until: number) => void;

  /**
   * `onLocked`: an address (its `lockoutKey`) just reached `maxFailures` and
   * is locked out until `until`, e.g. to tell the other serving isolates.
   */
  constructor(limits: FailedKeyLimits, onLocked?: (key: string, until: number) => void) {
    this.#limits = limits;
    this.#onLocked = onLocked ?? (() => {});
  }

  /** Seconds until `address` may try again, or null when it may try now. */
  retryAfterS(address: string, now: number): number | null {
    // Every request asks, nearly always with nothing tracked: no address parsing then.
    if (this.#windows.size === 0) return null;
    return secondsUntil(this.#lockedUntil(this.#windows.get(lockoutKey(address)), now), now);
  }

  /**
   * Counts a failure from `address`. One already locked out (its check raced
   * other failures) is not counted: the seconds it must wait are returned.
   */
  fail(address: string, now: number): number | null {
    return secondsUntil(this.count(address, now), now);
  }

  /** `fail`, answering when the lockout ends instead (for an isolate that keeps its own copy). */
  count(address: string, now: number): number | null {
    const key = lockoutKey(address);
    const window = this.#windows.get(key);
    if (window && window.startedAt + this.#limits.windowMs > now) {
      const until = this.#lockedUntil(window, now);
      if (until !== null) return until;
      if (++window.failures === this.#limits.maxFailures) {
        this.#onLocked(key, window.startedAt + this.#limits.windowMs);
      }
      return null;
    }
    this.#windows.delete(key);
    while (this.#windows.size >= this.#limits.maxAddresses) {
      this.#windows.delete(this.#windows.keys().next().value!);
    }
    this.#windows.set(key, { startedAt: now, failures: 1 });
    if (this.#limits.maxFailures === 1) this.#onLocked(key, now + this.#limits.windowMs);
    return null;
  }

  /**
   * Takes back one failure counted for `address` in its current window (one
   * counted ahead of a check that then passed). Nothing when the window ended.
   */
  forgive(address: string, now: number): void {
    const window = this.#windows.get(lockoutKey(address));
    if (window && window.failures > 0 && window.startedAt + this.#limits.windowMs > now) {
      window.failures--;
    }
  }

  #lockedUntil(window: Window | undefined, now: number): number | null {
    if (!window || window.failures < this.#limits.maxFailures) return null;
    const until = window.startedAt + this.#limits.windowMs;
    return until > now ? until : null;
  }

  /**
   * The lockouts in force at `now`, as `onLocked` announced them: for a
   * serving isolate that started after (or while) they were announced.
   */
  activeLockouts(now: number): Array<{ key: string; until: number }> {
    const active: Array<{ key: string; until: number }> = [];
    for (const [key, window] of this.#windows) {
      const until = this.#lockedUntil(window, now);
      if (until !== null) active.push({ key, until });
    }
    return active;
  }

  get tracked(): number {
    return this.#windows.size;
  }
}

function secondsUntil(until: number | null, now: number): number | null {
  return until === null ? null : Math.ceil((until - now) / 1000);
}

/**
 * What one lockout counts against: the address, except that an IPv6 client
 * usually holds a whole /64 and could otherwise walk through it.
 */
export function lockoutKey(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed) return address;
  if (parsed.kind() === "ipv4") return parsed.toString();
  const bytes = parsed.toByteArray().slice(0, 8);
  return `${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}/64`;
}
