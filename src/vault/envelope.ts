/**
 * AES-256-GCM envelopes: nonce (12 random bytes) ‖ ciphertext ‖ tag. The
 * associated data binds an envelope to what it is, so it cannot be replayed
 * elsewhere; any failure to open is reported as one error, never garbage.
 */
export const NONCE_BYTES = 12;

export class EnvelopeError extends Error {
  constructor() {
    super("The envelope does not open with this key and associated data");
    this.name = "EnvelopeError";
  }
}

export async function seal(
  key: CryptoKey,
  plaintext: Uint8Array,
  aad: Uint8Array,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
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

export async function open(
  key: CryptoKey,
  envelope: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (envelope.length < NONCE_BYTES + 16) throw new EnvelopeError();
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: envelope.subarray(0, NONCE_BYTES) as BufferSource,
        additionalData: aad as BufferSource,
      },
      key,
      envelope.subarray(NONCE_BYTES) as BufferSource,
    );
    return new Uint8Array(plain);
  } catch {
    throw new EnvelopeError();
  }
}

export async function importAesKey(raw: Uint8Array, usages: KeyUsage[]): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, usages);
}
