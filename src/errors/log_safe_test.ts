import assert from "node:assert/strict";
import { logSafeError } from "./log_safe.ts";
import { SecurixError } from "./securix_error.ts";

const TOKEN = "ya29.a0AfB_byC4x9QmZ3kLrT7vW2nP5sD8fG1hJ6";

Deno.test("logSafeError: a header error quoting a bearer token does not log it", () => {
  let thrown: unknown;
  try {
    new Headers().set("authorization", `Bearer ${TOKEN}\r\nx: y`);
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof Error);
  const line = logSafeError(thrown);
  assert.doesNotMatch(line, /a0AfB_byC4x9QmZ3kLrT7vW2nP5sD8fG1hJ6/);
  assert.match(line, /TypeError/);
});

Deno.test("logSafeError: a failed query logs the database's reason, not its bound values", () => {
  const error = new Error(
    `Failed query: select * from api_keys where digest = ? params: ${TOKEN}`,
    {
      cause: new Error("SQLITE_BUSY: database is locked"),
    },
  );
  error.name = "DrizzleQueryError";
  assert.equal(logSafeError(error), "database: SQLITE_BUSY: database is locked");
});

Deno.test("logSafeError: our own errors keep code and message", () => {
  const line = logSafeError(new SecurixError("SX-UNAVAILABLE", "try again"));
  assert.equal(line, "SX-UNAVAILABLE: try again");
});
