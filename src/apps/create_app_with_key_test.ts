import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { createAppWithKey } from "./create_app_with_key.ts";

Deno.test("createAppWithKey: app, key and their audit records commit together; never the key", async () => {
  const temp = await openTempAppliance();
  try {
    const { database, now } = temp.appliance;
    const by = { actor: "cli", osUser: "ops" };
    const { app, record, secret } = await createAppWithKey(database, {
      name: "demo",
      origins: ["https://app.example.com"],
    }, { now, by });
    // The name is taken: nothing of the second attempt remains, audit records included.
    await assert.rejects(
      createAppWithKey(database, { name: "demo", origins: [] }, { now, by }),
      /already exists/,
    );
    const rows = (await database.client.execute(
      "SELECT kind, app_id, data FROM audit_log ORDER BY seq",
    )).rows;
    assert.deepEqual(rows.map((r) => [r.kind, r.app_id]), [
      ["admin.app.created", app.id],
      ["admin.key.created", app.id],
    ]);
    assert.deepEqual(JSON.parse(String(rows[1].data)), {
      keyId: record.id,
      role: "backend",
      actor: "cli",
      osUser: "ops",
    });
    assert.equal(JSON.stringify(rows).includes(secret), false);
    assert.equal((await database.client.execute("SELECT 1 FROM api_keys")).rows.length, 1);
  } finally {
    await temp.cleanup();
  }
});
