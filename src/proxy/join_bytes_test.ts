import assert from "node:assert/strict";
import { joinBytes } from "./join_bytes.ts";

Deno.test("joinBytes: pieces in order, views of a larger buffer included, always a new array", () => {
  const backing = new Uint8Array([9, 1, 2, 9]);
  const only = new Uint8Array([5, 6]);
  assert.deepEqual(
    joinBytes([backing.subarray(1, 3), new Uint8Array(0), only]),
    new Uint8Array([1, 2, 5, 6]),
  );
  const copy = joinBytes([only]);
  assert.deepEqual(copy, only);
  copy[0] = 0;
  assert.equal(only[0], 5, "the one piece is not handed back");
  assert.deepEqual(joinBytes([]), new Uint8Array(0));
});
