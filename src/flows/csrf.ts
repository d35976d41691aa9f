import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { secretsEqual } from "./secret_compare.ts";

/**
 * Stateless CSRF tokens: HMAC of the browser binding and the form's purpose
 * under a key derived from the master key. A form posted from another site
 * has neither the binding cookie (SameSite=Lax) nor a matching token.
 */
export function csrfToken(key: Uint8Array, binding: string, purpose: string): string {
  const mac = hmac(SHA256, key, new TextEncoder().encode(`${purpose}\n${binding}`));
  return encodeBase64urlNoPadding(mac);
}

export function verifyCsrf(
  key: Uint8Array,
  binding: string,
  purpose: string,
  presented: string,
): boolean {
  return secretsEqual(csrfToken(key, binding, purpose), presented);
}
