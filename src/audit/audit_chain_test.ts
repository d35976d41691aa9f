import assert from "node:assert/strict";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { AuditWriter } from "./audit_writer.ts";
import { canonicalJson } from "./canonical_json.ts";
import { chainHash } from "./chain.ts";
import { pruneAudit } from "./prune.ts";
import { verifyChain } from "./verify_chain.ts";

async function withLog(
  count: number,
  fn: (database: Database, writer: AuditWriter) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-audit-" });
  const database = await openDatabase({ url: `file:${dir}/a.db` });
  await migrate(database.client, MIGRATIONS);
  const writer = new AuditWriter({ database, intervalMs: 10_000, maxBatch: 10_000 });
  try {
    for (let i = 0; i < count; i++) {
      writer.record({
        kind: "proxy.request",
        at: 1_000 + i,
        appId: "app_1",
        entityId: `user-${i % 3}`,
        provider: "gmail",
        data: { method: "GET", path: "/gmail/v1/users/me/messages", status: 200, i },
      });
      if (i % 7 === 6) await writer.flush();
    }
    await writer.stop();
    await fn(database, writer);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("audit: an untouched chain verifies", async () => {
  await withLog(25, async (database) => {
    assert.deepEqual(await verifyChain(database.db, 4), { ok: true, checked: 25, pruned: 0 });
  });
});

const TAMPERS: [string, string, number | null][] = [
  ["editing a field", "UPDATE audit_log SET entity_id = 'someone-else' WHERE seq = 10", 10],
  ["editing data", "UPDATE audit_log SET data = replace(data, '200', '500') WHERE seq = 5", 5],
  ["deleting a record", "DELETE FROM audit_log WHERE seq = 12", 13],
  ["deleting the newest record", "DELETE FROM audit_log WHERE seq = 25", null],
  [
    "reordering two records",
    `UPDATE audit_log SET seq = CASE seq WHEN 7 THEN 8 ELSE 7 END WHERE seq IN (7, 8)`,
    7,
  ],
];

for (const [name, statement, brokenSeq] of TAMPERS) {
  Deno.test(`audit: ${name} fails verification and names the record`, async () => {
    await withLog(25, async (database) => {
      if (name.startsWith("reordering")) {
        // Move through a free seq so the primary key never collides.
        await database.client.executeMultiple(
          "UPDATE audit_log SET seq = 1000 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = 8; UPDATE audit_log SET seq = 8 WHERE seq = 1000;",
        );
      } else {
        await database.client.execute(statement);
      }
      const result = await verifyChain(database.db, 4);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.brokenAt?.seq ?? null, brokenSeq, result.problem);
      }
    });
  });
}

Deno.test("audit: the chain still verifies after retention pruning, and tamper after it is caught", async () => {
  await withLog(30, async (database, writer) => {
    assert.equal(await pruneAudit(database, 1_010), 10);
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 20, pruned: 10 });
    writer.record({ kind: "admin.app.created", at: 5_000, data: { name: "x" } });
    await writer.flush();
    assert.deepEqual(await verifyChain(database.db), { ok: true, checked: 21, pruned: 10 });
    await database.client.execute("UPDATE audit_log SET kind = 'x' WHERE seq = 15");
    const result = await verifyChain(database.db);
    assert.equal(result.ok, false);
  });
});

Deno.test("chainHash: the spliced content is exactly canonicalJson of the record", () => {
  const data = { z: [1, { b: 'é\n"', a: null }], a: 2.5, m: "x" };
  const fields = {
    id: "aud_1",
    at: 1_700_000_000_123,
    kind: "proxy.request",
    appId: "app_1",
    agentId: null,
    entityId: 'user "1"',
    provider: "gmail",
    data: canonicalJson(data),
  };
  const reference = encodeHexLowerCase(
    sha256(new TextEncoder().encode(`${"0".repeat(64)}\n${canonicalJson({ ...fields, data })}`)),
  );
  assert.equal(chainHash("0".repeat(64), fields), reference);
});
