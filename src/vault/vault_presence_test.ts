import assert from "node:assert/strict";
import { openDatabase } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { Keyring } from "./keyring.ts";
import { holdsVault, serverHoldsVault } from "./vault_presence.ts";

Deno.test("vault presence: a database holds a vault once it has a vault key, not before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-vault-presence-" });
  const url = `file:${dir}/securix.db`;
  try {
    const database = await openDatabase({ url, create: true });
    try {
      assert.equal(await holdsVault(database.client), false, "empty");
      await migrate(database.client, MIGRATIONS);
      assert.equal(await holdsVault(database.client), false, "migrated, no key yet");
      await Keyring.open(database, crypto.getRandomValues(new Uint8Array(32)));
      assert.equal(await holdsVault(database.client), true, "the first start's key");
    } finally {
      database.close();
    }
    // As serve asks a server: its own connection, opened without any master key.
    assert.equal(await serverHoldsVault({ url, authToken: null }), true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
