import { encodeHexLowerCase } from "@oslojs/encoding";
import { deriveSubkey } from "../vault/derive.ts";

/**
 * Its own HKDF label (see vault/derive.ts): the fingerprint is printed and
 * stored in backup headers, so it must reveal nothing about the page key or
 * the key-wrapping key.
 */
const FINGERPRINT_LABEL = "securix/v1/backup-key-fingerprint";

/** A short public id of a master key (16 hex characters): which key a backup needs, never the key. */
export async function keyFingerprint(masterKey: Uint8Array): Promise<string> {
  const bits = await deriveSubkey(masterKey, FINGERPRINT_LABEL);
  return encodeHexLowerCase(bits.slice(0, 8));
}
