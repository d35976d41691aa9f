import { constantTimeEqual } from "@oslojs/crypto/subtle";

/** Constant-time comparison of two strings (e.g. digests), whatever their content. */
export function secretsEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  return x.length === y.length && constantTimeEqual(x, y);
}
