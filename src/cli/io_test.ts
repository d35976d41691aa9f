import assert from "node:assert/strict";
import { columnHeader, printTable } from "./io.ts";

Deno.test("printTable: camelCase keys become readable one-word headers (CREATED_AT, not CREATEDAT)", () => {
  assert.equal(columnHeader("createdAt"), "CREATED_AT");
  assert.equal(columnHeader("lastSignInAt"), "LAST_SIGN_IN_AT");
  assert.equal(columnHeader("approvalsViaApi"), "APPROVALS_VIA_API");
  assert.equal(columnHeader("id"), "ID");
  const out: string[] = [];
  printTable(
    { out: (line: string) => out.push(line) } as unknown as Parameters<typeof printTable>[0],
    [{ id: "key_1", lastUsedAt: null }],
    ["id", "lastUsedAt"],
    "none",
  );
  assert.deepEqual(out, ["ID     LAST_USED_AT", "key_1  -"]);
});
