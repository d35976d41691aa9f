import assert from "node:assert/strict";
import { operationMapFor } from "../providers/operation_maps.ts";
import type { Exchange } from "./exchange.ts";
import { exchangeBatch } from "./exchange_batch.ts";

function exchange(method: string, path: string, contentType: string | null): Exchange {
  const operations = operationMapFor("microsoft");
  return {
    method,
    path,
    operation: operations.resolve({ method, path, query: "" }),
    route: { provider: "microsoft", operations },
    requestHeaders: new Headers(contentType === null ? {} : { "content-type": contentType }),
  } as unknown as Exchange;
}

Deno.test("exchangeBatch: a call that is no batch is answered at once, its body unread", () => {
  let reads = 0;
  const ex = exchange("GET", "/v1.0/me/messages", null);
  const batch = exchangeBatch(ex, () => (reads++, Promise.resolve(null)), 1000);
  assert.equal(batch, undefined, "no promise: the filter stays synchronous");
  assert.equal(reads, 0);
});

Deno.test("exchangeBatch: a Graph $batch's body is read once and its calls kept on the Exchange", async () => {
  let reads = 0;
  const body = JSON.stringify({
    requests: [
      { id: "1", method: "GET", url: "/me/messages" },
      { id: "2", method: "DELETE", url: "/me/messages/AAA" },
    ],
  });
  const read = () => (reads++, Promise.resolve(new TextEncoder().encode(body)));
  const ex = exchange("POST", "/v1.0/$batch", "application/json");
  assert.deepEqual(await exchangeBatch(ex, read, 1000), { calls: 2, deletes: 1 });
  assert.deepEqual(await exchangeBatch(ex, read, 1000), { calls: 2, deletes: 1 });
  assert.equal(reads, 1);
  const large = exchange("POST", "/v1.0/$batch", "application/json");
  assert.equal(await exchangeBatch(large, () => Promise.resolve("too_large"), 10), null);
});
