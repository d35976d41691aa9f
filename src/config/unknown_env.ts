/**
 * SECURIX_* variables the appliance reads itself, beside the
 * SECURIX_<SECTION>_<KEY> overrides: where the config is, the master key
 * variable `init` suggests, and the SDK's variables, which often share the
 * appliance's environment in development.
 */
export const OWN_ENV_NAMES = [
  "SECURIX_CONFIG",
  "SECURIX_MASTER_KEY",
  "SECURIX_URL",
  "SECURIX_API_KEY",
] as const;

/** Every `env:NAME` reference in the raw config: variables the operator chose to name. */
export function referencedEnvNames(raw: unknown): string[] {
  if (typeof raw === "string") {
    const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(raw);
    return match ? [match[1]] : [];
  }
  if (raw && typeof raw === "object") return Object.values(raw).flatMap(referencedEnvNames);
  return [];
}

/**
 * One warning per SECURIX_* variable that is no setting, naming the closest
 * known one: a typo in an override is otherwise silently ignored.
 */
export function unknownEnvWarnings(present: Iterable<string>, known: Iterable<string>): string[] {
  const knownSet = new Set(known);
  const warnings: string[] = [];
  for (const name of [...new Set(present)].sort()) {
    if (!name.startsWith("SECURIX_") || knownSet.has(name)) continue;
    const guess = closest(name, knownSet);
    warnings.push(
      `Warning: ${name} is not a setting and is ignored${
        guess ? ` — did you mean ${guess}?` : "; settings are SECURIX_<SECTION>_<KEY>"
      }`,
    );
  }
  return warnings;
}

function closest(name: string, known: Set<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Beyond a few edits a suggestion is more confusing than none.
  const limit = Math.max(2, Math.floor(name.length / 4));
  return bestDistance <= limit ? best : null;
}

/** Levenshtein distance, two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j] + 1,
        row[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length];
}
