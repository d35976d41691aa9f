import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

export const API_KEY_PREFIX = "sx_live_";

/** `sx_live_` + 32 random bytes in base32 (52 characters): 256 bits of entropy. */
export function generateApiKey(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return API_KEY_PREFIX + encodeBase32LowerCaseNoPadding(random(new Uint8Array(32)));
}

/** Keys are stored and looked up by this digest only. */
export function digestApiKey(key: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(key)));
}

/** What listings show so an operator can tell keys apart: the prefix and 4 characters. */
export function keyHint(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 4) + "…";
}

export function looksLikeApiKey(value: string): boolean {
  return /^sx_live_[a-z2-7]{52}$/.test(value);
}
