import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openDatabase } from "../db/client.ts";
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

Deno.test("logSafeError: a real failed query through drizzle logs the reason, not the email it bound", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-logsafe-" });
  const database = await openDatabase({ url: `file:${dir}/t.db`, create: true });
  try {
    await database.client.execute("CREATE TABLE people (email TEXT PRIMARY KEY)");
    await database.db.run(sql`INSERT INTO people VALUES (${"alice@example.com"})`);
    let thrown: unknown;
    await database.db.run(sql`INSERT INTO people VALUES (${"alice@example.com"})`)
      .catch((error) => thrown = error);
    assert.ok(thrown instanceof Error);
    assert.match(thrown.message, /alice@example\.com/, "drizzle's message carries the value");
    const line = logSafeError(thrown);
    assert.doesNotMatch(line, /alice/);
    assert.match(line, /^database: .*UNIQUE constraint failed/);
    // The same error's message as another thread sends it, without its class or cause.
    assert.equal(logSafeError(new Error(thrown.message)), "database: a query failed");
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("logSafeError: our own errors keep code and message", () => {
  const line = logSafeError(new SecurixError("SX-UNAVAILABLE", "try again"));
  assert.equal(line, "SX-UNAVAILABLE: try again");
});
