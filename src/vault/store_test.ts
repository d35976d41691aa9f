import assert from "node:assert/strict";
import { openSecondDatabase, openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { Keyring } from "./keyring.ts";
import { rotateKey } from "./rotate.ts";
import { recordAad, VaultStore } from "./store.ts";
import { VaultError } from "./vault_error.ts";

const decryptError = (recordId: string) => (e: unknown) =>
  e instanceof VaultError && e.code === "SX-VAULT-DECRYPT" && e.recordId === recordId;

Deno.test("store: round trip, versions, compare-and-swap, delete", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault } = appliance;
    assert.equal(await vault.get("r1", "test"), null);
    assert.equal(await vault.put("r1", "test", "hello ✓"), 1);
    assert.deepEqual(await vault.get("r1", "test"), { value: "hello ✓", version: 1 });
    assert.equal(await vault.put("r1", "test", "again"), 2);
    assert.equal(await vault.putIfVersion("r1", "test", "stale", 1), null);
    assert.deepEqual(await vault.get("r1", "test"), { value: "again", version: 2 });
    assert.equal(await vault.putIfVersion("r1", "test", "fresh", 2), 3);
    assert.deepEqual(await vault.get("r1", "test"), { value: "fresh", version: 3 });
    assert.equal(await vault.putIfVersion("missing", "test", "x", 1), null);
    await vault.delete("r1");
    assert.equal(await vault.get("r1", "test"), null);
    assert.equal(await vault.putIfVersion("r1", "test", "after delete", 3), null);
  } finally {
    await cleanup();
  }
});

Deno.test("store: one flipped byte of a stored ciphertext is SX-VAULT-DECRYPT", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    await appliance.vault.put("r1", "test", "secret value");
    const row = await appliance.database.client.execute(
      "SELECT ciphertext FROM vault_records WHERE id = 'r1'",
    );
    const bytes = new Uint8Array(row.rows[0].ciphertext as ArrayBuffer);
    for (const position of [0, 11, 12, bytes.length - 17, bytes.length - 1]) {
      const tampered = bytes.slice();
      tampered[position] ^= 0x01;
      await appliance.database.client.execute({
        sql: "UPDATE vault_records SET ciphertext = ? WHERE id = 'r1'",
        args: [tampered],
      });
      await assert.rejects(appliance.vault.get("r1", "test"), decryptError("r1"), `${position}`);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("store: ciphertext moved to another id, or read for another purpose, fails", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { vault, database } = appliance;
    await vault.put("a", "token", "alpha");
    await vault.put("b", "token", "bravo");
    await database.client.execute(
      "UPDATE vault_records SET ciphertext = " +
        "(SELECT ciphertext FROM vault_records WHERE id = 'a') WHERE id = 'b'",
    );
    await assert.rejects(vault.get("b", "token"), decryptError("b"));
    await assert.rejects(vault.get("a", "webhook-secret"), decryptError("a"));
    assert.equal((await vault.get("a", "token"))?.value, "alpha");
  } finally {
    await cleanup();
  }
});

Deno.test("store: associated data cannot be shifted between purpose and id", () => {
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  assert.notEqual(decode(recordAad("c", "a:b")), decode(recordAad("b:c", "a")));
  assert.equal(decode(recordAad("cred_1", "token")), "securix-vault:v1:5:token:cred_1");
});

/** A keyring whose next activeKeyId() answers `id`: a writer that read it just before a switch. */
function lagging(keyring: Keyring) {
  let staleId: number | null = null;
  return {
    staleOnce: (id: number) => staleId = id,
    activeKeyId: async () => {
      const id = staleId;
      staleId = null;
      return id ?? await keyring.activeKeyId();
    },
    key: (id: number) => keyring.key(id),
    forget: (id: number) => keyring.forget(id),
  };
}

Deno.test("store: a write sealed with a key that stopped being active is re-sealed", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { database, keyring } = appliance;
    await appliance.vault.put("r", "token", "before");
    const writer = lagging(keyring);
    const vault = new VaultStore({ database, keyring: writer });
    await keyring.addVersion(); // v1 is decrypt-only, its key still in memory
    writer.staleOnce(1);
    assert.equal(await vault.put("r", "token", "after"), 2);
    writer.staleOnce(1);
    assert.equal(await vault.put("new", "token", "fresh"), 1);
    writer.staleOnce(1);
    assert.equal(await vault.putIfVersion("r", "token", "cas", 2), 3);
    writer.staleOnce(1);
    assert.equal(await vault.putIfVersion("r", "token", "lost", 2), null);
    const keys = await database.client.execute("SELECT DISTINCT key_id FROM vault_records");
    assert.deepEqual(keys.rows.map((r) => r.key_id), [2], "nothing landed on v1");
    assert.equal((await appliance.vault.get("r", "token"))?.value, "cas");
    assert.equal((await appliance.vault.get("new", "token"))?.value, "fresh");
    // With nothing on v1, rotation can retire it, and the store keeps working.
    await rotateKey({ database, keyring, batchSize: 10 });
    writer.staleOnce(2);
    assert.equal(await vault.put("r", "token", "after retirement"), 4);
    assert.equal((await appliance.vault.get("r", "token"))?.value, "after retirement");
  } finally {
    await cleanup();
  }
});

Deno.test("store: a process holding a retired key still refuses an old ciphertext", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  const second = await openSecondDatabase(appliance.config);
  try {
    const { database, keyring, vault } = appliance;
    await vault.put("r", "token", "old refresh token");
    const other = new VaultStore({
      database: second,
      keyring: await Keyring.open(second, appliance.config.vault.masterKey),
    });
    assert.equal((await other.get("r", "token"))?.value, "old refresh token"); // caches v1
    const old = await database.client.execute(
      "SELECT ciphertext FROM vault_records WHERE id = 'r'",
    );
    await vault.put("r", "token", "new refresh token");
    await rotateKey({ database, keyring, batchSize: 10 });
    await database.client.execute({
      sql: "UPDATE vault_records SET ciphertext = ?, key_id = 1 WHERE id = 'r'",
      args: [old.rows[0].ciphertext],
    });
    await assert.rejects(vault.get("r", "token"), decryptError("r"));
    await assert.rejects(other.get("r", "token"), decryptError("r"));
  } finally {
    second.close();
    await cleanup();
  }
});
