import assert from "node:assert/strict";
import { seedApp } from "../../tests/helpers/seed.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { saveApp } from "./app_store.ts";
import { KeyAuthenticator } from "./key_authenticator.ts";
import { createApiKey, revokeAppKeys } from "./key_store.ts";

Deno.test("KeyAuthenticator.forgetApp: the app is re-read at once; a lookup in flight is not cached", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  const db = appliance.database.db;
  try {
    const { app, apiKey } = await seedApp(appliance, { name: "demo" });
    const { apiKey: otherKey } = await seedApp(appliance, { name: "other" });
    const auth = new KeyAuthenticator({ db, now: appliance.now });
    assert.equal((await auth.authenticate(apiKey))?.app.name, "demo");
    await saveApp(db, { ...app, name: "demo2" });
    assert.equal((await auth.authenticate(apiKey))?.app.name, "demo", "cached for the TTL");
    auth.forgetApp(app.id);
    assert.equal((await auth.authenticate(apiKey))?.app.name, "demo2");

    // Read before the revoke committed, finished after the forget: not cached as live.
    auth.forgetApp(app.id);
    const inFlight = auth.authenticate(apiKey);
    auth.forgetApp(app.id);
    assert.ok(await inFlight);
    await revokeAppKeys(db, app.id, appliance.now());
    assert.equal(await auth.authenticate(apiKey), null);
    assert.equal((await auth.authenticate(otherKey))?.app.name, "other");
  } finally {
    await temp.cleanup();
  }
});

Deno.test("KeyAuthenticator: the key's role comes with its lookup and is cached with it", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  const db = appliance.database.db;
  try {
    const { app, apiKey } = await seedApp(appliance, { name: "demo" });
    const { secret: agentKey } = await createApiKey(db, app.id, appliance, "agent");
    const auth = new KeyAuthenticator({ db, now: appliance.now });
    assert.equal((await auth.authenticate(apiKey))?.role, "backend", "the default");
    assert.equal((await auth.authenticate(agentKey))?.role, "agent");
    // A cached answer carries the role: no query of its own (the row is not read again).
    await appliance.database.client.execute("UPDATE api_keys SET role = 'backend'");
    assert.equal((await auth.authenticate(agentKey))?.role, "agent", "from the cache");
    auth.invalidate();
    assert.equal((await auth.authenticate(agentKey))?.role, "backend", "re-read after a forget");
  } finally {
    await temp.cleanup();
  }
});
