/**
 * Headers as `[name, value]` pairs, the form the proxy passes between the
 * caller's request, the transport and the answer: building a `Headers`
 * object (and iterating it again) costs several µs a request, pairs cost an
 * array. Names from the caller are lower case; a provider's keep their case.
 */
export type HeaderPairs = [string, string][];

/**
 * The value of `name` (lower case) as `Headers.get` gives it: every field of
 * that name, compared without regard to case, joined by ", "; null when absent.
 */
export function pairValue(
  pairs: readonly (readonly [string, string])[],
  name: string,
): string | null {
  let value: string | null = null;
  for (const [n, v] of pairs) {
    if (n === name || n.toLowerCase() === name) value = value === null ? v : `${value}, ${v}`;
  }
  return value;
}

/** Replaces every `name` (lower case) field by one with `value`, as `Headers.set` does. */
export function setPair(pairs: HeaderPairs, name: string, value: string): void {
  removePairs(pairs, name);
  pairs.push([name, value]);
}

/** Drops every `name` (lower case) field, as `Headers.delete` does. */
export function removePairs(pairs: HeaderPairs, name: string): void {
  for (let i = pairs.length - 1; i >= 0; i--) {
    const n = pairs[i][0];
    if (n === name || n.toLowerCase() === name) pairs.splice(i, 1);
  }
}
