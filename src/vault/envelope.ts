import { decryptFailed } from "./vault_error.ts";

/**
 * AES-256-GCM envelopes: nonce (12 random bytes) ‖ ciphertext ‖ tag (16). The
 * associated data binds an envelope to what it is, so it cannot be replayed
 * elsewhere; any failure to open is one typed error (SX-VAULT-DECRYPT), never
 * garbage.
 */
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Fills a buffer with random bytes; injectable so tests can pin nonces. */
export type RandomFill = (bytes: Uint8Array) => Uint8Array;

const secureRandom: RandomFill = (bytes) => crypto.getRandomValues(bytes);

export async function seal(
  key: CryptoKey,
  plaintext: Uint8Array,
  aad: Uint8Array,
  random: RandomFill = secureRandom,
): Promise<Uint8Array> {
  const nonce = random(new Uint8Array(NONCE_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce as BufferSource, additionalData: aad as BufferSource },
    key,
    plaintext as BufferSource,
  );
  const out = new Uint8Array(NONCE_BYTES + sealed.byteLength);
  out.set(nonce);
  out.set(new Uint8Array(sealed), NONCE_BYTES);
  return out;
}

/** Opens an envelope; throws VaultError SX-VAULT-DECRYPT (record id unknown here). */
export async function open(
  key: CryptoKey,
  envelope: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (envelope.length < NONCE_BYTES + TAG_BYTES) {
    throw decryptFailed(null, `${envelope.length} bytes is too short to be an envelope`);
  }
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: envelope.subarray(0, NONCE_BYTES) as BufferSource,
        additionalData: aad as BufferSource,
        tagLength: TAG_BYTES * 8,
      },
      key,
      envelope.subarray(NONCE_BYTES) as BufferSource,
    );
    return new Uint8Array(plain);
  } catch (error) {
    // WebCrypto says only "OperationError": tag, key and AAD mismatches look alike.
    throw decryptFailed(null, undefined, error);
  }
}

/** Imports 32 raw bytes as a non-extractable AES-256-GCM key. */
export async function importAesKey(raw: Uint8Array, usages: KeyUsage[]): Promise<CryptoKey> {
  if (raw.length !== 32) throw new RangeError(`AES-256 needs 32 key bytes, got ${raw.length}`);
  return await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, usages);
}
