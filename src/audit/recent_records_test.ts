import assert from "node:assert/strict";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { appendAudit } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";
import { listRecords } from "./read_records.ts";
import { type RecentFilter, recentRecords } from "./recent_records.ts";

Deno.test("recentRecords: the same rows as readRecords, plus the agent, newest first", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-recent-" });
  const database = await openDatabase({ url: `file:${dir}/a.db`, create: true });
  await migrate(database.client, MIGRATIONS);
  const written: AuditEvent[] = [];
  try {
    const writer = new AuditWriter({ database, intervalMs: 60_000, maxBatch: 60_000 });
    for (let i = 0; i < 120; i++) {
      const event: AuditEvent = {
        kind: "proxy.request",
        at: 10_000 + i * 10,
        appId: `app_${i % 3}`,
        agentId: `agent-${i % 2}`,
        entityId: `user-${i % 4}`,
        provider: "gmail",
        data: { i },
      };
      writer.record(event);
      written.push(event);
      if (i % 29 === 28) {
        // Packs (many records a row) between single rows.
        await writer.flush();
        const change: AuditEvent = {
          kind: "connection.paused",
          at: 10_000 + i * 10,
          appId: "app_1",
          agentId: "agent-1",
          entityId: "user-1",
          data: { i, single: true },
        };
        await database.transaction((tx) => appendAudit(tx, [change]));
        written.push(change);
      }
    }
    await writer.stop();
    const key = (r: { kind: string; data: Record<string, unknown> }) =>
      `${r.kind}:${r.data.i}:${r.data.single ?? ""}`;
    const filters: RecentFilter[] = [
      {},
      { agentId: "agent-1" },
      { agentId: "agent-0", appId: "app_2" },
      { agentId: "agent-1", kinds: "connection" },
      { agentId: "nobody" },
      { entityId: "user-2", since: 10_300, until: 10_900 },
    ];
    for (const filter of filters) {
      const { records, before } = await recentRecords(database.db, filter, { limit: 10_000 });
      const expected = written.filter((e) =>
        (!filter.agentId || e.agentId === filter.agentId) &&
        (!filter.appId || e.appId === filter.appId) &&
        (!filter.entityId || e.entityId === filter.entityId) &&
        (filter.since == null || e.at >= filter.since) &&
        (filter.until == null || e.at <= filter.until) &&
        (!filter.kinds || e.kind.startsWith(filter.kinds))
      );
      assert.deepEqual(records.map(key).sort(), expected.map(key).sort(), JSON.stringify(filter));
      assert.ok(expected.length > 0 || filter.agentId === "nobody", JSON.stringify(filter));
      assert.equal(before, null);
      const inChainOrder = await listRecords(database.db, filter);
      const agentless = filter.agentId
        ? inChainOrder.filter((r) => r.agentId === filter.agentId)
        : inChainOrder;
      assert.deepEqual(records.map(key), agentless.map(key).reverse(), "newest first");
    }
  } finally {
    database.client.close();
    await Deno.remove(dir, { recursive: true });
  }
});
