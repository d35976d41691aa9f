import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { secretsEqual } from "./secret_compare.ts";

/** base64url(sha256(sxc)): what the browser commits to when the session is created. */
export function sxcHash(sxc: string): string {
  return encodeBase64urlNoPadding(sha256(new TextEncoder().encode(sxc)));
}

/** True when `sxc` is the reveal of the committed hash. */
export function verifySxc(sxc: string, committedHash: string): boolean {
  return secretsEqual(sxcHash(sxc), committedHash);
}

export const SXC_HASH_PATTERN = /^[A-Za-z0-9_-]{43}$/;
