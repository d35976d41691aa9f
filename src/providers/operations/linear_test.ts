import assert from "node:assert/strict";
import { operationMapFor } from "../operation_maps.ts";
import { assertCases } from "./test_cases.ts";

Deno.test("linear: the operation comes from the body", () => {
  const map = operationMapFor("linear");
  const call = { method: "POST", path: "/graphql", query: "" };
  assert.equal(map.peekBytes, 64 * 1024);
  assert.equal(map.wantsBody?.(call), true);
  const body = (query: string) => new TextEncoder().encode(JSON.stringify({ query }));
  assert.deepEqual(
    map.resolveBody?.(
      call,
      body('mutation { issueCreate(input: {title: "t"}) { success } }'),
      "application/json",
    ),
    { id: "linear.mutation.issueCreate", class: "write" },
  );
  assert.deepEqual(
    map.resolveBody?.(call, body("mutation { issueDelete(id: 1) { success } }"), null),
    { id: "linear.mutation.issueDelete", class: "delete" },
  );
  assert.deepEqual(map.resolveBody?.(call, new Uint8Array(0), null), {
    id: "linear.graphql",
    class: "write",
    multiplexed: true,
  });
  assertCases("linear", [
    ["POST", "/graphql", "linear.graphql", "write", true],
    ["POST", "/rest/issues", "linear.unknown", "write"],
  ]);
});
