import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";

/**
 * Device codes: 8 characters, shown as ABCD-2345. The alphabet leaves out
 * vowels (no words), and 0/O and 1/I which people misread: 28 symbols, so a
 * code carries ~38 bits and lives 10 minutes behind attempt limits.
 */
export const DEVICE_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789";

export function generateDeviceCode(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const out: string[] = [];
  const n = DEVICE_CODE_ALPHABET.length;
  const limit = 256 - (256 % n); // rejection sampling keeps the symbols uniform
  while (out.length < 8) {
    for (const byte of random(new Uint8Array(16))) {
      if (byte < limit && out.length < 8) out.push(DEVICE_CODE_ALPHABET[byte % n]);
    }
  }
  return `${out.slice(0, 4).join("")}-${out.slice(4).join("")}`;
}

/** Upper-cases and drops spaces and hyphens: `abcd 2345`, `ABCD2345` all match. */
export function normalizeDeviceCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, "");
  if (code.length !== 8) return null;
  for (const ch of code) if (!DEVICE_CODE_ALPHABET.includes(ch)) return null;
  return code;
}

/** Codes are stored only as this digest. */
export function hashDeviceCode(normalized: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(`device-code:${normalized}`)));
}

/**
 * The failure reason (poll, webhooks, return_url) of a session whose valid code
 * was entered in other browsers than the one it is bound to too many times,
 * and its stable code.
 */
export const DEVICE_CODE_ATTEMPTS = {
  reason: "device_code_attempts",
  code: "SX-DEVICE-CODE-ATTEMPTS",
} as const;
