import { scrypt, timingSafeEqual } from "node:crypto";
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";

/** scrypt's cost parameters, stored with each hash. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * 32 MiB and about 0.2 s a check on a busy core: memory-hard enough that a stolen
 * database is slow to attack, cheap enough for a handful of console sign-ins.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const KEY_BYTES = 32;

function derive(password: string, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize("NFKC"),
      salt,
      KEY_BYTES,
      { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 },
      (error, key) => error ? reject(error) : resolve(new Uint8Array(key)),
    );
  });
}

/** `scrypt$N$r$p$<salt b64>$<hash b64>`: the parameters travel with the hash. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<string> {
  const salt = random(new Uint8Array(16));
  const hash = await derive(password, salt, params);
  return ["scrypt", params.N, params.r, params.p, encodeBase64(salt), encodeBase64(hash)].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || !salt || !hash) return false;
  const expected = decodeBase64(hash);
  const actual = await derive(password, decodeBase64(salt), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
