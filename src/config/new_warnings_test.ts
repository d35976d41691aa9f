import assert from "node:assert/strict";
import { newWarnings } from "./new_warnings.ts";

Deno.test("new warnings: only those the previous load did not give, each once, in order", () => {
  assert.deepEqual(newWarnings([], ["a", "b"]), ["a", "b"], "nothing before: all of them");
  assert.deepEqual(newWarnings(["a", "b"], ["a", "b"]), [], "the same again: none");
  assert.deepEqual(newWarnings(["a"], ["b", "a", "c", "b"]), ["b", "c"]);
  assert.deepEqual(newWarnings(["a", "b"], []), []);
  // Gone at one load and back at the next: new again compared to the one before it.
  assert.deepEqual(newWarnings([], ["a"]), ["a"]);
});
