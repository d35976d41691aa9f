import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";

/**
 * What a retry must repeat exactly: method, path, query and body, hashed
 * with their lengths so no two different calls share an input.
 */
export function requestHash(
  method: string,
  path: string,
  query: string,
  body: Uint8Array | null,
): string {
  const head = new TextEncoder().encode(
    `${method.toUpperCase()}\n${path.length}:${path}\n${query.length}:${query}\n${
      body === null ? "-" : body.length
    }\n`,
  );
  const input = new Uint8Array(head.length + (body?.length ?? 0));
  input.set(head);
  if (body) input.set(body, head.length);
  return encodeHexLowerCase(sha256(input));
}
