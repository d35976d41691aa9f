import { createHash, createHmac } from "node:crypto";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { secretsEqual } from "../flows/secret_compare.ts";

/** What every MCP grant starts with, so a leaked one is recognisable (secret scanners). */
export const GRANT_PREFIX = "sxmcp_";

/**
 * An MCP grant: `sxmcp_<grant id>.<32 random bytes, base32>.<HMAC-SHA256>`.
 * The random part makes it unguessable; the signature (a key derived from the
 * master key) lets a tampered or forged grant be refused before any database
 * read; the row it names holds only its SHA-256 digest, so a database leak
 * yields no usable URL, and revoking the row ends it.
 */
export function generateGrant(
  grantId: string,
  key: Uint8Array,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const body = `${grantId}.${encodeBase32LowerCaseNoPadding(random(new Uint8Array(32)))}`;
  return `${GRANT_PREFIX}${body}.${sign(key, body)}`;
}

/** Hex SHA-256 of the whole grant: what the database keeps. */
export function digestGrant(grant: string): string {
  return createHash("sha256").update(grant).digest("hex");
}

const SHAPE = /^sxmcp_(mcp_[a-z2-7]{16})\.([a-z2-7]{52})\.([a-f0-9]{64})$/;

/**
 * The grant id a well-formed grant with a valid signature names, else null.
 * Says nothing about whether it is still in force: that is the row's job.
 */
export function verifiedGrantId(grant: string, key: Uint8Array): string | null {
  const match = SHAPE.exec(grant);
  if (!match) return null;
  const [, id, secret, signature] = match;
  return secretsEqual(sign(key, `${id}.${secret}`), signature) ? id : null;
}

/** Whether `value` has the shape of a grant (to keep it out of logs and listings). */
export function looksLikeGrant(value: string): boolean {
  return SHAPE.test(value);
}

function sign(key: Uint8Array, body: string): string {
  return createHmac("sha256", key).update(body).digest("hex");
}
