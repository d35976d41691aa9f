/**
 * Tamper evidence against someone who holds the database file: the attacks
 * of issue #10, each run through the real CLI (`audit head`, `audit verify
 * --expect-head`). A head signed before the attack, kept elsewhere, catches
 * what the database alone cannot.
 */
import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { appendAudit } from "../src/audit/append.ts";
import { AuditWriter } from "../src/audit/audit_writer.ts";
import { pruneAudit } from "../src/audit/prune.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { openTempAppliance, type TempAppliance } from "./helpers/temp_appliance.ts";

const AT = Date.parse("2026-11-23T10:00:00Z");

/** 10 records in rows, 40 in packs, 10 more in rows. */
async function auditLog(): Promise<TempAppliance> {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const row = (i: number) =>
    database.transaction((tx) =>
      appendAudit(tx, [{ kind: "session.created", at: AT + i, entityId: `u${i}`, data: { i } }])
    );
  for (let i = 0; i < 10; i++) await row(i);
  const writer = new AuditWriter({ database, intervalMs: 60_000 });
  for (let i = 10; i < 50; i++) {
    writer.record({ kind: "proxy.request", at: AT + i, entityId: "u1", data: { i } });
    if (i % 10 === 9) await writer.flush();
  }
  await writer.stop();
  for (let i = 50; i < 60; i++) await row(i);
  return temp;
}

async function cli(temp: TempAppliance, ...args: string[]) {
  const io = captureIo();
  const code = await runCli(["--config", temp.configPath, "audit", ...args], io.io);
  return { code, out: io.out.join("\n"), err: io.err.join("\n") };
}

async function signedHead(temp: TempAppliance): Promise<string> {
  const head = await cli(temp, "head");
  assert.equal(head.code, 0, head.err);
  assert.match(head.out, /^sxh1\.60\.[0-9a-f]{64}\.\d+\.[0-9a-f]{64}$/);
  return head.out;
}

Deno.test("audit head: an intact log reaches its signed head, given as a value or a file, also after more records", async () => {
  const temp = await auditLog();
  try {
    const head = await signedHead(temp);
    assert.equal((await cli(temp, "verify", "--expect-head", head)).code, 0);
    const json = JSON.parse((await cli(temp, "head", "--json")).out);
    assert.equal(json.seq, 60);
    await Deno.writeTextFile(`${temp.dir}/head.json`, JSON.stringify(json));
    await temp.appliance.database.transaction((tx) =>
      appendAudit(tx, [{ kind: "admin.app.created", at: AT + 100, data: {} }])
    );
    const later = await cli(temp, "verify", "--expect-head", `${temp.dir}/head.json`);
    assert.equal(later.code, 0, later.err);
    assert.match(later.out, /61 records verified; reaches the signed head \(record 60\)/);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("audit head: deleting the newest records and rewriting the stored head is caught by --expect-head", async () => {
  for (const cut of ["rows", "a pack"]) {
    const temp = await auditLog();
    try {
      const head = await signedHead(temp);
      const client = temp.appliance.database.client;
      // The attacker deletes the newest records (the last rows, or everything from the
      // last pack on) and rewrites the head so the database agrees with itself.
      const from = cut === "rows"
        ? "(SELECT max(seq) - 2 FROM audit_log)"
        : "(SELECT max(seq) FROM audit_log WHERE records > 1)";
      await client.execute(`DELETE FROM audit_log WHERE seq >= ${from}`);
      const { rows: [last] } = await client.execute(
        "SELECT hash, (SELECT sum(records) FROM audit_log) AS n FROM audit_log " +
          "ORDER BY seq DESC LIMIT 1",
      );
      await client.execute({
        sql: "UPDATE meta SET value = ? WHERE key = 'audit_head'",
        args: [JSON.stringify({ hash: last.hash, count: Number(last.n) })],
      });
      assert.equal((await cli(temp, "verify")).code, 0, "the database alone cannot tell");
      const checked = await cli(temp, "verify", "--expect-head", head);
      assert.equal(checked.code, 1);
      assert.match(checked.err, /before the expected head \(record 60/);
      assert.match(checked.err, /SX-AUDIT-BROKEN/);
    } finally {
      await temp.cleanup();
    }
  }
});

Deno.test("audit head: rewriting history after a signed head (same length) is caught", async () => {
  const temp = await auditLog();
  try {
    const head = await signedHead(temp);
    // Records 58–60 rewritten and re-chained by someone with the file: the links hold,
    // the stored head is updated, only the signed head still knows the old hash.
    const client = temp.appliance.database.client;
    await client.execute("DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 3 FROM audit_log)");
    const { rows: [last] } = await client.execute(
      "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1",
    );
    await client.execute({
      sql: "UPDATE meta SET value = ? WHERE key = 'audit_head'",
      args: [JSON.stringify({ hash: last.hash, count: 57 })],
    });
    await temp.appliance.database.transaction((tx) =>
      appendAudit(
        tx,
        [0, 1, 2].map((i) => ({ kind: "session.created", at: AT + 57 + i, data: { forged: i } })),
      )
    );
    assert.equal((await cli(temp, "verify")).code, 0);
    const checked = await cli(temp, "verify", "--expect-head", head);
    assert.equal(checked.code, 1);
    assert.match(checked.err, /does not match the expected head \(record 60/);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("audit head: deleting the oldest rows and writing a fake checkpoint fails verify; a real prune passes", async () => {
  const temp = await auditLog();
  try {
    const client = temp.appliance.database.client;
    const { rows: [fifth] } = await client.execute("SELECT hash FROM audit_log WHERE seq = 5");
    await client.execute("DELETE FROM audit_log WHERE seq <= 5");
    await client.execute({
      sql: "INSERT INTO meta (key, value) VALUES ('audit_checkpoint', ?)",
      args: [JSON.stringify({ seq: 5, hash: fifth.hash, pruned: 5 })],
    });
    const faked = await cli(temp, "verify");
    assert.equal(faked.code, 1);
    assert.match(faked.err, /no admin\.audit\.pruned record after it/);
  } finally {
    await temp.cleanup();
  }
  const honest = await auditLog();
  try {
    const head = await signedHead(honest);
    await pruneAudit(honest.appliance.database, AT + 5, { actor: "cli" }, AT + 1_000);
    const verified = await cli(honest, "verify", "--expect-head", head);
    assert.equal(verified.code, 0, verified.err);
    assert.match(verified.out, /5 pruned by retention/);
  } finally {
    await honest.cleanup();
  }
});

Deno.test("audit head: a head signed with another master key, or edited, is refused", async () => {
  const temp = await auditLog();
  const other = await openTempAppliance({
    masterKeyHex: encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32))),
  });
  try {
    for (let i = 0; i < 60; i++) {
      await other.appliance.database.transaction((tx) =>
        appendAudit(tx, [{ kind: "session.created", at: AT + i, data: { i } }])
      );
    }
    const foreign = (await cli(other, "head")).out;
    const refused = await cli(temp, "verify", "--expect-head", foreign);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /SX-AUDIT-HEAD-INVALID.*another master key/);
    const own = await signedHead(temp);
    const parts = own.split(".");
    parts[1] = "59";
    const edited = await cli(temp, "verify", "--expect-head", parts.join("."));
    assert.match(edited.err, /SX-AUDIT-HEAD-INVALID/);
    assert.equal(edited.code, 1);
    const garbage = await cli(temp, "verify", "--expect-head", `${temp.dir}/missing`);
    assert.match(garbage.err, /SX-AUDIT-HEAD-INVALID/);
  } finally {
    await temp.cleanup();
    await other.cleanup();
  }
});

Deno.test("audit verify: two separate tamperings are both printed, and the rest counted as verified", async () => {
  const temp = await auditLog();
  try {
    await temp.appliance.database.client.executeMultiple(
      "UPDATE audit_log SET entity_id = 'x' WHERE seq = 2; " +
        "UPDATE audit_log SET entity_id = 'y' WHERE seq = (SELECT max(seq) - 1 FROM audit_log);",
    );
    const result = await cli(temp, "verify");
    assert.equal(result.code, 1);
    const lines = result.err.split("\n").filter((l) => l.startsWith("Audit chain BROKEN"));
    assert.equal(lines.length, 2, result.err);
    assert.match(lines[0], /record #2 .*edited/);
    assert.match(result.err, /2 breaks; 58 records verified/);
  } finally {
    await temp.cleanup();
  }
});
