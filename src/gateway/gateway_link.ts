import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

/**
 * The token in a gateway `authUrl` (`/connect/link/<token>`): 256 random bits,
 * stored only as this digest, claimed by the first browser that opens it.
 */
export function newLinkToken(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return encodeBase64urlNoPadding(random(new Uint8Array(32)));
}

export function hashLinkToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(`gateway-link:${token}`)));
}

/** Anything else in the path is not a token we issued; rejected before a database look-up. */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
