import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";
import { secretsEqual } from "../flows/secret_compare.ts";

/** RFC 6238 as every authenticator app expects it: SHA-1, 30 s steps, 6 digits. */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;

export function newTotpKey(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Uint8Array {
  return random(new Uint8Array(20));
}

/** The `otpauth://` URI an authenticator app scans. */
export function totpUri(adminName: string, key: Uint8Array, issuer = "Securix"): string {
  return createTOTPKeyURI(issuer, adminName, key, TOTP_PERIOD_S, TOTP_DIGITS);
}

/** The time step a code for `now` belongs to. */
export function totpCounter(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_S);
}

/** The code for `now` (tests, and nothing else in the appliance). */
export function totpCode(key: Uint8Array, now: number): string {
  return generateHOTP(key, BigInt(totpCounter(now)), TOTP_DIGITS);
}

/**
 * The time step `code` matches — the current one or one either side, for
 * clock drift — or null. Steps at or before `lastCounter` are refused, so a
 * code seen over a shoulder or replayed is worth nothing.
 */
export function matchTotp(
  key: Uint8Array,
  code: string,
  now: number,
  lastCounter: number | null,
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const current = totpCounter(now);
  let matched: number | null = null;
  for (const counter of [current - 1, current, current + 1]) {
    // Every step is computed, so timing does not say which one matched.
    const ok = secretsEqual(generateHOTP(key, BigInt(counter), TOTP_DIGITS), code);
    if (ok && (lastCounter === null || counter > lastCounter)) matched = counter;
  }
  return matched;
}
