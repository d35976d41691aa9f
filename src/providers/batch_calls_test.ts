import assert from "node:assert/strict";
import { countBatch, isCountedBatch } from "./batch_calls.ts";

const enc = new TextEncoder();

Deno.test("countBatch: Dropbox delete_batch and Gmail batchDelete count every listed item", () => {
  assert.ok(isCountedBatch("dropbox.files.delete_batch"));
  const entries = JSON.stringify({ entries: [{ path: "/a" }, { path: "/b" }, { path: "/c" }] });
  assert.deepEqual(
    countBatch(
      "dropbox.files.delete_batch",
      "/2/files/delete_batch",
      enc.encode(entries),
      null,
      undefined,
    ),
    { calls: 1, deletes: 3 },
  );
  const ids = JSON.stringify({ ids: ["1", "2"] });
  assert.deepEqual(
    countBatch("gmail.users.messages.batchDelete", "/x", enc.encode(ids), null, undefined),
    { calls: 1, deletes: 2 },
  );
  // Not the list it should name: cannot be counted.
  assert.equal(
    countBatch("dropbox.files.delete_batch", "/x", enc.encode("{}"), null, undefined),
    null,
  );
  assert.equal(
    countBatch("dropbox.files.delete_batch", "/x", enc.encode("{"), null, undefined),
    null,
  );
});

Deno.test("countBatch: Graph $batch and Google /batch calls, classed by method without a map", () => {
  const graph = JSON.stringify({
    requests: [
      { id: "1", method: "DELETE", url: "/me/messages/1" },
      { id: "2", method: "GET", url: "me/messages" },
      { id: "3", method: "delete", url: "https://graph.microsoft.com/v1.0/me/events/2" },
    ],
  });
  assert.deepEqual(
    countBatch("microsoft.batch", "/v1.0/$batch", enc.encode(graph), "application/json", undefined),
    { calls: 3, deletes: 2 },
  );
  const body = "--b\r\nContent-Type: application/http\r\n\r\nDELETE /drive/v3/files/1\r\n\r\n" +
    "--b\r\nContent-Type: application/http\r\n\r\nPOST /drive/v3/files/2\r\nX-HTTP-Method-Override: DELETE\r\n\r\n" +
    "--b\r\nContent-Type: application/http\r\n\r\nGET /drive/v3/files/3\r\n\r\n--b--\r\n";
  assert.deepEqual(
    countBatch(
      "drive.batch",
      "/batch/drive/v3",
      enc.encode(body),
      "multipart/mixed; boundary=b",
      undefined,
    ),
    { calls: 3, deletes: 2 },
  );
  assert.equal(
    countBatch("drive.batch", "/batch", enc.encode("{}"), "application/json", undefined),
    null,
  );
});
