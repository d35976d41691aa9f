import assert from "node:assert/strict";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { openSecondDatabase, openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { Keyring } from "./keyring.ts";
import { VaultStore } from "./store.ts";

const isCode = (code: string) => (e: unknown) => e instanceof SecurixError && e.code === code;

Deno.test("keyring: an empty vault gets an active v1; reopening finds the same key", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { database, keyring, vault, config } = appliance;
    assert.deepEqual((await keyring.versions()).map((v) => [v.id, v.status]), [[1, "active"]]);
    await vault.put("r", "test", "sealed by the first keyring");
    const again = await Keyring.open(database, config.vault.masterKey);
    assert.equal(await again.activeKeyId(), 1);
    const other = new VaultStore({ database, keyring: again });
    assert.equal((await other.get("r", "test"))?.value, "sealed by the first keyring");
    assert.equal((await keyring.versions()).length, 1, "no second version was created");
  } finally {
    await cleanup();
  }
});

Deno.test("keyring: another master key on a used vault is SX-MASTER-KEY-MISMATCH", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    await appliance.vault.put("a", "token", "alpha");
    const other = crypto.getRandomValues(new Uint8Array(32));
    const error = await Keyring.open(appliance.database, other).catch((e) => e);
    assert.ok(isCode("SX-MASTER-KEY-MISMATCH")(error), String(error));
    assert.match(error.message, /master key does not match this database/);
    assert.match(error.message, /master key the database was created with/);
  } finally {
    await cleanup();
  }
});

Deno.test("keyring: the embedded file with a wrong master key stops clearly", async () => {
  const first = await openTempAppliance();
  first.appliance.close();
  try {
    const wrong = encodeHexLowerCase(crypto.getRandomValues(new Uint8Array(32)));
    const error = await openTempAppliance({ dir: first.dir, masterKeyHex: wrong }).catch((e) => e);
    assert.ok(isCode("SX-MASTER-KEY-MISMATCH")(error), String(error));
    assert.match(error.message, /master key/);
  } finally {
    await Deno.remove(first.dir, { recursive: true });
  }
});

Deno.test("keyring: a wrapped key is bound to its version number", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  try {
    const { database, keyring, config } = appliance;
    await keyring.addVersion();
    await database.client.execute(
      "UPDATE vault_keys SET wrapped_key = (SELECT wrapped_key FROM vault_keys WHERE id = 1) " +
        "WHERE id = 2",
    );
    await assert.rejects(
      Keyring.open(database, config.vault.masterKey),
      isCode("SX-MASTER-KEY-MISMATCH"),
    );
  } finally {
    await cleanup();
  }
});

Deno.test("keyring: addVersion switches keys; retireUnused erases unused ones", async () => {
  let clock = 1_000;
  const { appliance, cleanup } = await openTempAppliance({ now: () => clock });
  try {
    const { keyring, vault, database } = appliance;
    await vault.put("old", "token", "on v1");
    clock = 2_000;
    assert.equal(await keyring.addVersion(), 2);
    assert.equal(await keyring.activeKeyId(), 2);
    assert.equal(await keyring.addVersion(), 3);
    assert.deepEqual(await keyring.retireUnused(), [2], "v1 still has a record");
    assert.deepEqual(
      (await keyring.versions()).map((v) => [v.id, v.status, v.records, v.retiredAt]),
      [[1, "decrypt_only", 1, null], [2, "retired", 0, 2_000], [3, "active", 0, null]],
    );
    const wrapped = await database.client.execute(
      "SELECT id, length(wrapped_key) AS n FROM vault_keys",
    );
    assert.deepEqual(wrapped.rows.map((r) => [r.id, Number(r.n) > 0]), [[1, true], [2, false], [
      3,
      true,
    ]]);
    assert.equal(await keyring.key(2), null, "a retired key is gone from memory too");
    assert.ok(await keyring.key(1));
  } finally {
    await cleanup();
  }
});

Deno.test("keyring: a second connection (another process) sees a new version at once", async () => {
  const { appliance, cleanup } = await openTempAppliance();
  const second = await openSecondDatabase(appliance.config);
  try {
    const otherKeyring = await Keyring.open(second, appliance.config.vault.masterKey);
    const otherVault = new VaultStore({ database: second, keyring: otherKeyring });
    assert.equal(await otherKeyring.activeKeyId(), 1);
    assert.equal(await appliance.keyring.addVersion(), 2);
    assert.equal(await otherKeyring.activeKeyId(), 2, "read from the database, not cached");
    await appliance.vault.put("x", "token", "sealed with v2 by the first");
    assert.equal((await otherVault.get("x", "token"))?.value, "sealed with v2 by the first");
    await otherVault.put("y", "token", "sealed by the second");
    const row = await appliance.database.client.execute(
      "SELECT key_id FROM vault_records WHERE id = 'y'",
    );
    assert.equal(row.rows[0].key_id, 2);
    assert.equal((await appliance.vault.get("y", "token"))?.value, "sealed by the second");
  } finally {
    second.close();
    await cleanup();
  }
});
