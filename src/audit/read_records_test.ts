import assert from "node:assert/strict";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { appendAudit } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";
import { listRecords, type ReadFilter } from "./read_records.ts";

Deno.test("readRecords: filters reach records inside packs exactly, in chain order", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-read-" });
  const database = await openDatabase({ url: `file:${dir}/a.db`, create: true });
  await migrate(database.client, MIGRATIONS);
  const written: AuditEvent[] = [];
  try {
    const writer = new AuditWriter({ database, intervalMs: 60_000, maxBatch: 60_000 });
    for (let i = 0; i < 200; i++) {
      // Out of time order inside a batch, as long requests finish late.
      const event: AuditEvent = {
        kind: "proxy.request",
        at: 10_000 + i * 10 + (i % 5 === 0 ? 500 : 0),
        appId: `app_${i % 3}`,
        entityId: `user-${i % 4}`,
        provider: "gmail",
        data: { i },
      };
      writer.record(event);
      written.push(event);
      if (i % 37 === 36) {
        await writer.flush();
        const change: AuditEvent = {
          kind: "connection.paused",
          at: 10_000 + i * 10,
          appId: "app_1",
          entityId: "user-1",
          data: { i },
        };
        await database.transaction((tx) => appendAudit(tx, [change]));
        written.push(change);
      }
    }
    await writer.stop();
    const filters: ReadFilter[] = [
      {},
      { appId: "app_1" },
      { entityId: "user-2" },
      { appId: "app_1", entityId: "user-1" },
      { since: 10_555, until: 11_205 },
      { since: 11_000 },
      { until: 10_100 },
      { kinds: "connection" },
      { kinds: "proxy.request", appId: "app_2", since: 10_500 },
    ];
    for (const filter of filters) {
      const expected = written.filter((e) =>
        (filter.since == null || e.at >= filter.since) &&
        (filter.until == null || e.at <= filter.until) &&
        (!filter.appId || e.appId === filter.appId) &&
        (!filter.entityId || e.entityId === filter.entityId) &&
        (!filter.kinds || e.kind.startsWith(filter.kinds))
      ).map((e) => `${e.kind}:${e.data.i}`);
      const found = (await listRecords(database.db, filter)).map((r) => `${r.kind}:${r.data.i}`);
      assert.deepEqual(found, expected, JSON.stringify(filter));
      assert.ok(filter.since === undefined || found.length > 0);
    }
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});
