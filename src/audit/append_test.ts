import assert from "node:assert/strict";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { appendAudit } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";
import { readCheckpoint, readHead } from "./chain_meta.ts";
import { pruneAudit } from "./prune.ts";
import { listRecords } from "./read_records.ts";
import { verifyChain } from "./verify_chain.ts";

async function withDb(fn: (database: Database, url: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-append-" });
  const url = `file:${dir}/a.db`;
  const database = await openDatabase({ url, create: true });
  await migrate(database.client, MIGRATIONS);
  try {
    await fn(database, url);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const event = (kind: string, at: number, data: Record<string, unknown> = {}): AuditEvent => ({
  kind,
  at,
  appId: "app_1",
  entityId: "user-1",
  data,
});

async function kinds(database: Database): Promise<string[]> {
  return (await listRecords(database.db)).map((r) => r.kind);
}

Deno.test("appendAudit: direct appends and writer batches, interleaved and concurrent, form one chain", async () => {
  await withDb(async (database) => {
    const writer = new AuditWriter({ database, intervalMs: 10_000 });
    const work: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      writer.record(event("proxy.request", i, { i }));
      if (i % 3 === 0) work.push(writer.flush());
      // A state change with its own record, racing the writer's batch.
      work.push(
        database.transaction((tx) =>
          appendAudit(tx, [event("session.created", i, { sessionId: `ses_${i}` })])
        ),
      );
    }
    await Promise.all(work);
    await writer.stop();
    assert.deepEqual(await verifyChain(database.db, 7), { ok: true, checked: 60, pruned: 0 });
    const all = await kinds(database);
    assert.equal(all.filter((k) => k === "session.created").length, 30);
    assert.equal(all.filter((k) => k === "proxy.request").length, 30);
  });
});

Deno.test("appendAudit: a rolled-back change leaves no record and the chain intact", async () => {
  await withDb(async (database) => {
    await database.transaction((tx) => appendAudit(tx, [event("session.created", 1)]));
    const before = await readHead(database.db);
    await assert.rejects(
      database.transaction(async (tx) => {
        await appendAudit(tx, [event("connection.revoked", 2), event("connection.created", 2)]);
        throw new Error("the change failed");
      }),
      /the change failed/,
    );
    assert.deepEqual(await readHead(database.db), before);
    await database.transaction((tx) => appendAudit(tx, [event("session.failed", 3)]));
    assert.deepEqual(await kinds(database), ["session.created", "session.failed"]);
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 2, pruned: 0 });
  });
});

Deno.test("appendAudit: a prune records itself after the checkpoint, and the chain goes on from there", async () => {
  await withDb(async (database) => {
    await database.transaction((tx) => appendAudit(tx, [event("a", 1), event("b", 2)]));
    assert.equal(await pruneAudit(database, 100, { actor: "cli", osUser: "ops" }, 150), 2);
    await database.transaction((tx) => appendAudit(tx, [event("admin.app.created", 200)]));
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 2, pruned: 2 });
    const [pruned] = await listRecords(database.db, { kinds: "admin.audit.pruned" });
    const checkpoint = await readCheckpoint(database.db);
    assert.deepEqual(pruned.data, {
      records: 2,
      before: 100,
      throughSeq: 2,
      hash: checkpoint?.hash,
      pruned: 2,
      actor: "cli",
      osUser: "ops",
    });
    // Pruning the prune record too: the next record still links to the checkpoint.
    assert.equal(await pruneAudit(database, 300, { actor: "serve" }, 400), 2);
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 1, pruned: 4 });
  });
});

Deno.test("appendAudit: another connection to the same file (a CLI process) continues the chain", async () => {
  await withDb(async (database, url) => {
    const writer = new AuditWriter({ database, intervalMs: 10_000 });
    const other = await openDatabase({ url });
    try {
      for (let i = 0; i < 5; i++) {
        writer.record(event("proxy.request", i));
        await writer.flush();
        // One connection writes at a time: the embedded driver waits for the file lock on the
        // event loop, so true concurrency between two connections needs two processes.
        await other.transaction((tx) => appendAudit(tx, [event("admin.key.created", i)]));
      }
      await writer.stop();
    } finally {
      other.close();
    }
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 10, pruned: 0 });
  });
});

Deno.test("appendAudit: a log written before packs existed migrates, takes packs after it, and verifies", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-append-" });
  const database = await openDatabase({ url: `file:${dir}/a.db`, create: true });
  try {
    const before = MIGRATIONS.findIndex((m) => m.name === "0004_audit_packs");
    await migrate(database.client, MIGRATIONS.slice(0, before));
    // Rows as the previous release wrote them: no records/last_at columns yet.
    for (let i = 0; i < 3; i++) {
      await database.transaction((tx) => appendAudit(tx, [event("session.created", i)]));
    }
    assert.deepEqual(
      await migrate(database.client, MIGRATIONS),
      MIGRATIONS.slice(before).map((m) => m.name),
    );
    const writer = new AuditWriter({ database, intervalMs: 10_000 });
    for (let i = 0; i < 20; i++) writer.record(event("proxy.request", 100 + i, { i }));
    await writer.stop();
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 23, pruned: 0 });
    assert.equal((await listRecords(database.db, { kinds: "proxy.request" })).length, 20);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});
