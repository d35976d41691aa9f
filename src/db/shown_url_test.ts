import assert from "node:assert/strict";
import { shownDatabaseUrl } from "./shown_url.ts";

Deno.test("shownDatabaseUrl: the query and fragment, where an authToken may ride, are left out", () => {
  assert.equal(shownDatabaseUrl("libsql://db.example?authToken=s3cret"), "libsql://db.example");
  assert.equal(
    shownDatabaseUrl("file:/var/lib/securix/securix.db"),
    "file:/var/lib/securix/securix.db",
  );
});
