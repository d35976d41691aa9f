import assert from "node:assert/strict";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { apps, auditLog, webhookEndpoints } from "../db/schema.ts";
import { apiActor, cliActor } from "./actor.ts";
import { recordAdminEvent } from "./admin_event.ts";
import { appendAudit } from "./append.ts";
import { auditReason, recordAuthEvent } from "./auth_event.ts";
import { kindFilter } from "./kind_filter.ts";
import { verifyChain } from "./verify_chain.ts";

async function withDb(fn: (database: Database) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-audit-events-" });
  const database = await openDatabase({ url: `file:${dir}/a.db`, create: true });
  await migrate(database.client, MIGRATIONS);
  try {
    await database.db.insert(apps).values({ id: "app_1", name: "a", origins: "[]", createdAt: 0 });
    await database.db.insert(webhookEndpoints).values({
      id: "whe_1",
      appId: "app_1",
      url: "https://hooks.example/in",
      events: JSON.stringify(["*"]),
      secretId: "whs_1",
      createdAt: 0,
    });
    await fn(database);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function rows(database: Database, sql: string) {
  return (await database.client.execute(sql)).rows;
}

Deno.test("recordAuthEvent: the audit record always, the webhook only when the kind has one", async () => {
  await withDb(async (database) => {
    await database.transaction(async (tx) => {
      await recordAuthEvent(tx, {
        kind: "session.created",
        appId: "app_1",
        entityId: "user-1",
        data: { sessionId: "ses_1", flow: "device" },
        webhook: null,
      }, 1_000);
      await recordAuthEvent(tx, {
        kind: "connection.revoked",
        appId: "app_1",
        entityId: "user-1",
        provider: "gmail",
        data: { connectionId: "con_1", providerRevoked: true },
        webhook: {
          type: "connection.revoked",
          data: { connectionId: "con_1", account: { id: "alice" } },
          orderingKey: "con_1",
        },
      }, 2_000);
    });
    const audit = await rows(
      database,
      "SELECT kind, app_id, entity_id, provider, data, at FROM audit_log ORDER BY seq",
    );
    assert.deepEqual(audit.map((r) => [r.kind, r.app_id, r.entity_id, r.provider, r.at]), [
      ["session.created", "app_1", "user-1", null, 1_000],
      ["connection.revoked", "app_1", "user-1", "gmail", 2_000],
    ]);
    assert.deepEqual(JSON.parse(String(audit[1].data)), {
      connectionId: "con_1",
      providerRevoked: true,
    });
    const hooks = await rows(database, "SELECT event_type FROM webhook_deliveries");
    assert.deepEqual(hooks.map((r) => r.event_type), ["connection.revoked"]);
  });
});

Deno.test("recordAuthEvent: a change that rolls back takes its audit record and webhook with it", async () => {
  await withDb(async (database) => {
    await assert.rejects(database.transaction(async (tx) => {
      await recordAuthEvent(tx, {
        kind: "connection.paused",
        appId: "app_1",
        entityId: "u",
        data: { connectionId: "con_1" },
        webhook: { type: "connection.paused", data: {}, orderingKey: "con_1" },
      }, 1);
      throw new Error("state change failed");
    }));
    assert.equal((await rows(database, "SELECT 1 FROM audit_log")).length, 0);
    assert.equal((await rows(database, "SELECT 1 FROM webhook_deliveries")).length, 0);
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 0, pruned: 0 });
  });
});

Deno.test("recordAdminEvent: the actor lands in data beside the ids", async () => {
  await withDb(async (database) => {
    await database.transaction(async (tx) => {
      await recordAdminEvent(tx, {
        kind: "admin.agent.added",
        by: apiActor("key_abc"),
        appId: "app_1",
        agentId: "agent-1",
        data: { name: "Bot" },
      }, 5);
      await recordAdminEvent(tx, {
        kind: "admin.key.revoked",
        by: cliActor((n) => ({ USER: "ops" } as Record<string, string>)[n]),
        appId: "app_1",
        data: { keyId: "key_abc" },
      }, 6);
    });
    const audit = await rows(database, "SELECT agent_id, data FROM audit_log ORDER BY seq");
    assert.equal(audit[0].agent_id, "agent-1");
    assert.deepEqual(JSON.parse(String(audit[0].data)), { name: "Bot", actor: "api:key_abc" });
    assert.deepEqual(JSON.parse(String(audit[1].data)), {
      keyId: "key_abc",
      actor: "cli",
      osUser: "ops",
    });
  });
});

Deno.test("cliActor: sudo names who typed it; empty variables count as unset", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.deepEqual(cliActor(env({ SUDO_USER: "alice", USER: "root" })), {
    actor: "cli",
    osUser: "alice",
  });
  assert.deepEqual(cliActor(env({ SUDO_USER: "", LOGNAME: "bob" })), {
    actor: "cli",
    osUser: "bob",
  });
  assert.deepEqual(cliActor(env({})), { actor: "cli", osUser: null });
});

Deno.test("auditReason: our codes and OAuth error codes pass, anything else a provider sent does not", () => {
  assert.equal(auditReason("access_denied"), "access_denied");
  assert.equal(auditReason("sxc_mismatch"), "sxc_mismatch");
  assert.equal(auditReason(null), null);
  assert.equal(auditReason("<script>alert(1)</script>"), "provider_error");
  assert.equal(auditReason("token=abc&x=1"), "provider_error");
  assert.equal(auditReason("a".repeat(200)), "provider_error");
});

Deno.test("kindFilter: exact kinds and dotted prefixes; `_` is not a wildcard", async () => {
  await withDb(async (database) => {
    const kinds = [
      "session.created",
      "sessionx.created",
      "connection.refresh_failed",
      "connection.refreshXfailed",
      "admin.webhook.added",
      "admin.webhooks.other",
      "proxy.request",
    ];
    await database.transaction((tx) =>
      appendAudit(tx, kinds.map((kind) => ({ kind, at: 1, data: {} })))
    );
    const match = async (list: string) =>
      (await database.db.select({ kind: auditLog.kind }).from(auditLog)
        .where(kindFilter(list) ?? undefined).orderBy(auditLog.seq)).map((r) => r.kind);
    assert.deepEqual(await match("session"), ["session.created"]);
    assert.deepEqual(await match("session."), ["session.created"]);
    assert.deepEqual(await match("connection.refresh_failed"), ["connection.refresh_failed"]);
    assert.deepEqual(await match("admin.webhook, proxy.request"), [
      "admin.webhook.added",
      "proxy.request",
    ]);
    assert.equal(kindFilter(""), null);
    assert.equal(kindFilter(undefined), null);
  });
});
