import assert from "node:assert/strict";
import { encodeCursor } from "../connections/page_cursor.ts";
import { nextPageHref, readCursor, statusFilter } from "./list_query.ts";

Deno.test("readCursor: a cursor the list gave back, else the first page (no error page)", () => {
  const at = { createdAt: 1_700_000_000_000, id: "conn_abc" };
  assert.deepEqual(readCursor(encodeCursor(at)), at);
  for (const bad of [undefined, "", "garbage", "%%%", encodeCursor(at) + "!"]) {
    assert.equal(readCursor(bad), null, String(bad));
  }
});

Deno.test("nextPageHref: keeps the filters (escaped) and adds the cursor; null on the last page", () => {
  const at = { createdAt: 7, id: "ano_1" };
  assert.equal(nextPageHref("/console/anomalies", { status: "all" }, null), null);
  const href = nextPageHref("/console/connections", { app: "", entity: "a&b=c" }, at)!;
  assert.equal(href, `/console/connections?app=&entity=a%26b%3Dc&cursor=${encodeCursor(at)}`);
});

Deno.test("statusFilter: a known status or all; anything else falls back", () => {
  const statuses = ["active", "cleared"] as const;
  assert.equal(statusFilter(undefined, statuses, "active"), "active");
  assert.equal(statusFilter("cleared", statuses, "active"), "cleared");
  assert.equal(statusFilter("all", statuses, "active"), "all");
  assert.equal(statusFilter("<script>", statuses, "active"), "active");
  assert.equal(statusFilter("", statuses, "active"), "active");
});
