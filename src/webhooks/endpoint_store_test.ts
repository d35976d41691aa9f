import assert from "node:assert/strict";
import { createApp } from "../apps/app_store.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { addEndpoint, rotateEndpointSecret, signingSecrets } from "./endpoint_store.ts";

const HOUR = 3_600_000;

Deno.test("endpoint store: a second rotation inside the grace period keeps the first secret's promised end", async () => {
  const clock = { t: Date.now() };
  const temp = await openTempAppliance({ now: () => clock.t });
  try {
    const { database, vault } = temp.appliance;
    const deps = { db: database.db, vault, now: () => clock.t };
    const vaultRows = async () =>
      Number((await database.client.execute("SELECT count(*) AS n FROM vault_records")).rows[0].n);
    const app = await createApp(database.db, { name: "a", origins: [] }, { now: () => clock.t });
    const { endpoint, secret: s0 } = await addEndpoint(deps, app.id, "https://hooks.example/x", [
      "*",
    ]);
    const first = await rotateEndpointSecret(deps, endpoint.id, 24 * HOUR);
    const s1 = first.secret;
    assert.equal(first.rotatingUntil, first.oldValidUntil);
    const stored = await vaultRows();

    clock.t += HOUR; // well inside s0's promised 24 h
    const refused = await rotateEndpointSecret(deps, endpoint.id, 24 * HOUR).catch((e) => e);
    assert.ok(refused instanceof SecurixError, String(refused));
    assert.equal(refused.code, "SX-WEBHOOK-ROTATING");
    assert.equal(refused.status, 409);
    const until = new Date(first.oldValidUntil).toISOString();
    assert.deepEqual(refused.details, { rotatingUntil: until });
    assert.ok(refused.message.includes(until) && refused.message.includes("--grace-hours 0"));
    assert.deepEqual(await signingSecrets(deps, endpoint.id), [s1, s0], "nothing changed");
    assert.equal(await vaultRows(), stored, "the refused rotation's secret was not kept");

    // Grace 0 replaces the current secret at once; s0 keeps signing until its end.
    const replaced = await rotateEndpointSecret(deps, endpoint.id, 0);
    assert.equal(replaced.oldValidUntil, clock.t);
    assert.equal(replaced.rotatingUntil, first.oldValidUntil);
    assert.deepEqual(await signingSecrets(deps, endpoint.id), [replaced.secret, s0]);
    assert.equal(await vaultRows(), stored, "s1 left the vault");

    clock.t = first.oldValidUntil + 1;
    assert.deepEqual(await signingSecrets(deps, endpoint.id), [replaced.secret]);
    // Once the grace is over, a rotation with a grace period is accepted again.
    const later = await rotateEndpointSecret(deps, endpoint.id, 24 * HOUR);
    assert.deepEqual(await signingSecrets(deps, endpoint.id), [later.secret, replaced.secret]);
    assert.equal(await vaultRows(), stored, "s0 left the vault");
  } finally {
    await temp.cleanup();
  }
});
