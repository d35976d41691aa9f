import assert from "node:assert/strict";
import type { Appliance } from "../http/appliance.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { rotateKey, type RotationProgress } from "./rotate.ts";
import { VaultError } from "./vault_error.ts";

const decryptError = (recordId: string) => (e: unknown) =>
  e instanceof VaultError && e.code === "SX-VAULT-DECRYPT" && e.recordId === recordId;

async function keyIds(appliance: Appliance): Promise<number[]> {
  const rows = await appliance.database.client.execute(
    "SELECT DISTINCT key_id FROM vault_records ORDER BY key_id",
  );
  return rows.rows.map((r) => Number(r.key_id));
}

Deno.test("rotate: every record moves to the new key in batches; values stay", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    for (let i = 0; i < 120; i++) await vault.put(`r${i}`, "token", `value-${i}`);
    await vault.put("r7", "token", "value-7b"); // version 2
    const progress: RotationProgress[] = [];
    const result = await rotateKey({
      database,
      keyring,
      batchSize: 25,
      onProgress: (p) => progress.push(p),
    });
    assert.equal(result.newKeyId, 2);
    assert.deepEqual([result.total, result.reencrypted, result.skipped], [120, 120, 0]);
    assert.deepEqual(result.retired, [1]);
    assert.deepEqual(progress.map((p) => p.reencrypted), [25, 50, 75, 100, 120]);
    assert.deepEqual(await keyIds(appliance), [2]);
    for (let i = 0; i < 120; i++) {
      const expected = i === 7
        ? { value: "value-7b", version: 2 }
        : { value: `value-${i}`, version: 1 };
      assert.deepEqual(await vault.get(`r${i}`, "token"), expected);
    }
    assert.deepEqual(
      (await keyring.versions()).map((v) => [v.id, v.status, v.records]),
      [[1, "retired", 0], [2, "active", 120]],
    );
  } finally {
    await cleanup();
  }
});

Deno.test("rotate: old ciphertexts open until their version is retired, then never", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    await vault.put("old", "token", "sealed with v1");
    const before = await database.client.execute(
      "SELECT ciphertext FROM vault_records WHERE id = 'old'",
    );
    await keyring.addVersion();
    assert.equal((await vault.get("old", "token"))?.value, "sealed with v1", "decrypt-only opens");
    await rotateKey({ database, keyring, batchSize: 10 });
    assert.equal((await vault.get("old", "token"))?.value, "sealed with v1");
    // The v1 ciphertext put back (a restored backup row) no longer opens: v1 is erased.
    await database.client.execute({
      sql: "UPDATE vault_records SET ciphertext = ?, key_id = 1 WHERE id = 'old'",
      args: [before.rows[0].ciphertext],
    });
    await assert.rejects(vault.get("old", "token"), decryptError("old"));
  } finally {
    await cleanup();
  }
});

Deno.test("rotate: a refresh holding a pre-rotation version still wins its swap", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    await vault.put("cred", "credential", "refresh-token-A");
    const { version } = (await vault.get("cred", "credential"))!;
    await rotateKey({ database, keyring }); // meanwhile the provider is being called
    assert.equal(await vault.putIfVersion("cred", "credential", "refresh-token-B", version), 2);
    assert.equal((await vault.get("cred", "credential"))?.value, "refresh-token-B");
  } finally {
    await cleanup();
  }
});

Deno.test("rotate: a record that does not open stops the rotation; its key stays", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    for (let i = 0; i < 5; i++) await vault.put(`r${i}`, "token", `value-${i}`);
    await database.client.execute(
      "UPDATE vault_records SET ciphertext = zeroblob(40) WHERE id = 'r3'",
    );
    await assert.rejects(rotateKey({ database, keyring, batchSize: 2 }), decryptError("r3"));
    const statuses = async () => (await keyring.versions()).map((v) => [v.id, v.status, v.records]);
    // r0..r2 moved before r3 stopped it; r3 and r4 are still on v1, which is not retired.
    assert.deepEqual(await statuses(), [[1, "decrypt_only", 2], [2, "active", 3]]);
    assert.equal((await vault.get("r4", "token"))?.value, "value-4");
    // Once the operator removes the broken record, a rotation finishes.
    await vault.delete("r3");
    await rotateKey({ database, keyring, batchSize: 2 });
    assert.deepEqual(await statuses(), [[1, "retired", 0], [2, "retired", 0], [3, "active", 4]]);
  } finally {
    await cleanup();
  }
});

Deno.test("rotate: two rotations at once both finish on the newest key", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    for (let i = 0; i < 200; i++) await vault.put(`r${i}`, "token", `value-${i}`);
    const [a, b] = await Promise.all([
      rotateKey({ database, keyring, batchSize: 7 }),
      rotateKey({ database, keyring, batchSize: 11 }),
    ]);
    assert.deepEqual([a.newKeyId, b.newKeyId].sort(), [2, 3]);
    assert.deepEqual(await keyIds(appliance), [3]);
    for (let i = 0; i < 200; i++) {
      assert.equal((await vault.get(`r${i}`, "token"))?.value, `value-${i}`);
    }
    assert.deepEqual(
      (await keyring.versions()).map((v) => v.status),
      ["retired", "retired", "active"],
    );
  } finally {
    await cleanup();
  }
});

Deno.test("rotate: reads, writes and swaps running alongside lose nothing", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    const RECORDS = 300;
    const WORKERS = 3;
    const latest = new Map<string, string>();
    for (let i = 0; i < RECORDS; i++) {
      await vault.put(`r${i}`, "token", `v0-${i}`);
      latest.set(`r${i}`, `v0-${i}`);
    }
    await vault.put("counter", "token", "0");
    let stop = false;
    const done = { reads: 0, puts: 0, swaps: 0, increments: 0 };
    const increment = async () => {
      while (true) {
        const current = (await vault.get("counter", "token"))!;
        const next = String(Number(current.value) + 1);
        if (await vault.putIfVersion("counter", "token", next, current.version) !== null) break;
      }
      done.increments++;
    };
    // Worker w alone writes records r(k * WORKERS + w), so it knows their latest value.
    const worker = async (w: number) => {
      for (let n = 0; !stop; n++) {
        const id = `r${((n * 37) % (RECORDS / WORKERS)) * WORKERS + w}`;
        const value = `w${w}-${n}`;
        if (n % 4 === 0) {
          await vault.put(id, "token", value);
          done.puts++;
        } else if (n % 4 === 1) {
          const current = (await vault.get(id, "token"))!;
          assert.equal(current.value, latest.get(id), `${id} read back`);
          const version = await vault.putIfVersion(id, "token", value, current.version);
          assert.equal(version, current.version + 1, `${id} has one writer`);
          done.swaps++;
        } else {
          assert.ok(await vault.get(`r${(n * 13 + w) % RECORDS}`, "token"));
          done.reads++;
          await increment();
          continue;
        }
        latest.set(id, value);
      }
    };
    // A short pause before each record is re-encrypted widens the window in
    // which a writer can get there first, so a rotation that overwrote it would show.
    const slowKeys = {
      addVersion: () => keyring.addVersion(),
      activeKeyId: () => keyring.activeKeyId(),
      retireUnused: () => keyring.retireUnused(),
      key: async (id: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return await keyring.key(id);
      },
    };
    // Everything settles before cleanup closes the database, and the first
    // failing worker stops the others.
    const failures: unknown[] = [];
    const workers = Array.from({ length: WORKERS }, (_, w) =>
      worker(w).catch((error) => {
        failures.push(error);
        stop = true;
      }));
    const rotation = rotateKey({ database, keyring: slowKeys, batchSize: 25 })
      .finally(() => stop = true);
    const [rotated] = await Promise.allSettled([rotation, ...workers]);
    if (failures.length > 0) throw failures[0];
    if (rotated.status === "rejected") throw rotated.reason;
    const result = rotated.value;
    const report = JSON.stringify({ ...done, ...result });
    assert.ok(done.puts > 50 && done.swaps > 50 && done.increments > 50, report);
    assert.ok(result.skipped > 0, `writers raced the rotation on some records: ${report}`);
    // Records a writer replaced first were never the rotation's to re-encrypt.
    assert.ok(result.reencrypted > 0 && result.reencrypted <= result.total, report);
    for (const [id, value] of latest) {
      assert.equal((await vault.get(id, "token"))?.value, value, id);
    }
    assert.equal((await vault.get("counter", "token"))?.value, String(done.increments));
    assert.deepEqual(await keyIds(appliance), [result.newKeyId]);
    assert.deepEqual(result.retired, [1]);
  } finally {
    await cleanup();
  }
});
