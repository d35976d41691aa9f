import assert from "node:assert/strict";
import { type Client, createClient, type Transaction } from "@libsql/client";
import { type Database, openDatabase, type OpenOptions } from "./client.ts";
import { needsFreshConnection, WorkerDatabase } from "./worker_database.ts";

interface Fixture {
  url: string;
  /** Another connection holding the write lock (BEGIN IMMEDIATE), as another process would. */
  holdWriteLock(): Promise<() => Promise<void>>;
  /** openDatabase with a short busy timeout, counting opens. */
  open: (options: OpenOptions) => Promise<Database>;
  opened: Database[];
}

async function withFile(fn: (fixture: Fixture) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-worker-db-" });
  const url = `file:${dir}/t.db`;
  const setup = await openDatabase({ url, create: true });
  await setup.client.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)");
  setup.close();
  const opened: Database[] = [];
  const others: Client[] = [];
  try {
    await fn({
      url,
      opened,
      async open(options) {
        const database = await openDatabase(options);
        // The appliance waits 5 s for the lock; a test need not.
        await database.client.execute("PRAGMA busy_timeout = 50");
        opened.push(database);
        return database;
      },
      async holdWriteLock() {
        const other = createClient({ url });
        others.push(other);
        const tx: Transaction = await other.transaction("write");
        return async () => {
          await tx.rollback();
          other.close();
        };
      },
    });
  } finally {
    for (const d of opened) d.close();
    for (const c of others) c.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const insert = (x: number) => (db: Database) =>
  db.transaction(async (tx) => {
    await tx.run(`INSERT INTO t (x) VALUES (${x})`);
  });

Deno.test("worker database: a locked database's failure reaches the caller, and the next call runs on a fresh connection", async () => {
  await withFile(async ({ url, open, opened, holdWriteLock }) => {
    const worker = new WorkerDatabase({ name: "test thread", prepare: (db: Database) => db, open });
    await worker.open({ url, create: true });
    assert.equal(opened.length, 1);
    assert.equal(opened[0].openOptions.create, false, "a thread never creates the file");
    await worker.use(insert(1));

    const release = await holdWriteLock();
    await assert.rejects(worker.use(insert(2)), /SQLITE_BUSY: database is locked/);
    await release();
    // The failed connection refuses every later transaction ("cannot commit transaction - SQL
    // statements in progress"): what the fresh one is for.
    await assert.rejects(insert(3)(opened[0]), /cannot commit transaction|CLIENT_CLOSED/);
    await worker.use(insert(3));
    assert.equal(opened.length, 2);
    assert.equal(worker.reopens, 1);
    await assert.rejects(opened[0].client.execute("SELECT 1"), /CLIENT_CLOSED/, "old one closed");
    const rows = await opened[1].client.execute("SELECT x FROM t ORDER BY x");
    assert.deepEqual(rows.rows.map((r) => r.x), [1, 3]);
    worker.close();
  });
});

Deno.test("worker database: other failures reach the caller and keep the connection", async () => {
  await withFile(async ({ url, open, opened }) => {
    const worker = new WorkerDatabase({ name: "test thread", prepare: (db: Database) => db, open });
    await worker.open({ url });
    await worker.use(insert(1));
    await assert.rejects(worker.use(insert(1)), (e: Error) => {
      assert.match(String((e.cause as Error).message), /UNIQUE constraint failed/);
      return true;
    });
    await assert.rejects(
      worker.use((db) => db.client.execute("SELECT * FROM no_such_table")),
      /no such table/,
    );
    await assert.rejects(
      worker.use(() => Promise.reject(new SyntaxError("Unexpected token"))),
      /Unexpected token/,
    );
    await worker.use(insert(2));
    assert.equal(opened.length, 1);
    assert.equal(worker.reopens, 0);
    worker.close();
  });
});

Deno.test("worker database: the stale connection is replaced once no call uses it", async () => {
  await withFile(async ({ url, open, opened, holdWriteLock }) => {
    const worker = new WorkerDatabase({ name: "test thread", prepare: (db: Database) => db, open });
    await worker.open({ url });
    let finishSlow!: () => void;
    const slowStarted = Promise.withResolvers<void>();
    const slow = worker.use(async (db) => {
      slowStarted.resolve();
      await new Promise<void>((resolve) => finishSlow = resolve);
      return await db.client.execute("SELECT count(*) AS n FROM t");
    });
    await slowStarted.promise;
    const release = await holdWriteLock();
    await assert.rejects(worker.use(insert(1)), /SQLITE_BUSY/);
    await release();
    assert.equal(opened.length, 1, "not while a call is using it");
    finishSlow();
    assert.equal((await slow).rows[0].n, 0, "the call in flight finished on its connection");
    await worker.use(insert(2));
    assert.equal(opened.length, 2);
    worker.close();
  });
});

Deno.test("worker database: a call arriving while the stale connection waits runs on the new one", async () => {
  await withFile(async ({ url, open, opened, holdWriteLock }) => {
    const worker = new WorkerDatabase({ name: "test thread", prepare: (db: Database) => db, open });
    await worker.open({ url });
    let finishSlow!: () => void;
    const slowStarted = Promise.withResolvers<void>();
    let slowDone = false;
    const slow = worker.use(async (db) => {
      slowStarted.resolve();
      await new Promise<void>((resolve) => finishSlow = resolve);
      const result = await db.client.execute("SELECT count(*) AS n FROM t");
      slowDone = true;
      return result;
    });
    await slowStarted.promise;
    const release = await holdWriteLock();
    await assert.rejects(worker.use(insert(1)), /SQLITE_BUSY/);
    await release();
    // The stuck connection would refuse this one ("cannot commit transaction"); it must wait.
    let usedBy: Database | null = null;
    const later = worker.use(async (db) => {
      usedBy = db;
      assert.equal(slowDone, true, "ran after the call in flight finished");
      await insert(2)(db);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(usedBy, null, "waits while the stale connection is in use");
    finishSlow();
    await slow;
    await later;
    assert.equal(opened.length, 2);
    assert.equal(usedBy, opened[1]);
    worker.close();
  });
});

Deno.test("worker database: a reopen that fails answers with why; the next call tries again", async () => {
  await withFile(async ({ url, open, opened, holdWriteLock }) => {
    let refuse = false;
    const worker = new WorkerDatabase({
      name: "test thread",
      prepare: (db: Database) => db,
      open: (options) => refuse ? Promise.reject(new Error("disk gone")) : open(options),
    });
    await assert.rejects(worker.use(insert(1)), /^Error: the test thread has no database yet$/);
    await worker.open({ url });
    const release = await holdWriteLock();
    refuse = true;
    await assert.rejects(worker.use(insert(1)), /SQLITE_BUSY/);
    await release();
    await assert.rejects(worker.use(insert(1)), /disk gone/);
    refuse = false;
    await worker.use(insert(1));
    assert.equal(opened.length, 2);
    worker.close();
  });
});

Deno.test("worker database: which failures a fresh connection helps with", async () => {
  await withFile(async ({ url, open, holdWriteLock }) => {
    const database = await open({ url });
    const failure = async (fn: () => Promise<unknown>): Promise<unknown> => {
      try {
        await fn();
      } catch (error) {
        return error;
      }
      throw new Error("did not fail");
    };
    const release = await holdWriteLock();
    const busy = await failure(() => database.client.execute("INSERT INTO t (x) VALUES (1)"));
    // Through drizzle: DrizzleQueryError with the driver's error as its cause.
    const wrapped = await failure(() => database.db.run("INSERT INTO t (x) VALUES (1)"));
    await release();
    assert.equal(needsFreshConnection(busy), true);
    assert.equal(needsFreshConnection(wrapped), true);
    assert.match((wrapped as Error).message, /^Failed query: INSERT/);
    const stuck = await failure(() => insert(2)(database));
    assert.match(
      (stuck as Error).message,
      /cannot commit transaction - SQL statements in progress/,
    );
    assert.equal(needsFreshConnection(stuck), true);
    const noTable = await failure(() => database.client.execute("SELECT * FROM nope"));
    assert.equal(needsFreshConnection(noTable), false);
    database.close();
    const closed = await failure(() => database.client.execute("SELECT 1"));
    assert.equal(needsFreshConnection(closed), true);
    assert.equal(needsFreshConnection(new Error("Unexpected end of JSON input")), false);
    assert.equal(needsFreshConnection("SQLITE_BUSY"), false);
  });
});
