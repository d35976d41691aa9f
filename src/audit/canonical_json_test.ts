import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";

/** The definition, written the slow and obvious way. */
function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
}

Deno.test("canonicalJson: sorted keys at every level, whichever path it takes", () => {
  const values: unknown[] = [
    { a: 1, b: "x", c: null, d: true },
    { b: 1, a: 2 },
    { a: 1, b: undefined, c: 3 },
    { a: { z: 1, y: 2 }, b: [3, { d: 1, c: 2 }] },
    { "é": 1, e: 2, "\n": 3, E: 4 },
    { a: -0, b: 1e21, c: NaN, d: 0.1 + 0.2 },
    { bytesIn: 0, bytesOut: 15, decision: "allow", durationMs: 3, host: "h", method: "GET" },
    [{ b: 1, a: 1 }, null, "s"],
    "plain",
    42,
    {},
  ];
  for (const value of values) assert.equal(canonicalJson(value), reference(value));
});
