import assert from "node:assert/strict";
import { appendAuditBatch } from "../audit/append.ts";
import type { AuditEvent } from "../audit/audit_types.ts";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { type ActivityCursor, type ActivityItem, readActivity } from "./portal_activity.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 2, 12, 30);

const call = (at: number, over: Partial<AuditEvent> = {}, data: Record<string, unknown> = {}) => ({
  kind: "proxy.request",
  at,
  appId: "app_1",
  agentId: "agent-1",
  entityId: "alice",
  provider: "gmail",
  data: { decision: "allowed", operation: "gmail.users.messages.list", ...data },
  ...over,
});

async function withDb(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "securix-activity-" });
  const database = await openDatabase({ url: `file:${dir}/p.db`, create: true });
  try {
    await migrate(database.client, MIGRATIONS);
    await fn(database);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every page, following the cursors. */
async function allPages(
  db: Parameters<typeof readActivity>[0],
  where: Parameters<typeof readActivity>[1],
  limit: number,
): Promise<ActivityItem[][]> {
  const pages: ActivityItem[][] = [];
  let before: ActivityCursor | null = null;
  do {
    const page = await readActivity(db, where, { before, limit }, NOW);
    pages.push(page.items);
    before = page.next;
    assert.ok(pages.length < 100, "the cursors end");
  } while (before);
  return pages;
}

Deno.test("portal activity: one entity's calls grouped per hour, newest first; others' volume changes nothing", async () => {
  await withDb(async (database) => {
    const db = database.db;
    await appendAuditBatch(database, [
      call(NOW - 10 * 60_000),
      call(NOW - 5 * 60_000),
      call(NOW - 2 * 60_000, {}, { decision: "denied", operation: "gmail.users.messages.send" }),
      call(NOW - 3 * HOUR, { agentId: "agent-2" }),
      call(NOW - 3 * HOUR + 1, { provider: "drive" }, { operation: "drive.files.list" }),
      // The portal's own calls and anything past 30 days are not shown.
      call(NOW - 60_000, {}, { via: "portal" }),
      call(NOW - 31 * DAY),
      // Another entity, and the same entity id in another app.
      call(NOW - 60_000, { entityId: "bob" }),
      call(NOW - 60_000, { appId: "app_2" }),
    ]);
    const where = { appId: "app_1", entityId: "alice", provider: "gmail" };
    const first = await readActivity(db, where, { before: null, limit: 25 }, NOW);
    const shape = (items: ActivityItem[]) =>
      items.map((i) => [i.agentId, i.operation, i.decision, i.calls, (NOW - i.at) / 60_000]);
    assert.deepEqual(shape(first.items), [
      ["agent-1", "gmail.users.messages.send", "denied", 1, 2],
      ["agent-1", "gmail.users.messages.list", "allowed", 2, 5],
      ["agent-2", "gmail.users.messages.list", "allowed", 1, 180],
    ]);
    assert.equal(first.next, null);
    assert.ok(first.items.every((i) => i.provider === "gmail" && i.via === null));
    // Last use counts calls that reached the account, per provider, the portal's own excepted.
    assert.deepEqual(
      [...first.lastUsed].sort(),
      [["drive", NOW - 3 * HOUR + 1], ["gmail", NOW - 5 * 60_000]],
    );
    const home = await readActivity(db, { appId: "app_1", entityId: "alice" }, {
      before: null,
      limit: 0,
    }, NOW);
    assert.deepEqual(home.items, []);
    assert.deepEqual(home.lastUsed, first.lastUsed);

    // 50,000 calls of other entities (and of alice in another app) later: the same answer.
    const others: AuditEvent[] = [];
    for (let i = 0; i < 50_000; i++) {
      others.push(
        call(NOW - (i % 700) * HOUR - 1, {
          entityId: i % 10 === 0 ? "alice" : `user-${i % 997}`,
          appId: i % 10 === 0 ? "app_2" : "app_1",
          agentId: `agent-${i % 7}`,
        }),
      );
    }
    for (let i = 0; i < others.length; i += 1_000) {
      await appendAuditBatch(database, others.slice(i, i + 1_000));
    }
    assert.deepEqual(await readActivity(db, where, { before: null, limit: 25 }, NOW), first);
    assert.deepEqual(
      await readActivity(
        db,
        { appId: "app_1", entityId: "alice" },
        { before: null, limit: 0 },
        NOW,
      ),
      home,
    );
  });
});

Deno.test("portal activity: pages follow the cursor through groups that share a time, each once", async () => {
  await withDb(async (database) => {
    const events: AuditEvent[] = [];
    // 70 groups over 5 hours; groups of a batch share their newest time (ties across a page end).
    for (let g = 0; g < 70; g++) {
      const at = NOW - Math.floor(g / 12) * HOUR - 1_000;
      events.push(
        call(at, { agentId: `agent-${g % 12}` }, { operation: `op.${Math.floor(g / 12)}` }),
      );
    }
    await appendAuditBatch(database, events);
    const where = { appId: "app_1", entityId: "alice" };
    const pages = await allPages(database.db, where, 25);
    assert.deepEqual(pages.map((p) => p.length), [25, 25, 20]);
    const seen = pages.flat().map((i) => `${i.agentId} ${i.operation}`);
    assert.equal(new Set(seen).size, 70, "no group twice, none skipped");
    const times = pages.flat().map((i) => i.at);
    assert.deepEqual(times, [...times].sort((a, b) => b - a), "newest first");
    // Page sizes that cut inside a tie, and a tie longer than a page.
    for (const limit of [1, 5, 11, 12, 13, 70, 71]) {
      const flat = (await allPages(database.db, where, limit)).flat();
      assert.equal(
        new Set(flat.map((i) => `${i.agentId} ${i.operation}`)).size,
        70,
        `limit ${limit}`,
      );
      assert.equal(flat.length, 70, `limit ${limit}`);
    }
  });
});
