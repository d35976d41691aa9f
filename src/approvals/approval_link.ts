import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { secretsEqual } from "../flows/secret_compare.ts";
import type { Decision } from "./approval_types.ts";

/** A link token: 256 random bits, shown once in the webhook, stored as its digest. */
export function newLinkToken(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return encodeBase64urlNoPadding(random(new Uint8Array(32)));
}

export function digestLinkToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

/** The approval page on the public listener; the token rides in the query, never in a log. */
export function approvalLink(publicUrl: string, id: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/approvals/${id}?t=${token}`;
}

/**
 * Which link a presented token is (null: neither). Both digests are
 * compared, in constant time, whatever the first answer.
 */
export function linkKind(
  digests: { approveDigest: string; denyDigest: string },
  token: string,
): Decision | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const digest = digestLinkToken(token);
  const approve = secretsEqual(digest, digests.approveDigest);
  const deny = secretsEqual(digest, digests.denyDigest);
  return approve ? "approve" : deny ? "deny" : null;
}
