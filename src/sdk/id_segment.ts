/**
 * Why `value` cannot stand as one path segment naming a resource, or null:
 * empty, or "." and "..", which encodeURIComponent keeps and URL parsing
 * would resolve to another route.
 */
export function idSegmentProblem(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0) return "id is empty";
  if (value === "." || value === "..") return `"${value}" is not an id`;
  return null;
}

/** `value` as one path segment; throws TypeError when it cannot name a resource. */
export function idSegment(value: string): string {
  const problem = idSegmentProblem(value);
  if (problem !== null) throw new TypeError(`Cannot call the Securix API: ${problem}`);
  return encodeURIComponent(value);
}
