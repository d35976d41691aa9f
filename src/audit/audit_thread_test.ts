import assert from "node:assert/strict";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { appendAudit } from "./append.ts";
import { AuditThread } from "./audit_thread.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";
import { listRecords } from "./read_records.ts";
import { verifyChain } from "./verify_chain.ts";

async function withEncryptedDb(fn: (database: Database) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-audit-thread-" });
  const database = await openDatabase({
    url: `file:${dir}/a.db`,
    create: true,
    encryptionKey: "ab".repeat(32),
  });
  await migrate(database.client, MIGRATIONS);
  try {
    await fn(database);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const event = (kind: string, i: number): AuditEvent => ({
  kind,
  at: 1_700_000_000_000 + i,
  appId: "app_1",
  data: { i },
});

Deno.test("audit thread: batches written on the worker and direct appends on this thread form one chain", async () => {
  await withEncryptedDb(async (database) => {
    const thread = await AuditThread.start(database.openOptions);
    try {
      const writer = new AuditWriter({
        database,
        intervalMs: 10_000,
        maxBatch: 100,
        write: (events) => thread.write(events),
      });
      const direct = Array.from(
        { length: 40 },
        (_, i) => database.transaction((tx) => appendAudit(tx, [event("session.created", i)])),
      );
      for (let i = 0; i < 1_000; i++) writer.record(event("proxy.request", i));
      await Promise.all(direct);
      await writer.stop();
      const count = await database.client.execute("SELECT sum(records) AS n FROM audit_log");
      assert.equal(Number(count.rows[0].n), 1_040);
      assert.equal((await listRecords(database.db)).length, 1_040);
      const verified = await verifyChain(database.db);
      assert.equal(verified.ok, true, JSON.stringify(verified));
    } finally {
      thread.close();
    }
  });
});

Deno.test("audit thread: a database the thread cannot open fails the start, and a closed thread refuses writes", async () => {
  await withEncryptedDb(async (database) => {
    await assert.rejects(
      AuditThread.start({ ...database.openOptions, encryptionKey: "cd".repeat(32) }),
    );
    const thread = await AuditThread.start(database.openOptions);
    thread.close();
    await assert.rejects(thread.write([event("proxy.request", 1)]), /closed/);
  });
});

Deno.test("audit thread: retention runs on the worker's connection and the rest verifies", async () => {
  await withEncryptedDb(async (database) => {
    const thread = await AuditThread.start(database.openOptions);
    try {
      await thread.write(Array.from({ length: 300 }, (_, i) => event("proxy.request", i)));
      await thread.write(Array.from({ length: 200 }, (_, i) => event("proxy.request", 10_000 + i)));
      const cutoff = 1_700_000_000_000 + 5_000;
      assert.equal(await thread.prune(cutoff, { actor: "serve" }, cutoff + 1), 300);
      const verified = await verifyChain(database.db);
      assert.deepEqual(verified, { ok: true, checked: 201, pruned: 300 });
      const [pruned] = await listRecords(database.db, { kinds: "admin.audit.pruned" });
      assert.equal(pruned.data.actor, "serve");
    } finally {
      thread.close();
    }
  });
});

Deno.test("audit thread: a batch with a serving isolate's JSON spliced in is written whole and verifies", async () => {
  await withEncryptedDb(async (database) => {
    const thread = await AuditThread.start(database.openOptions);
    try {
      const writer = new AuditWriter({
        database,
        intervalMs: 10_000,
        writeJson: (json) => thread.writeJson(json),
      });
      const isolate = Array.from({ length: 300 }, (_, i) => event("proxy.request", i));
      writer.recordJson(JSON.stringify(isolate.slice(0, 200)), 200, isolate[0].at);
      writer.record(event("proxy.request", 500));
      writer.recordJson(JSON.stringify(isolate.slice(200)), 100, isolate[200].at);
      await writer.stop();
      assert.equal((await listRecords(database.db)).length, 301);
      const verified = await verifyChain(database.db);
      assert.equal(verified.ok, true, JSON.stringify(verified));
    } finally {
      thread.close();
    }
  });
});
