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

Deno.test("KeyAuthenticator.check: a good cached key never waits on the lockout count; anything else reserves first", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  try {
    const { apiKey } = await seedApp(appliance, { name: "demo" });
    const reserved: string[] = [];
    const given: string[] = [];
    const auth = new KeyAuthenticator({
      db: appliance.database.db,
      now: appliance.now,
      limiter: {
        retryAfterS: () => null,
        reserve: (address) => {
          reserved.push(address);
          return Promise.resolve({ lockedForS: null, giveBack: () => given.push(address) });
        },
      },
    });
    // Not cached yet: reserved before the lookup, given back once the key is good.
    assert.equal((await auth.check(apiKey, "192.0.2.1")).ok, true);
    assert.deepEqual([reserved, given], [["192.0.2.1"], ["192.0.2.1"]]);
    // Cached: the count is never asked (in a multi-node install it is a database round trip).
    for (let i = 0; i < 100; i++) assert.equal((await auth.check(apiKey, "192.0.2.1")).ok, true);
    assert.deepEqual([reserved, given], [["192.0.2.1"], ["192.0.2.1"]]);
    // A wrong key, a cached wrong key and a missing key each reserve a failure and keep it.
    for (const key of ["sx_bad", "sx_bad", null]) {
      assert.equal((await auth.check(key, "192.0.2.2")).ok, false);
    }
    assert.deepEqual(reserved.slice(1), ["192.0.2.2", "192.0.2.2", "192.0.2.2"]);
    assert.deepEqual(given, ["192.0.2.1"]);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("KeyAuthenticator.check: concurrent calls with one good key not yet cached reserve once, so a burst is never locked out", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  try {
    const { apiKey } = await seedApp(appliance, { name: "demo" });
    const MAX_FAILURES = 5;
    let held = 0;
    let reservations = 0;
    const auth = new KeyAuthenticator({
      db: appliance.database.db,
      now: appliance.now,
      limiter: {
        retryAfterS: () => null,
        // As the database count does: past max_failures reserved at once, the address is locked.
        reserve: async () => {
          reservations++;
          await new Promise((r) => setTimeout(r, 5));
          if (held >= MAX_FAILURES) return { lockedForS: 60, giveBack: () => {} };
          held++;
          return { lockedForS: null, giveBack: () => held-- };
        },
      },
    });
    // A backend's first burst after start (or after the 5 s key cache lapses): 200 at once.
    const checks = await Promise.all(
      Array.from({ length: 200 }, () => auth.check(apiKey, "192.0.2.1")),
    );
    assert.deepEqual(checks.filter((c) => !c.ok), [], "none refused");
    assert.equal(reservations, 1, "one lookup, one reservation, for the one key");
    assert.equal(held, 0, "given back");
    // Different wrong keys at once still reserve one each: guesses are counted.
    const guesses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => auth.check(`sx_guess_${i}`, "192.0.2.2")),
    );
    assert.equal(guesses.filter((c) => c.ok).length, 0);
    assert.equal(reservations, 1 + 8);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("KeyAuthenticator.check: a key that passed once reserves nothing after its cache lapses, so its address's full count cannot lock its own backend out; a revoked one is refused and counted", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  try {
    const { app, apiKey } = await seedApp(appliance, { name: "demo" });
    let full = false;
    let reservations = 0;
    const auth = new KeyAuthenticator({
      db: appliance.database.db,
      now: appliance.now,
      limiter: {
        retryAfterS: () => null,
        reserve: () => {
          reservations++;
          return Promise.resolve(
            full ? { lockedForS: 60 } : { lockedForS: null, giveBack: () => {} },
          );
        },
      },
    });
    assert.equal((await auth.check(apiKey, "192.0.2.1")).ok, true);
    assert.equal(reservations, 1);
    // Other isolates' and nodes' lookups fill the address's count at this moment.
    full = true;
    auth.invalidate();
    assert.equal((await auth.check(apiKey, "192.0.2.1")).ok, true, "looked up, not reserved");
    assert.equal(reservations, 1);
    await revokeAppKeys(appliance.database.db, app.id, appliance.now());
    auth.invalidate();
    const revoked = await auth.check(apiKey, "192.0.2.1");
    assert.equal(revoked.ok, false);
    assert.equal(reservations, 2, "the refusal is counted");
  } finally {
    await temp.cleanup();
  }
});
