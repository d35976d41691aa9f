/**
 * `securix apps update` and `securix apps delete` as operators run them (the
 * CLI in this process, on the securix.toml of a real encrypted appliance),
 * with revocation going to a real OAuth server.
 */
import assert from "node:assert/strict";
import { findLiveKey } from "../src/apps/key_store.ts";
import { listAgents } from "../src/agents/agent_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { runCli } from "../src/cli/main.ts";
import { getConnection } from "../src/connections/connection_store.ts";
import { addEndpoint, listEndpoints } from "../src/webhooks/endpoint_store.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { seedApp, seedConnection, vaultCredential } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { LOOPBACK_INFO, openTempRuntime, UNREACHABLE_GMAIL } from "./helpers/temp_runtime.ts";

async function cli(configPath: string, ...args: string[]) {
  const { io, out, err } = captureIo({ USER: "alice" });
  const code = await runCli(["--config", configPath, ...args], io);
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("apps update: adds and removes origins one by one, renames, audits with the actor", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  try {
    await seedApp(appliance, { name: "demo", origins: ["https://a.example"] });
    const added = await cli(
      temp.configPath,
      "apps",
      "update",
      "demo",
      "--origin",
      "https://b.example",
      "--json",
    );
    assert.equal(added.code, 0, added.err);
    assert.deepEqual(JSON.parse(added.out).origins, ["https://a.example", "https://b.example"]);

    const renamed = await cli(
      temp.configPath,
      "apps",
      "update",
      "demo",
      "--remove-origin",
      "https://a.example",
      "--name",
      "demo2",
      "--json",
    );
    assert.equal(renamed.code, 0, renamed.err);
    const app = JSON.parse(renamed.out);
    assert.equal(app.name, "demo2");
    assert.deepEqual(app.origins, ["https://b.example"]);

    const bad = await cli(temp.configPath, "apps", "update", "demo2", "--origin", "https://x/y");
    assert.equal(bad.code, 1);
    assert.match(bad.err, /SX-INVALID-INPUT.*not an origin/);
    const nothing = await cli(temp.configPath, "apps", "update", "demo2");
    assert.match(nothing.err, /Nothing to change/);
    const missing = await cli(temp.configPath, "apps", "update", "nope", "--name", "x");
    assert.match(missing.err, /SX-APP-NOT-FOUND/);

    const updates = await listRecords(appliance.database.db, { kinds: "admin.app.updated" });
    assert.equal(updates.length, 2);
    assert.deepEqual(
      { ...updates[1].data },
      {
        name: "demo2",
        previousName: "demo",
        origins: ["https://b.example"],
        previousOrigins: ["https://a.example", "https://b.example"],
        actor: "cli",
        osUser: "alice",
      },
    );
  } finally {
    await temp.cleanup();
  }
});

Deno.test("SX-ORIGIN-NOT-ALLOWED names the exact command that allows the origin", async () => {
  const { temp, runtime, cleanup } = await openTempRuntime({
    raw: { providers: { gmail: UNREACHABLE_GMAIL } },
  });
  try {
    const { apiKey } = await seedApp(temp.appliance, {
      name: "demo",
      origins: ["https://app.example"],
    });
    const res = await runtime.handler(
      new Request("http://127.0.0.1/v1/auth/sessions", {
        method: "POST",
        headers: { "securix-api-key": apiKey, "content-type": "application/json" },
        body: JSON.stringify({
          entityId: "user-1",
          flow: "popup",
          providers: { gmail: {} },
          sxcHash: "a".repeat(43),
          origin: "https://new.example",
        }),
      }),
      LOOPBACK_INFO,
    );
    const { error } = await res.json();
    assert.equal(res.status, 400);
    assert.equal(error.code, "SX-ORIGIN-NOT-ALLOWED");
    assert.match(error.message, /"securix apps update demo --origin https:\/\/new\.example"/);
  } finally {
    await cleanup();
  }
});

Deno.test("apps delete: revokes keys, agents, webhooks and (at the provider) connections; keep leaves connections", async () => {
  const oidc = await startOidcServer({ clients: [applianceClient("http://127.0.0.1:9")] });
  const temp = await openTempAppliance({
    raw: { providers: { gmail: providerAt(oidc, "http://127.0.0.1:9") } },
  });
  const { appliance } = temp;
  const db = appliance.database.db;
  try {
    const { app, apiKey } = await seedApp(appliance, { name: "demo", origins: [] });
    await addEndpoint(
      { db, vault: appliance.vault, now: appliance.now },
      app.id,
      "https://hooks.example/in",
      ["*"],
    );
    for (const entityId of ["user-1", "user-2"]) {
      await seedConnection(appliance, {
        id: `con_${entityId}`,
        appId: app.id,
        entityId,
        provider: "gmail",
        accessToken: `at-${entityId}`,
        refreshToken: `rt-${entityId}`,
      });
    }
    const { app: kept } = await seedApp(appliance, { name: "kept" });
    await seedConnection(appliance, {
      id: "con_kept",
      appId: kept.id,
      entityId: "user-3",
      provider: "gmail",
      accessToken: "at-kept",
    });

    const deleted = await cli(temp.configPath, "apps", "delete", "demo", "--json");
    assert.equal(deleted.code, 0, deleted.err);
    const result = JSON.parse(deleted.out);
    assert.equal(result.connections, "revoke");
    assert.equal(result.keysRevoked, 1);
    assert.equal(result.agentsRemoved, 1);
    assert.equal(result.webhooksRemoved, 1);
    assert.equal(result.connectionsRevoked, 2);
    assert.equal(result.providerConfirmed, 2);
    assert.ok(oidc.stats.revocationCalls >= 2, "revoked at the provider");

    assert.equal(await findLiveKey(db, apiKey), null, "the key no longer works");
    assert.deepEqual(await listAgents(db, app.id), []);
    assert.deepEqual(await listEndpoints(db, app.id), []);
    for (const id of ["con_user-1", "con_user-2"]) {
      const connection = await getConnection(db, id);
      assert.equal(connection?.status, "revoked");
      assert.equal(connection?.credentialId, null);
      assert.equal(await vaultCredential(appliance, `cred_${id}`), null, "credential deleted");
    }
    const { rows } = await appliance.database.client.execute(
      "SELECT count(*) AS n FROM vault_records WHERE purpose = 'webhook-secret'",
    );
    assert.equal(Number(rows[0].n), 0, "webhook secret deleted");

    const listed = await cli(temp.configPath, "apps", "list", "--json");
    assert.deepEqual(JSON.parse(listed.out).map((a: { name: string }) => a.name), ["kept"]);
    const again = await cli(temp.configPath, "apps", "delete", "demo");
    assert.match(again.err, /SX-APP-NOT-FOUND/);
    const recreated = await cli(temp.configPath, "apps", "create", "demo", "--json");
    assert.equal(recreated.code, 0, "the name is free again: " + recreated.err);

    const [record] = await listRecords(db, { kinds: "admin.app.deleted" });
    assert.equal(record.appId, app.id);
    assert.equal(record.data.actor, "cli");
    assert.equal(record.data.osUser, "alice");
    assert.equal(record.data.connections, "revoke");
    assert.equal(
      (await listRecords(db, { kinds: "connection.revoked" })).length,
      2,
      "each connection's revocation is recorded",
    );

    const calls = oidc.stats.revocationCalls;
    const keep = await cli(temp.configPath, "apps", "delete", "kept", "--connections", "keep");
    assert.equal(keep.code, 0, keep.err);
    assert.match(keep.out, /Kept 1 connection/);
    assert.equal(oidc.stats.revocationCalls, calls, "nothing revoked at the provider");
    assert.equal((await getConnection(db, "con_kept"))?.status, "active");
    assert.equal((await vaultCredential(appliance, "cred_con_kept"))?.accessToken, "at-kept");

    const wrong = await cli(temp.configPath, "apps", "delete", "x", "--connections", "drop");
    assert.equal(wrong.code, 2, "an unknown fate is a usage error");
  } finally {
    await temp.cleanup();
    await oidc.close();
  }
});
