import type { Config } from "../config/load.ts";
import { parseAddress } from "../config/trusted_proxies.ts";

export interface FailedKeyLimits {
  /** Failures within one window after which the address is locked out until the window ends. */
  maxFailures: number;
  /** From the first failure of a window. */
  windowMs: number;
  /** Lockouts each isolate keeps at hand (oldest forgotten first). */
  maxAddresses: number;
}

/** `[auth_lockout]` as the lockout counts it. */
export function failedKeyLimits(lockout: Config["auth_lockout"]): FailedKeyLimits {
  return {
    maxFailures: lockout.max_failures,
    windowMs: lockout.window_s * 1000,
    maxAddresses: lockout.max_addresses,
  };
}

/**
 * A key check's reservation: refused (the address is locked out, nothing
 * counted) with the seconds to wait, or counted as a failure, which a check
 * that then passed gives back.
 */
export type KeyReservation =
  | { lockedForS: number }
  | { lockedForS: null; giveBack: () => void };

/**
 * The failed-key lockout as the key check sees it: a synchronous look before
 * anything else (what this isolate knows; no round trip, so a good cached key
 * never waits), and a reservation taken before any key that is not known good
 * is looked up, so concurrent guesses, wherever they arrive, never check more
 * keys than the limit.
 */
export interface KeyLockout {
  retryAfterS(address: string, now: number): number | null;
  reserve(address: string, now: number): Promise<KeyReservation>;
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
