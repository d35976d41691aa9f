import { parseAddress } from "../config/trusted_proxies.ts";

export interface FailedKeyLimits {
  /** Failures within one window after which the address is locked out until the window ends. */
  maxFailures: number;
  windowMs: number;
  /** Addresses tracked at once; past it the one whose window started first is forgotten. */
  maxAddresses: number;
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
export class FailedKeyLimiter {
  readonly #limits: FailedKeyLimits;
  // Insertion order is window start order: a restarted window is re-inserted.
  readonly #windows = new Map<string, Window>();

  constructor(limits: FailedKeyLimits) {
    this.#limits = limits;
  }

  /** Seconds until `address` may try again, or null when it may try now. */
  retryAfterS(address: string, now: number): number | null {
    // Every request asks, nearly always with nothing tracked: no address parsing then.
    if (this.#windows.size === 0) return null;
    const window = this.#windows.get(lockoutKey(address));
    if (!window || window.failures < this.#limits.maxFailures) return null;
    const left = window.startedAt + this.#limits.windowMs - now;
    return left > 0 ? Math.ceil(left / 1000) : null;
  }

  fail(address: string, now: number): void {
    const key = lockoutKey(address);
    const window = this.#windows.get(key);
    if (window && window.startedAt + this.#limits.windowMs > now) {
      window.failures++;
      return;
    }
    this.#windows.delete(key);
    while (this.#windows.size >= this.#limits.maxAddresses) {
      this.#windows.delete(this.#windows.keys().next().value!);
    }
    this.#windows.set(key, { startedAt: now, failures: 1 });
  }

  get tracked(): number {
    return this.#windows.size;
  }
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
