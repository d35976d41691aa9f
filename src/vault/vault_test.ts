import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { Keyring } from "./keyring.ts";
import { rotateKey } from "./rotate.ts";
import { VaultStore } from "./store.ts";

const isCode = (code: string) => (e: unknown) => e instanceof SecurixError && e.code === code;

Deno.test("vault: round trip, versions, delete", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault } = appliance;
    assert.equal(await vault.put("r1", "test", "hello"), 1);
    assert.deepEqual(await vault.get("r1", "test"), { value: "hello", version: 1 });
    assert.equal(await vault.put("r1", "test", "again"), 2);
    assert.equal(await vault.putIfVersion("r1", "test", "stale", 1), null);
    assert.equal(await vault.putIfVersion("r1", "test", "fresh", 2), 3);
    assert.deepEqual(await vault.get("r1", "test"), { value: "fresh", version: 3 });
    await vault.delete("r1");
    assert.equal(await vault.get("r1", "test"), null);
  } finally {
    await cleanup();
  }
});

Deno.test("vault: one flipped byte of a ciphertext is a typed error", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    await appliance.vault.put("r1", "test", "secret value");
    const row = await appliance.database.client.execute(
      "SELECT ciphertext FROM vault_records WHERE id = 'r1'",
    );
    const bytes = new Uint8Array(row.rows[0].ciphertext as ArrayBuffer);
    for (const position of [0, 12, bytes.length - 1]) {
      const tampered = bytes.slice();
      tampered[position] ^= 0x01;
      await appliance.database.client.execute({
        sql: "UPDATE vault_records SET ciphertext = ? WHERE id = 'r1'",
        args: [tampered],
      });
      await assert.rejects(appliance.vault.get("r1", "test"), isCode("SX-VAULT-DECRYPT"));
    }
  } finally {
    await cleanup();
  }
});

Deno.test("vault: swapping ciphertexts between records, or reading another purpose, fails", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, database } = appliance;
    await vault.put("a", "token", "alpha");
    await vault.put("b", "token", "bravo");
    await database.client.execute(
      "UPDATE vault_records SET ciphertext = (SELECT ciphertext FROM vault_records WHERE id = 'a') WHERE id = 'b'",
    );
    await assert.rejects(vault.get("b", "token"), isCode("SX-VAULT-DECRYPT"));
    await assert.rejects(vault.get("a", "other-purpose"), isCode("SX-VAULT-DECRYPT"));
    assert.equal((await vault.get("a", "token"))?.value, "alpha");
  } finally {
    await cleanup();
  }
});

Deno.test("vault: a different master key is refused before anything is served", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    await appliance.vault.put("a", "token", "alpha");
    const other = crypto.getRandomValues(new Uint8Array(32));
    await assert.rejects(Keyring.open(appliance.database, other), isCode("SX-MASTER-KEY-MISMATCH"));
  } finally {
    await cleanup();
  }
});

Deno.test("vault: the embedded file with a wrong master key does not open", async () => {
  const first = await openTempAppliance();
  first.appliance.close();
  const wrong = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
  await assert.rejects(
    openTempAppliance({ dir: first.dir, masterKeyHex: wrong }),
    isCode("SX-MASTER-KEY-MISMATCH"),
  );
  await Deno.remove(first.dir, { recursive: true });
});

Deno.test("vault: rotation re-encrypts everything; old ciphertexts open until retired", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    for (let i = 0; i < 120; i++) await vault.put(`r${i}`, "token", `value-${i}`);
    const before = await database.client.execute(
      "SELECT ciphertext FROM vault_records WHERE id = 'r7'",
    );
    const oldCiphertext = before.rows[0].ciphertext;
    const result = await rotateKey({ database, keyring, batchSize: 25, settleMs: 0 });
    assert.equal(result.newKeyId, 2);
    assert.equal(result.reencrypted, 120);
    assert.deepEqual(result.retired, [1]);
    const keys = await database.client.execute("SELECT DISTINCT key_id FROM vault_records");
    assert.deepEqual(keys.rows.map((r) => r.key_id), [2]);
    for (let i = 0; i < 120; i++) {
      assert.equal((await vault.get(`r${i}`, "token"))?.value, `value-${i}`);
    }
    // An old ciphertext put back (a restored backup row) no longer opens: v1 is retired and erased.
    await database.client.execute({
      sql: "UPDATE vault_records SET ciphertext = ?, key_id = 1 WHERE id = 'r7'",
      args: [oldCiphertext],
    });
    await assert.rejects(vault.get("r7", "token"), isCode("SX-VAULT-DECRYPT"));
  } finally {
    await cleanup();
  }
});

Deno.test("vault: before retirement, records on the previous version still open", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring } = appliance;
    await vault.put("old", "token", "sealed with v1");
    await keyring.addVersion();
    assert.equal((await vault.get("old", "token"))?.value, "sealed with v1");
    await vault.put("new", "token", "sealed with v2");
    assert.deepEqual(
      (await keyring.versions()).map((v) => [v.id, v.status, v.records]),
      [[1, "decrypt_only", 1], [2, "active", 1]],
    );
  } finally {
    await cleanup();
  }
});

Deno.test("vault: rotation while reads and writes run loses nothing", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, keyring, database } = appliance;
    const latest = new Map<string, string>();
    for (let i = 0; i < 300; i++) {
      await vault.put(`r${i}`, "token", `v0-${i}`);
      latest.set(`r${i}`, `v0-${i}`);
    }
    let stop = false;
    let reads = 0;
    let writes = 0;
    const worker = async (seed: number) => {
      let n = seed;
      while (!stop) {
        const id = `r${n % 300}`;
        if (n % 3 === 0) {
          const value = `w${seed}-${n}`;
          await vault.put(id, "token", value);
          latest.set(id, value);
          writes++;
        } else {
          const got = await vault.get(id, "token");
          assert.ok(got, `record ${id} vanished`);
          reads++;
        }
        n += 7;
      }
    };
    const workers = [worker(1), worker(2), worker(3)];
    const result = await rotateKey({ database, keyring, batchSize: 25, settleMs: 50 });
    stop = true;
    await Promise.all(workers);
    assert.ok(reads > 0 && writes > 0, `concurrent traffic ran (${reads} reads, ${writes} writes)`);
    for (const [id, value] of latest) {
      assert.equal((await vault.get(id, "token"))?.value, value, id);
    }
    const keys = await database.client.execute("SELECT DISTINCT key_id FROM vault_records");
    assert.deepEqual(keys.rows.map((r) => r.key_id), [result.newKeyId]);
  } finally {
    await cleanup();
  }
});

Deno.test("vault: another process's keyring picks up a rotation", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const second = new VaultStore({
      database: appliance.database,
      keyring: await Keyring.open(appliance.database, appliance.config.vault.masterKey),
    });
    await appliance.keyring.addVersion();
    await appliance.vault.put("x", "token", "after rotation");
    assert.equal((await second.get("x", "token"))?.value, "after rotation");
    await second.put("y", "token", "written by the other");
    const row = await appliance.database.client.execute(
      "SELECT key_id FROM vault_records WHERE id = 'y'",
    );
    assert.equal(row.rows[0].key_id, 2);
  } finally {
    await cleanup();
  }
});
