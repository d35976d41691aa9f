/**
 * GET/PATCH/DELETE /v1/app: an app reading, updating and deleting itself with
 * its own key, through a served appliance (real listener, real key cache),
 * with revocation going to a real OAuth server.
 */
import assert from "node:assert/strict";
import { findApp } from "../src/apps/app_store.ts";
import { findLiveKey } from "../src/apps/key_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { getConnection } from "../src/connections/connection_store.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { freePort } from "./helpers/process.ts";
import { seedApp, seedConnection, vaultCredential } from "./helpers/seed.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

/** A JSON answer: `error` is there on failures only. */
type Answer = { error: { code: string; message: string }; [field: string]: unknown };

async function setup() {
  const port = freePort();
  const base = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({ clients: [applianceClient(base)] });
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${port}`, public_url: base, base_domain: "localhost" },
      providers: { gmail: providerAt(oidc, "http://127.0.0.1:9") },
    },
  });
  const served = await serveRuntime(temp.appliance, port, { audit: false });
  const call = async (
    apiKey: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; text: string; json: Answer }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        "securix-api-key": apiKey,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) };
  };
  return {
    appliance: temp.appliance,
    db: temp.appliance.database.db,
    oidc,
    call,
    async close() {
      await served.stop();
      await temp.cleanup();
      await oidc.close();
    },
  };
}

type Env = Awaited<ReturnType<typeof setup>>;

async function keyId(env: Env, apiKey: string): Promise<string> {
  const key = await findLiveKey(env.db, apiKey);
  assert.ok(key);
  return key.id;
}

function popupSession(env: Env, apiKey: string, origin: string) {
  return env.call(apiKey, "POST", "/v1/auth/sessions", {
    entityId: "user-1",
    flow: "popup",
    providers: { gmail: {} },
    sxcHash: "a".repeat(43),
    origin,
  });
}

Deno.test("GET and PATCH /v1/app: read, add and remove origins, rename; audited as the key", async () => {
  const env = await setup();
  try {
    const { app, apiKey } = await seedApp(env.appliance, {
      name: "demo",
      origins: ["https://a.example"],
    });
    const { app: other, apiKey: otherKey } = await seedApp(env.appliance, {
      name: "other",
      origins: ["https://other.example"],
    });

    const got = await env.call(apiKey, "GET", "/v1/app");
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, {
      id: app.id,
      name: "demo",
      origins: ["https://a.example"],
      approvalsViaApi: false,
      createdAt: new Date(app.createdAt).toISOString(),
    });
    assert.equal((await env.call("sx_nope", "GET", "/v1/app")).status, 401);

    // The key (with its app) is cached now; a new origin must apply to the very next request.
    const refused = await popupSession(env, apiKey, "https://b.example");
    assert.equal(refused.json.error?.code, "SX-ORIGIN-NOT-ALLOWED");
    const added = await env.call(apiKey, "PATCH", "/v1/app", { addOrigins: ["https://b.example"] });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.json.origins, ["https://a.example", "https://b.example"]);
    const allowed = await popupSession(env, apiKey, "https://b.example");
    assert.equal(allowed.status, 201, allowed.text);

    const renamed = await env.call(apiKey, "PATCH", "/v1/app", {
      name: "demo2",
      removeOrigins: ["https://a.example"],
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.json, {
      id: app.id,
      name: "demo2",
      origins: ["https://b.example"],
      approvalsViaApi: false,
      createdAt: new Date(app.createdAt).toISOString(),
    });
    assert.equal((await env.call(apiKey, "GET", "/v1/app")).json.name, "demo2");

    const updates = await listRecords(env.db, { kinds: "admin.app.updated" });
    assert.equal(updates.length, 2);
    assert.equal(updates[1].appId, app.id);
    assert.deepEqual({ ...updates[1].data }, {
      name: "demo2",
      previousName: "demo",
      origins: ["https://b.example"],
      previousOrigins: ["https://a.example", "https://b.example"],
      actor: `api:${await keyId(env, apiKey)}`,
    });

    const taken = await env.call(apiKey, "PATCH", "/v1/app", { name: "other" });
    assert.equal(taken.status, 409);
    assert.equal(taken.json.error.code, "SX-APP-EXISTS");

    // The other app is untouched by all of it.
    assert.deepEqual(await findApp(env.db, other.id), other);
    assert.deepEqual((await env.call(otherKey, "GET", "/v1/app")).json.origins, [
      "https://other.example",
    ]);
  } finally {
    await env.close();
  }
});

Deno.test("PATCH /v1/app: bad input is a 400 naming the field, never repeating the value", async () => {
  const env = await setup();
  try {
    const { app, apiKey } = await seedApp(env.appliance, {
      name: "demo",
      origins: ["https://a.example"],
    });
    const cases: { body: unknown; code: string; field: string; secret?: string }[] = [
      {
        body: { addOrigins: ["https://x.example/path-secret"] },
        code: "SX-INVALID-INPUT",
        field: "addOrigins.0",
        secret: "path-secret",
      },
      {
        body: { addOrigins: ["https://a.example", "https://evil\u001b[31m.example"] },
        code: "SX-INVALID-INPUT",
        field: "addOrigins.1",
        secret: "evil",
      },
      {
        body: { removeOrigins: ["not a url-secret"] },
        code: "SX-INVALID-INPUT",
        field: "removeOrigins.0",
        secret: "url-secret",
      },
      {
        body: { name: "bad\u001b[2Jname" },
        code: "SX-INVALID-INPUT",
        field: "name",
        secret: "bad",
      },
      { body: { name: "x\u202eevil" }, code: "SX-INVALID-INPUT", field: "name", secret: "evil" },
      { body: { name: "has space" }, code: "SX-INVALID-INPUT", field: "name", secret: "space" },
      // Commands take an id or a name, and ids start with app_: such a name would shadow one.
      { body: { name: `app_${app.id.slice(4)}` }, code: "SX-INVALID-INPUT", field: "name" },
      { body: { name: "APP_taken" }, code: "SX-INVALID-INPUT", field: "name" },
      { body: {}, code: "SX-INVALID-INPUT", field: "body" },
      { body: { addOrigins: [] }, code: "SX-INVALID-INPUT", field: "body" },
      {
        body: { nameSecret: "x" },
        code: "SX-INVALID-INPUT",
        field: "body",
        secret: "nameSecret",
      },
      { body: "", code: "SX-INVALID-JSON", field: "" },
      { body: "{not json", code: "SX-INVALID-JSON", field: "" },
    ];
    for (const { body, code, field, secret } of cases) {
      const res = await env.call(apiKey, "PATCH", "/v1/app", body);
      const label = JSON.stringify(body);
      assert.equal(res.status, 400, label);
      assert.equal(res.json.error.code, code, label);
      assert.ok(res.json.error.message.startsWith(field), `${label}: ${res.json.error.message}`);
      if (secret) assert.ok(!res.text.includes(secret), `${label} echoed: ${res.text}`);
    }
    // An origin it does not have: the message lists the app's own (valid) origins only.
    const unknown = await env.call(apiKey, "PATCH", "/v1/app", {
      removeOrigins: ["https://b.example"],
    });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error.code, "SX-INVALID-INPUT");

    assert.deepEqual(await findApp(env.db, app.id), app, "nothing changed");
    assert.equal((await listRecords(env.db, { kinds: "admin.app.updated" })).length, 0);
  } finally {
    await env.close();
  }
});

Deno.test("DELETE /v1/app: revokes connections, the same key is refused at once; keep; bad fate", async () => {
  const env = await setup();
  try {
    const { app, apiKey } = await seedApp(env.appliance, { name: "demo" });
    const { app: kept, apiKey: keptKey } = await seedApp(env.appliance, { name: "kept" });
    const { app: bystander, apiKey: bystanderKey } = await seedApp(env.appliance, {
      name: "bystander",
    });
    for (
      const [owner, entityId] of [[app, "user-1"], [app, "user-2"], [kept, "user-3"], [
        bystander,
        "user-4",
      ]] as const
    ) {
      await seedConnection(env.appliance, {
        id: `con_${entityId}`,
        appId: owner.id,
        entityId,
        provider: "gmail",
        accessToken: `at-${entityId}`,
        refreshToken: `rt-${entityId}`,
      });
    }
    const id = await keyId(env, apiKey);

    for (const query of ["?connections=drop", "?connection=keep", "?connections="]) {
      const bad = await env.call(apiKey, "DELETE", `/v1/app${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.json.error.code, "SX-INVALID-INPUT", query);
      assert.ok(!bad.text.includes("drop"), bad.text);
    }
    assert.ok(await findApp(env.db, app.id), "a refused DELETE deletes nothing");

    // Warm the key cache (TTL 5 s): the DELETE must still take effect on the next request.
    assert.equal((await env.call(apiKey, "GET", "/v1/app")).status, 200);
    const deleted = await env.call(apiKey, "DELETE", "/v1/app");
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.json, {
      id: app.id,
      name: "demo",
      deleted: true,
      keysRevoked: 1,
      agentsRemoved: 1,
      webhooksRemoved: 0,
      sessionsFailed: 0,
      connections: { revoked: 2, providerConfirmed: 2, kept: 0 },
    });
    const after = await env.call(apiKey, "GET", "/v1/app");
    assert.equal(after.status, 401);
    assert.equal(after.json.error.code, "SX-API-KEY-INVALID");
    const proxied = await fetch(
      `http://127.0.0.1:${new URL(env.appliance.config.server.publicUrl).port}/proxy/gmail/x`,
      {
        headers: {
          "securix-api-key": apiKey,
          "securix-agent-id": "agent-1",
          "securix-entity-id": "user-1",
        },
      },
    );
    assert.equal(proxied.status, 401, "the proxy refuses the key too");
    await proxied.body?.cancel();

    for (const cid of ["con_user-1", "con_user-2"]) {
      assert.equal((await getConnection(env.db, cid))?.status, "revoked");
      assert.equal(await vaultCredential(env.appliance, `cred_${cid}`), null);
    }
    assert.ok(env.oidc.stats.revocationCalls >= 2, "revoked at the provider");
    const [record] = await listRecords(env.db, { kinds: "admin.app.deleted" });
    assert.equal(record.appId, app.id);
    assert.equal(record.data.actor, `api:${id}`);
    assert.equal(record.data.connections, "revoke");

    const calls = env.oidc.stats.revocationCalls;
    const keep = await env.call(keptKey, "DELETE", "/v1/app?connections=keep");
    assert.equal(keep.status, 200, keep.text);
    assert.deepEqual(keep.json.connections, { revoked: 0, providerConfirmed: 0, kept: 1 });
    assert.equal(env.oidc.stats.revocationCalls, calls, "nothing revoked at the provider");
    assert.equal((await getConnection(env.db, "con_user-3"))?.status, "active");
    assert.equal((await env.call(keptKey, "GET", "/v1/app")).status, 401);

    // A third app is untouched by both deletions.
    assert.deepEqual((await env.call(bystanderKey, "GET", "/v1/app")).json.name, "bystander");
    assert.equal((await getConnection(env.db, "con_user-4"))?.status, "active");
    assert.equal(
      (await vaultCredential(env.appliance, "cred_con_user-4"))?.accessToken,
      "at-user-4",
    );
  } finally {
    await env.close();
  }
});
