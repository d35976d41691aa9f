import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { openDatabase } from "./client.ts";

Deno.test("db: plain writes wait for an open transaction instead of deadlocking", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-db-" });
  const database = await openDatabase({
    url: `file:${dir}/t.db`,
    create: true,
    encryptionKey: "k".repeat(32),
  });
  try {
    await database.client.execute("CREATE TABLE t (x INTEGER)");
    const started = Date.now();
    const inTx = database.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO t VALUES (1)`);
      await new Promise((r) => setTimeout(r, 100));
      await tx.run(sql`INSERT INTO t VALUES (2)`);
    });
    const outside = database.client.execute("INSERT INTO t VALUES (3)");
    const secondTx = database.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO t VALUES (4)`);
    });
    await Promise.all([inTx, outside, secondTx]);
    const rows = await database.client.execute("SELECT count(*) AS n FROM t");
    assert.equal(rows.rows[0].n, 4);
    assert.ok(Date.now() - started < 2_000, "no busy-timeout stall");
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("db: a failing transaction rolls back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-db-" });
  const database = await openDatabase({ url: `file:${dir}/t.db`, create: true });
  try {
    await database.client.execute("CREATE TABLE t (x INTEGER)");
    await assert.rejects(
      database.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t VALUES (1)`);
        throw new Error("boom");
      }),
      /boom/,
    );
    const rows = await database.client.execute("SELECT count(*) AS n FROM t");
    assert.equal(rows.rows[0].n, 0);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});
