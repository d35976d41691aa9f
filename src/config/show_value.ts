/**
 * A config value as an error message names it: strings quoted, tables and
 * lists by kind (their content may be long or secret), a missing one as
 * "nothing".
 */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "nothing";
  if (typeof value === "object" && value !== null) {
    return Array.isArray(value) ? "a list" : "a table";
  }
  return String(value);
}
