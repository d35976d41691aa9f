/** JSON with object keys sorted at every level: one byte string per value, for hashing. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  // A proxied request's record is flat with its keys written in order: then
  // JSON.stringify already is canonical, at a fraction of the cost.
  if (isFlatAndSorted(object, keys)) return JSON.stringify(object);
  let out = "";
  for (const key of keys.sort()) {
    const item = object[key];
    if (item === undefined) continue;
    out += `${out ? "," : ""}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `{${out}}`;
}

const PLAIN = new Set(["string", "number", "boolean", "undefined"]);

function isFlatAndSorted(object: Record<string, unknown>, keys: string[]): boolean {
  for (let i = 0; i < keys.length; i++) {
    if (i > 0 && !(keys[i - 1] < keys[i])) return false;
    const item = object[keys[i]];
    if (item !== null && !PLAIN.has(typeof item)) return false;
  }
  return true;
}
