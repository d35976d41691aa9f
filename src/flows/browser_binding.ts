import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase64urlNoPadding, encodeHexLowerCase } from "@oslojs/encoding";

/**
 * A random cookie that ties a consent (and its OAuth `state`) to the browser
 * that started it: a stolen consent link or state cannot be finished
 * elsewhere. Only its digest is stored.
 */
export function bindingCookieName(secure: boolean): string {
  return secure ? "__Host-securix-binding" : "securix-binding";
}

export function newBinding(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return encodeBase64urlNoPadding(random(new Uint8Array(32)));
}

export function hashBinding(binding: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(`binding:${binding}`)));
}
