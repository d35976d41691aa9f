/**
 * The warnings of a config load that the previous load did not give. A
 * reload (SIGHUP, the console) names only these: an operator who has seen a
 * warning at start, or at the last reload, is not told again at every reload,
 * and one that went away and came back is news again. In first-seen order,
 * each once.
 */
export function newWarnings(
  previous: readonly string[],
  current: readonly string[],
): string[] {
  const seen = new Set(previous);
  const out: string[] = [];
  for (const warning of current) {
    if (seen.has(warning)) continue;
    seen.add(warning);
    out.push(warning);
  }
  return out;
}
