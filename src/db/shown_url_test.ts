import assert from "node:assert/strict";
import { shownDatabaseUrl, withoutAuthToken } from "./shown_url.ts";

Deno.test("shownDatabaseUrl: the query and fragment, where an authToken may ride, are left out", () => {
  assert.equal(shownDatabaseUrl("libsql://db.example?authToken=s3cret"), "libsql://db.example");
  assert.equal(
    shownDatabaseUrl("file:/var/lib/securix/securix.db"),
    "file:/var/lib/securix/securix.db",
  );
});

Deno.test("shownDatabaseUrl leaves out user:password@; withoutAuthToken cuts the token wherever a driver repeats it", () => {
  assert.equal(shownDatabaseUrl("libsql://me:pw@db.example/x"), "libsql://db.example/x");
  const message =
    "fetch failed for 'https://db.example/v2?authToken=s3cret&x=1' (authToken=s3cret)";
  assert.ok(!withoutAuthToken(message).includes("s3cret"), withoutAuthToken(message));
});
