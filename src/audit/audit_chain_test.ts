import assert from "node:assert/strict";
import { type Database, openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { InValue } from "@libsql/client";
import { appendAudit } from "./append.ts";
import type { AuditEvent } from "./audit_types.ts";
import { AuditWriter } from "./audit_writer.ts";
import { canonicalJson } from "./canonical_json.ts";
import { chainHash } from "./chain.ts";
import { pruneAudit } from "./prune.ts";
import { listRecords } from "./read_records.ts";
import { verifyChain } from "./verify_chain.ts";

const proxyEvent = (i: number): AuditEvent => ({
  kind: "proxy.request",
  at: 1_000 + i,
  appId: "app_1",
  entityId: `user-${i % 3}`,
  provider: "gmail",
  data: { method: "GET", path: "/gmail/v1/users/me/messages", status: 200, i },
});

/**
 * `count` records written the way the serving process writes them (batches
 * of 7 through the writer: packs) or the way a state change does (one row
 * each, inside its transaction).
 */
async function withLog(
  count: number,
  how: "rows" | "packs",
  fn: (database: Database, writer: AuditWriter) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "securix-audit-" });
  const database = await openDatabase({ url: `file:${dir}/a.db`, create: true });
  await migrate(database.client, MIGRATIONS);
  const writer = new AuditWriter({ database, intervalMs: 10_000, maxBatch: 10_000 });
  try {
    for (let i = 0; i < count; i++) {
      if (how === "rows") await database.transaction((tx) => appendAudit(tx, [proxyEvent(i)]));
      else writer.record(proxyEvent(i));
      if (i % 7 === 6) await writer.flush();
    }
    await writer.stop();
    await fn(database, writer);
  } finally {
    database.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("audit: an untouched chain verifies, in rows and in packs", async () => {
  for (const how of ["rows", "packs"] as const) {
    await withLog(25, how, async (database) => {
      const progress: number[] = [];
      assert.deepEqual(await verifyChain(database.db, 4, (n) => progress.push(n)), {
        ok: true,
        checked: 25,
        pruned: 0,
      });
      // Rows come 4 a page: one row a record, or packs of 7.
      assert.deepEqual(progress, how === "rows" ? [4, 8, 12, 16, 20, 24, 25] : [25]);
    });
  }
});

Deno.test("audit: the writer stores a batch as one pack row and readers see every record", async () => {
  await withLog(25, "packs", async (database) => {
    const rows = await database.client.execute("SELECT records FROM audit_log ORDER BY seq");
    assert.deepEqual(rows.rows.map((r) => Number(r.records)), [7, 7, 7, 4]);
    const records = await listRecords(database.db);
    assert.deepEqual(records.map((r) => r.data.i), [...Array(25).keys()]);
    assert.equal(new Set(records.map((r) => r.id)).size, 25);
  });
});

const TAMPERS: [string, string, number | null][] = [
  ["editing a field", "UPDATE audit_log SET entity_id = 'someone-else' WHERE seq = 10", 10],
  ["editing data", "UPDATE audit_log SET data = replace(data, '200', '500') WHERE seq = 5", 5],
  ["deleting a record", "DELETE FROM audit_log WHERE seq = 12", 13],
  ["deleting the newest record", "DELETE FROM audit_log WHERE seq = 25", null],
  [
    "reordering two records",
    // Through a free seq so the primary key never collides.
    "UPDATE audit_log SET seq = 1000 WHERE seq = 7; UPDATE audit_log SET seq = 7 WHERE seq = 8; " +
    "UPDATE audit_log SET seq = 8 WHERE seq = 1000;",
    7,
  ],
];

for (const [name, statements, brokenSeq] of TAMPERS) {
  Deno.test(`audit: ${name} fails verification and names the record`, async () => {
    await withLog(25, "rows", async (database) => {
      await database.client.executeMultiple(statements);
      const result = await verifyChain(database.db, 4);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.brokenAt?.seq ?? null, brokenSeq, result.problem);
    });
  });
}

interface Element {
  hash: string;
  record: Record<string, unknown>;
}

/** Rewrites pack `seq` (the second pack holds records 7–13) the way an attacker with the file would. */
async function editPack(
  database: Database,
  change: (elements: Element[]) => Element[],
  header: (elements: Element[]) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const [row] = (await database.client.execute("SELECT data FROM audit_log WHERE seq = 2")).rows;
  const elements = change(JSON.parse(String(row.data)));
  const columns = { data: JSON.stringify(elements), ...header(elements) };
  await database.client.execute({
    sql: `UPDATE audit_log SET ${
      Object.keys(columns).map((c) => `${c} = ?`).join(", ")
    } WHERE seq = 2`,
    args: Object.values(columns) as InValue[],
  });
}

const idOf = (elements: Element[], i: number) => String(elements[i].record.id);

/** [name, tamper, which record verify must name: a record id inside pack 2, or the pack row]. */
const PACK_TAMPERS: [string, (database: Database) => Promise<string | null>][] = [
  ["editing one record's field in a pack", async (database) => {
    let id = "";
    await editPack(database, (els) => {
      id = idOf(els, 3);
      els[3].record.entityId = "someone-else";
      return els;
    });
    return id;
  }],
  ["deleting one record from a pack", async (database) => {
    let id = "";
    await editPack(database, (els) => {
      id = idOf(els, 3);
      return els.filter((_, i) => i !== 2);
    }, (els) => ({ records: els.length }));
    return id;
  }],
  ["reordering two records in a pack", async (database) => {
    let id = "";
    await editPack(database, (els) => {
      [els[1], els[2]] = [els[2], els[1]];
      id = idOf(els, 1);
      return els;
    });
    return id;
  }],
  ["deleting a pack's last record and fixing its count", async (database) => {
    await editPack(database, (els) => els.slice(0, -1), (els) => ({ records: els.length }));
    return "pack";
  }],
  ["moving a pack's time range (to hide it from filtered exports)", async (database) => {
    await database.client.execute("UPDATE audit_log SET at = 0, last_at = 1 WHERE seq = 2");
    return "pack";
  }],
  ["reordering two packs", async (database) => {
    await database.client.executeMultiple(
      "UPDATE audit_log SET seq = 1000 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; " +
        "UPDATE audit_log SET seq = 3 WHERE seq = 1000;",
    );
    return "pack";
  }],
  ["damaging a pack so it no longer parses", async (database) => {
    await database.client.execute("UPDATE audit_log SET data = substr(data, 2) WHERE seq = 2");
    return "pack";
  }],
  ["deleting the newest pack", async (database) => {
    await database.client.execute("DELETE FROM audit_log WHERE seq = 4");
    return null;
  }],
];

for (const [name, tamper] of PACK_TAMPERS) {
  Deno.test(`audit: ${name} fails verification and names it`, async () => {
    await withLog(25, "packs", async (database) => {
      const expected = await tamper(database);
      const [pack] = (await database.client.execute("SELECT id FROM audit_log WHERE seq = 2")).rows;
      const result = await verifyChain(database.db, 3);
      assert.equal(result.ok, false);
      if (result.ok) return;
      const named = result.brokenAt?.id ?? null;
      assert.equal(named, expected === "pack" ? String(pack.id) : expected, result.problem);
      if (expected !== null) assert.equal(result.brokenAt?.seq, 2, result.problem);
    });
  });
}

Deno.test("audit: the chain still verifies after retention pruning, and tamper after it is caught", async () => {
  for (const how of ["rows", "packs"] as const) {
    await withLog(30, how, async (database, writer) => {
      // Packs go whole: the first (records 0–6) is older than 1_010, the second (7–13) is not.
      const pruned = how === "rows" ? 10 : 7;
      assert.equal(await pruneAudit(database, 1_010, { actor: "serve" }, 2_000), pruned);
      // The rest, and the prune's own record.
      const left = 30 - pruned + 1;
      assert.deepEqual(await verifyChain(database.db), { ok: true, checked: left, pruned });
      writer.record({ kind: "admin.app.created", at: 5_000, data: { name: "x" } });
      await writer.flush();
      assert.deepEqual(await verifyChain(database.db), { ok: true, checked: left + 1, pruned });
      await database.client.execute(
        "UPDATE audit_log SET kind = 'x' WHERE seq = (SELECT max(seq) - 1 FROM audit_log)",
      );
      const result = await verifyChain(database.db);
      assert.equal(result.ok, false);
    });
  }
});

Deno.test("audit: a row put back at or before the retention checkpoint fails verification (export would show it)", async () => {
  await withLog(30, "rows", async (database) => {
    await pruneAudit(database, 1_010, { actor: "serve" }, 2_000);
    assert.equal((await verifyChain(database.db)).ok, true);
    // Someone holding the file forges a record in the pruned range (SQLite takes the low seq).
    await database.client.execute(
      `INSERT INTO audit_log (seq, id, at, kind, app_id, agent_id, entity_id, provider, data, prev_hash, hash)
       VALUES (1, 'aud_forged', 3000, 'admin.key.created', 'app_victim', NULL, NULL, NULL, '{}', 'x', 'y')`,
    );
    assert.ok((await listRecords(database.db, {})).some((r) => r.id === "aud_forged"));
    const result = await verifyChain(database.db);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.breaks.some((b) => b.seq === 1 && b.id === "aud_forged"));
    assert.match(!result.ok ? result.problem : "", /at or before the retention checkpoint/);
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

Deno.test("audit: two separate tamperings are both reported, and the records between and after them verify", async () => {
  for (const how of ["rows", "packs"] as const) {
    await withLog(25, how, async (database) => {
      if (how === "rows") {
        await database.client.executeMultiple(
          "UPDATE audit_log SET entity_id = 'x' WHERE seq = 5; " +
            "UPDATE audit_log SET data = replace(data, '200', '500') WHERE seq = 15;",
        );
      } else {
        // Packs of 7: records 3 (pack 1) and 16 (pack 3).
        for (const [seq, i] of [[1, 3], [3, 2]]) {
          const [row] = (await database.client.execute({
            sql: "SELECT data FROM audit_log WHERE seq = ?",
            args: [seq],
          })).rows;
          const elements = JSON.parse(String(row.data)) as Element[];
          elements[i].record.entityId = "someone-else";
          await database.client.execute({
            sql: "UPDATE audit_log SET data = ? WHERE seq = ?",
            args: [JSON.stringify(elements), seq],
          });
        }
      }
      const result = await verifyChain(database.db, 4);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.deepEqual(
        result.breaks.map((b) => b.seq),
        how === "rows" ? [5, 15] : [1, 3],
        JSON.stringify(result.breaks),
      );
      // Every other record, between the two and after the second, verified.
      assert.equal(result.checked, 23);
    });
  }
});

Deno.test("audit: deleting the oldest records and writing a checkpoint without a prune record fails verification", async () => {
  await withLog(25, "rows", async (database) => {
    const [row] = (await database.client.execute("SELECT hash FROM audit_log WHERE seq = 5")).rows;
    await database.client.execute("DELETE FROM audit_log WHERE seq <= 5");
    await database.client.execute({
      sql: "INSERT INTO meta (key, value) VALUES ('audit_checkpoint', ?)",
      args: [JSON.stringify({ seq: 5, hash: String(row.hash), pruned: 5 })],
    });
    const result = await verifyChain(database.db);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.match(result.problem, /no admin\.audit\.pruned record/);
    assert.equal(result.checked, 20, "the records after it still verify");
  });
});
