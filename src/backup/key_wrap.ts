import { scrypt } from "node:crypto";
import { z } from "zod";
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";
import { SecurixError } from "../errors/securix_error.ts";

/**
 * scrypt cost. N = 2^17, r = 8 takes 128 MiB and about a second: a stolen
 * backup file costs an attacker that much per passphrase guess.
 */
export interface KdfCost {
  n: number;
  r: number;
  p: number;
}

export const DEFAULT_KDF_COST: KdfCost = { n: 2 ** 17, r: 8, p: 1 };

/** A header may not make restore spend more than this (a crafted file as a memory bomb). */
const MAX_LOG2_N = 20;
/** 128 · N · r bytes of memory at most 256 MiB (twice the default cost). */
const MAX_N_TIMES_R = 2 ** 21;
/** Work at most four times the default cost. */
const MAX_WORK = 2 ** 22;

export const wrappedKeySchema = z.strictObject({
  kdf: z.literal("scrypt"),
  n: z.number().int().refine((n) => n >= 2 && n <= 2 ** MAX_LOG2_N && (n & (n - 1)) === 0, {
    error: "expected a power of two up to 2^20",
  }),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: z.string().min(1),
  iv: z.string().min(1),
  ciphertext: z.string().min(1),
}).refine((k) => k.n * k.r <= MAX_N_TIMES_R && k.n * k.r * k.p <= MAX_WORK, {
  // Memory is 128·N·r bytes and time N·r·p: each bound alone still allowed 4 GiB for minutes.
  error: "expected a scrypt cost of at most 256 MiB (N·r ≤ 2^21) and N·r·p ≤ 2^22",
});

export type WrappedKey = z.infer<typeof wrappedKeySchema>;

function deriveKek(passphrase: string, salt: Uint8Array, cost: KdfCost): Promise<Uint8Array> {
  // 128 * N * r bytes, plus headroom: node's default cap (32 MiB) is below the default cost.
  const maxmem = 256 * cost.n * cost.r + 16 * 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(
      passphrase,
      salt,
      32,
      { N: cost.n, r: cost.r, p: cost.p, maxmem },
      (error, key) => error ? reject(error) : resolve(new Uint8Array(key)),
    )
  );
}

async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  return await crypto.subtle.importKey("raw", raw as BufferSource, "AES-GCM", false, [
    "encrypt",
    "decrypt",
  ]);
}

/** Binds the wrapped key to the fingerprint the header names: one cannot be swapped for another. */
const aad = (fingerprint: string) =>
  new TextEncoder().encode(`securix-backup-key:v1:${fingerprint}`);

/** The master key sealed (AES-256-GCM) under a key scrypt derives from the passphrase. */
export async function wrapMasterKey(
  masterKey: Uint8Array,
  passphrase: string,
  fingerprint: string,
  cost: KdfCost = DEFAULT_KDF_COST,
): Promise<WrappedKey> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const kek = await aesKey(await deriveKek(passphrase, salt, cost));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(fingerprint) },
    kek,
    masterKey as BufferSource,
  );
  return {
    kdf: "scrypt",
    ...cost,
    salt: encodeBase64(salt),
    iv: encodeBase64(iv),
    ciphertext: encodeBase64(new Uint8Array(sealed)),
  };
}

/** The master key, or SX-BACKUP-PASSPHRASE when the passphrase (or the header) is wrong. */
export async function unwrapMasterKey(
  wrapped: WrappedKey,
  passphrase: string,
  fingerprint: string,
): Promise<Uint8Array> {
  const kek = await aesKey(await deriveKek(passphrase, decodeBase64(wrapped.salt), wrapped));
  try {
    const raw = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: decodeBase64(wrapped.iv) as BufferSource,
        additionalData: aad(fingerprint),
      },
      kek,
      decodeBase64(wrapped.ciphertext) as BufferSource,
    );
    return new Uint8Array(raw);
  } catch (error) {
    throw new SecurixError(
      "SX-BACKUP-PASSPHRASE",
      "The passphrase does not unwrap the master key included in this backup",
      { cause: error },
    );
  }
}

const MIN_PASSPHRASE = 12;

/**
 * The passphrase from a file (never an argument: it would show in `ps` and
 * shell history). One trailing newline is the editor's, not the passphrase's.
 */
export async function readPassphraseFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new SecurixError(
      "SX-BACKUP-PASSPHRASE",
      `Cannot read the passphrase file ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const passphrase = text.replace(/\r?\n$/, "");
  if ([...passphrase].length < MIN_PASSPHRASE) {
    throw new SecurixError(
      "SX-BACKUP-PASSPHRASE",
      `The passphrase in ${path} is shorter than ${MIN_PASSPHRASE} characters`,
    );
  }
  return passphrase;
}
