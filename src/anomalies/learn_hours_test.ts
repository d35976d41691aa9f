import assert from "node:assert/strict";
import { appendAudit, appendAuditBatch } from "../audit/append.ts";
import type { AuditEvent } from "../audit/audit_types.ts";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { learnHours } from "./learn_hours.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const BASE = Date.UTC(2026, 0, 1); // a UTC midnight

const call = (at: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  kind: "proxy.request",
  at,
  appId: "app_1",
  agentId: "agent-1",
  entityId: "alice",
  provider: "gmail",
  data: { operation: "gmail.users.messages.list", decision: "allowed" },
  ...over,
});

Deno.test("learnHours: each connection's hours of day and distinct days of the history, not today's, from the rollup", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-learn-" });
  const database = await openDatabase({ url: `file:${dir}/l.db`, create: true });
  try {
    await migrate(database.client, MIGRATIONS);
    const day = (n: number) => BASE + n * DAY;
    const now = day(100) + 15 * HOUR; // day 100, 15:00 UTC: history is days 86..99
    const events: AuditEvent[] = [];
    for (let d = 90; d < 100; d++) {
      events.push(call(day(d) + 9 * HOUR + 5 * 60_000), call(day(d) + 14 * HOUR));
      // Many calls in one hour count as that hour once, on that day once.
      for (let i = 0; i < 20; i++) events.push(call(day(d) + 14 * HOUR + i * 60_000));
    }
    events.push(call(day(80) + 3 * HOUR)); // before the history
    events.push(call(day(86) + 23 * HOUR + 59 * 60_000)); // the history's first day, last hour
    events.push(call(day(100) + 2 * HOUR)); // today
    // Denied and portal calls are activity too; other connections stay apart.
    events.push(call(day(95) + 20 * HOUR, { data: { decision: "denied", via: "portal" } }));
    events.push(call(day(91) + 1 * HOUR, { provider: "drive" }));
    events.push(call(day(91) + 1 * HOUR, { entityId: "bob" }));
    events.push(call(day(92) + 6 * HOUR, { appId: "app_2", agentId: null }));
    await appendAuditBatch(database, events);
    // Through a state change's transaction too.
    await database.transaction((tx) => appendAudit(tx, [call(day(99) + 21 * HOUR)]));

    const profiles = await learnHours(database.db, now, 14);
    assert.deepEqual(profiles.get("app_1")?.get("alice")?.get("gmail"), {
      hours: (1 << 9) | (1 << 14) | (1 << 20) | (1 << 21) | (1 << 23),
      days: 11,
      alertedHour: -1,
    });
    assert.deepEqual(profiles.get("app_1")?.get("alice")?.get("drive"), {
      hours: 1 << 1,
      days: 1,
      alertedHour: -1,
    });
    assert.deepEqual(profiles.get("app_1")?.get("bob")?.get("gmail")?.hours, 1 << 1);
    assert.deepEqual(profiles.get("app_2")?.get("alice")?.get("gmail")?.hours, 1 << 6);
    // A shorter history sees only its days.
    const week = await learnHours(database.db, now, 7);
    assert.deepEqual(week.get("app_1")?.get("alice")?.get("gmail"), {
      hours: (1 << 9) | (1 << 14) | (1 << 20) | (1 << 21),
      days: 7,
      alertedHour: -1,
    });
    assert.equal((await learnHours(database.db, day(200), 14)).size, 0);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
});
