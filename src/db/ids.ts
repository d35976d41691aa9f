import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

/** Random, prefixed ids (`app_…`, `key_…`): 80 bits, unguessable and readable. */
export function newId(
  prefix: string,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return `${prefix}_${encodeBase32LowerCaseNoPadding(random(new Uint8Array(10)))}`;
}
