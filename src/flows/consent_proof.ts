import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import { secretsEqual } from "./secret_compare.ts";
import { SXC_HASH_PATTERN } from "./sxc.ts";

/**
 * The popup's opener proof. The consent page posts a server-issued nonce to
 * `window.opener` (only to the app's registered origins); the SDK that opened
 * the popup answers with
 *
 *   base64url(HMAC-SHA256(key = sha256(sxc), "securix-consent-proof\n" + sessionId + "\n" + nonce + "\n" + origin))
 *
 * where `origin` is the opener's own origin. The key is the committed
 * `sxcHash` (as bytes), so the server checks the proof with what it already
 * stores; no new column, no reveal of `sxc` before confirmation. The proof is
 * not secret from whoever created the session (they know `sxcHash`): what
 * makes it mean "opened by the SDK on a registered origin" is the channel —
 * the browser delivers the nonce only to a registered origin, the consent
 * script accepts the answer only from `window.opener` at such an origin, and
 * the answer reaches the server through a CSRF-protected form bound to this
 * browser's cookie.
 */
export function consentProof(
  committedSxcHash: string,
  sessionId: string,
  nonce: string,
  origin: string,
): string {
  const key = decodeBase64urlIgnorePadding(committedSxcHash);
  const message = new TextEncoder().encode(
    `securix-consent-proof\n${sessionId}\n${nonce}\n${origin}`,
  );
  return encodeBase64urlNoPadding(hmac(SHA256, key, message));
}

export function verifyConsentProof(
  committedSxcHash: string,
  sessionId: string,
  nonce: string,
  origin: string,
  presented: string,
): boolean {
  if (!SXC_HASH_PATTERN.test(committedSxcHash) || !/^[A-Za-z0-9_-]{43}$/.test(presented)) {
    return false;
  }
  return secretsEqual(consentProof(committedSxcHash, sessionId, nonce, origin), presented);
}

/** How long a challenge stays valid: the user reads the page before pressing Continue. */
export const CHALLENGE_TTL_MS = 30 * 60 * 1000;

/**
 * A stateless, server-issued nonce: `<issuedAt>.<random>.<mac>`, the MAC over
 * the session and this browser's binding digest. Bound like that, a nonce
 * cannot be carried to another session or another browser, and the server
 * keeps no challenge rows.
 */
export function issueChallenge(
  key: Uint8Array,
  input: { sessionId: string; bindingHash: string; now: number; random: Uint8Array },
): string {
  const body = `${input.now}.${encodeBase64urlNoPadding(input.random)}`;
  return `${body}.${challengeMac(key, input.sessionId, input.bindingHash, body)}`;
}

export function verifyChallenge(
  key: Uint8Array,
  input: { sessionId: string; bindingHash: string; now: number; nonce: string },
): boolean {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/.exec(input.nonce);
  if (!match) return false;
  const issuedAt = Number(match[1]);
  if (issuedAt > input.now + 60_000 || input.now - issuedAt > CHALLENGE_TTL_MS) return false;
  const body = `${match[1]}.${match[2]}`;
  return secretsEqual(challengeMac(key, input.sessionId, input.bindingHash, body), match[3]);
}

function challengeMac(key: Uint8Array, sessionId: string, bindingHash: string, body: string) {
  const message = new TextEncoder().encode(
    `consent-challenge\n${sessionId}\n${bindingHash}\n${body}`,
  );
  return encodeBase64urlNoPadding(hmac(SHA256, key, message));
}
