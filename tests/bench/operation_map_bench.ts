/**
 * Micro-benchmark of operation resolution: `deno run tests/bench/operation_map_bench.ts`.
 * Prints µs per resolve for catalog maps and a synthetic 100-entry map; the
 * budget is well under 5 µs.
 */
import type { CallShape, OperationEntry } from "../../src/providers/operation.ts";
import { buildOperationMap } from "../../src/providers/operation_map.ts";
import { operationMapFor } from "../../src/providers/operation_maps.ts";

const ROUNDS = 200_000;

function bench(label: string, resolve: (call: CallShape) => unknown, calls: CallShape[]): void {
  for (let i = 0; i < 20_000; i++) resolve(calls[i % calls.length]);
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) resolve(calls[i % calls.length]);
  const us = ((performance.now() - start) * 1000) / ROUNDS;
  console.log(`${label.padEnd(44)} ${us.toFixed(3)} µs/resolve`);
}

const call = (method: string, path: string): CallShape => ({ method, path, query: "" });

const synthetic: OperationEntry[] = [];
for (let i = 0; i < 100; i++) {
  synthetic.push({
    method: ["GET", "POST", "PUT", "DELETE"][i % 4],
    path: `/api/v1/resource${i % 25}/{id}/sub${i}`,
    id: `bench.op${i}`,
    class: "read",
  });
}
const syntheticMap = buildOperationMap("bench", synthetic);
bench("synthetic, 100 entries (hit)", syntheticMap.resolve, [
  call("GET", "/api/v1/resource0/42/sub0"),
  call("DELETE", "/api/v1/resource23/42/sub99"),
]);
bench("synthetic, 100 entries (miss → unknown)", syntheticMap.resolve, [
  call("GET", "/api/v1/resource0/42/nope"),
]);

const gmail = operationMapFor("gmail");
bench(`gmail, ${gmail.entries.length} entries`, gmail.resolve, [
  call("GET", "/gmail/v1/users/me/messages"),
  call("GET", "/gmail/v1/users/me/messages/18c1f0a2b3c4d5e6"),
  call("POST", "/gmail/v1/users/me/messages/send"),
  call("POST", "/upload/gmail/v1/users/me/messages/%73end"),
]);

const microsoft = operationMapFor("microsoft");
bench(`microsoft, ${microsoft.entries.length} entries`, microsoft.resolve, [
  call("GET", "/v1.0/me/messages/AAMkAGI2THVSAAA="),
  call("PUT", "/v1.0/me/drive/root:/folder/sub/file.txt:/content"),
]);

const slack = operationMapFor("slack");
bench("slack (table and verb fallback)", slack.resolve, [
  call("POST", "/api/chat.postMessage"),
  call("POST", "/api/admin.conversations.archive"),
]);

const linear = operationMapFor("linear");
const body = new TextEncoder().encode(JSON.stringify({
  query: "mutation IssueCreate($t: String!) { issueCreate(input: {title: $t}) { success } }",
  variables: { t: "x" },
}));
bench(
  "linear resolveBody (small mutation)",
  (c) => linear.resolveBody!(c, body, "application/json"),
  [
    call("POST", "/graphql"),
  ],
);
