import { createHash } from "node:crypto";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

export const API_KEY_PREFIX = "sx_live_";

/** `sx_live_` + 32 random bytes in base32 (52 characters): 256 bits of entropy. */
export function generateApiKey(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return API_KEY_PREFIX + encodeBase32LowerCaseNoPadding(random(new Uint8Array(32)));
}

/**
 * Keys are stored and looked up by this digest only (hex SHA-256). Every
 * proxied request computes it, so it uses the runtime's native hash: the
 * pure-JS one cost about 5 µs a request.
 */
export function digestApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** What listings show so an operator can tell keys apart: the prefix and 4 characters. */
export function keyHint(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 4) + "…";
}

export function looksLikeApiKey(value: string): boolean {
  return /^sx_live_[a-z2-7]{52}$/.test(value);
}
