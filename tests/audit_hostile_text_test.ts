/**
 * Whatever text reaches an audit record (an app's entity id, agent id, a note),
 * the record is stored exactly as it was hashed, in rows and in packs, and
 * `audit verify` passes. Property-style: seeded random strings built from the
 * pieces that broke it (NUL, both halves of a lone surrogate, U+2028,
 * emoji, control characters, very long strings).
 */
import assert from "node:assert/strict";
import { appendAudit } from "../src/audit/append.ts";
import type { AuditEvent } from "../src/audit/audit_types.ts";
import { AuditWriter } from "../src/audit/audit_writer.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { storableText } from "../src/audit/storable_text.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const PIECES = [
  "\u0000",
  "\ud800",
  "\udbff",
  "\udc00",
  "\udfff",
  "\u2028",
  "\u2029",
  "😀",
  "\ud83d\ude00",
  "\x1b[31m",
  "\r\n",
  "\t",
  "\x7f",
  "\u0085",
  "\ufeff",
  "\uffff",
  "é",
  '"',
  "\\",
  "'",
  "a",
  "user-1",
  "",
];

/** xorshift32: the same strings on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function hostileStrings(count: number, seed = 0x5ec0): string[] {
  const next = random(seed);
  const out = ["\u0000", "x\ud800", "\udc00x", "\u2028", "😀", "x".repeat(100_000) + "\ud800"];
  while (out.length < count) {
    let s = "";
    const n = Math.floor(next() * 12);
    for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)];
    if (next() < 0.05) s += "y".repeat(10_000 + Math.floor(next() * 50_000));
    out.push(s);
  }
  return out;
}

function hostileEvent(s: string, i: number): AuditEvent {
  return {
    kind: "proxy.request",
    at: 1_800_000_000_000 + i,
    appId: "app_1",
    agentId: s,
    entityId: s,
    provider: "gmail",
    data: { decision: "allowed", note: s, path: `/m/${s}`, status: 200, [s]: s, nested: { s } },
  };
}

Deno.test("audit: hostile text in every field is stored as hashed, in rows and packs, and verify passes", async () => {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const strings = hostileStrings(200);
  try {
    const writer = new AuditWriter({ database, intervalMs: 60_000 });
    let i = 0;
    for (const s of strings) {
      // A batch of one is a row, several a pack; state changes write rows in their transaction.
      if (i % 3 === 0) {
        await database.transaction((tx) => appendAudit(tx, [hostileEvent(s, i)]));
      } else if (i % 3 === 1) {
        writer.record(hostileEvent(s, i));
        await writer.flush();
      } else {
        writer.record(hostileEvent(s, i));
        writer.record(hostileEvent(s + "\ud800", i));
        writer.record({ ...hostileEvent(s, i), kind: "proxy.request" });
        await writer.flush();
      }
      i++;
    }
    await writer.stop();
    const { rows } = await database.client.execute(
      "SELECT sum(CASE WHEN records = 1 THEN 1 ELSE 0 END) AS single, " +
        "sum(CASE WHEN records > 1 THEN 1 ELSE 0 END) AS packs FROM audit_log",
    );
    assert.ok(Number(rows[0].single) > 100 && Number(rows[0].packs) > 50, JSON.stringify(rows));
    // Read back, each stored value is the one the record was hashed with.
    const records = await listRecords(database.db);
    const entities = records.map((r) => r.entityId);
    const expected = strings.flatMap((s, n) =>
      n % 3 === 2 ? [s, s + "\ud800", s].map(storableText) : [storableText(s)]
    );
    assert.equal(entities.length, expected.length);
    entities.forEach((e, n) => assert.equal(e, expected[n], `record ${n}`));
    temp.appliance.close();
    const verify = captureIo();
    const code = await runCli(["--config", temp.configPath, "audit", "verify"], verify.io);
    assert.equal(code, 0, [...verify.out, ...verify.err].join("\n"));
    assert.match(
      verify.out.join("\n"),
      new RegExp(`Audit chain intact: ${expected.length} records`),
    );
  } finally {
    await temp.cleanup();
  }
});
