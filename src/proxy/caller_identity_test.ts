import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { addAgent } from "../agents/agent_store.ts";
import { createApp } from "../apps/app_store.ts";
import { KeyAuthenticator } from "../apps/key_authenticator.ts";
import { createApiKey } from "../apps/key_store.ts";
import { insertConnection } from "../connections/connection_store.ts";
import type { ConnectionStatus } from "../connections/connection_types.ts";
import { CallerResolver } from "./caller_identity.ts";
import { MalformedForeignAgentId } from "./proxy_errors.ts";

Deno.test("caller identity: only an active connection reaches the credential (needs_reauth is refused up front)", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const db = appliance.database.db;
    const app = await createApp(db, { name: "t", origins: [] }, appliance);
    const { secret } = await createApiKey(db, app.id, appliance);
    await addAgent(db, app.id, { agentId: "agent-1" }, appliance);
    const expected: Record<ConnectionStatus, string | null> = {
      active: null,
      pending: "SX-NOT-CONNECTED 401",
      paused: "SX-PAUSED 403",
      // Every door answers a refused refresh token so: details.status tells it from a passing one.
      needs_reauth: "SX-TOKEN-EXPIRED 401 needs_reauth",
      revoked: "SX-NOT-CONNECTED 401",
    };
    for (const status of Object.keys(expected) as ConnectionStatus[]) {
      await insertConnection(db, {
        id: `con_${status}`,
        appId: app.id,
        entityId: status,
        provider: "gmail",
        status,
        scopes: [],
        account: null,
        credentialId: null,
        credentialExpiresAt: null,
        sessionId: null,
        version: 1,
        createdAt: 0,
        updatedAt: 0,
      });
    }
    const callers = new CallerResolver({
      db,
      authenticator: new KeyAuthenticator({ db, now: Date.now }),
      now: Date.now,
    });
    for (const [status, code] of Object.entries(expected)) {
      const headers = new Headers({
        "securix-api-key": secret,
        "securix-agent-id": "agent-1",
        "securix-entity-id": status,
      });
      // A cached caller is resolved synchronously, so a refusal may be thrown: both are caught.
      const outcome = await Promise.resolve().then(() => callers.resolve(headers, "gmail")).then(
        (caller) => caller.connection.status,
        (error) => [error.code, error.status, error.details?.status].filter(Boolean).join(" "),
      );
      assert.equal(outcome, code ?? "active", status);
    }
  } finally {
    await temp.cleanup();
  }
});

Deno.test("caller identity: a malformed agent or entity id is refused with the rule it breaks", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const db = appliance.database.db;
    const app = await createApp(db, { name: "t", origins: [] }, appliance);
    const { secret } = await createApiKey(db, app.id, appliance);
    await addAgent(db, app.id, { agentId: "agent-1" }, appliance);
    const callers = new CallerResolver({
      db,
      authenticator: new KeyAuthenticator({ db, now: Date.now }),
      now: Date.now,
    });
    const refusal = (agentId: string, entityId: string) =>
      Promise.resolve().then(() =>
        callers.resolve(
          new Headers({
            "securix-api-key": secret,
            "securix-agent-id": agentId,
            "securix-entity-id": entityId,
          }),
          "gmail",
        )
      ).then(() => null, (error) => ({ code: error.code, message: error.message }));
    assert.deepEqual(await refusal("agent 1", "e"), {
      code: "SX-INVALID-INPUT",
      message: "securix-agent-id: expected 1-128 letters, digits, '.', '_', ':' or '-'",
    });
    const entity = await refusal("agent-1", "e\u0007");
    assert.equal(entity?.code, "SX-INVALID-INPUT");
    assert.match(entity?.message ?? "", /^securix-entity-id: must not contain control characters/);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("caller identity: a caller whose key, agent and connection are cached resolves without a promise, and a forgotten connection is read again", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const db = appliance.database.db;
    const app = await createApp(db, { name: "t", origins: [] }, appliance);
    const { secret } = await createApiKey(db, app.id, appliance);
    await addAgent(db, app.id, { agentId: "agent-1" }, appliance);
    await insertConnection(db, {
      id: "con_a",
      appId: app.id,
      entityId: "user-1",
      provider: "gmail",
      status: "active",
      scopes: [],
      account: null,
      credentialId: null,
      credentialExpiresAt: null,
      sessionId: null,
      version: 1,
      createdAt: 0,
      updatedAt: 0,
    });
    const callers = new CallerResolver({
      db,
      authenticator: new KeyAuthenticator({ db, now: Date.now }),
      now: Date.now,
    });
    const keys = { apiKey: secret, agentId: "agent-1", entityId: "user-1" };
    const first = callers.resolve(keys, "gmail");
    assert.ok(first instanceof Promise, "the first call reads the database");
    assert.equal((await first).connection.id, "con_a");
    const cached = callers.resolve(keys, "gmail");
    assert.ok(!(cached instanceof Promise), "a cached caller costs no promise per call");
    assert.equal(cached.connection.id, "con_a");
    assert.equal(cached.entityId, "user-1");
    // Refusals of a cached caller are thrown at once, with the same codes.
    assert.throws(
      () => callers.resolve({ ...keys, agentId: "agent 1" }, "gmail"),
      { code: "SX-INVALID-INPUT" },
    );
    callers.forgetConnection({ appId: app.id, entityId: "user-1", provider: "gmail" });
    const reread = callers.resolve(keys, "gmail");
    assert.ok(reread instanceof Promise, "a forgotten connection is read again");
    assert.equal((await reread).connection.id, "con_a");
  } finally {
    await temp.cleanup();
  }
});

Deno.test("caller identity: a bound key's agent comes with the cached key; warm calls stay synchronous", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const db = appliance.database.db;
    const app = await createApp(db, { name: "t", origins: [] }, appliance);
    for (const agentId of ["agent-1", "agent-2"]) {
      await addAgent(db, app.id, { agentId }, appliance);
    }
    const { secret } = await createApiKey(db, app.id, appliance, "agent", "agent-1");
    await insertConnection(db, {
      id: "con_alice",
      appId: app.id,
      entityId: "alice",
      provider: "gmail",
      status: "active",
      scopes: [],
      account: null,
      credentialId: null,
      credentialExpiresAt: null,
      sessionId: null,
      version: 1,
      createdAt: 0,
      updatedAt: 0,
    });
    const callers = new CallerResolver({
      db,
      authenticator: new KeyAuthenticator({ db, now: Date.now }),
      now: Date.now,
    });
    const sent = (agentId: string | null) => ({ apiKey: secret, agentId, entityId: "alice" });
    const first = await callers.resolve(sent(null), "gmail");
    assert.equal(first.agentId, "agent-1", "no header: the bound agent");
    for (const agentId of [null, "agent-1"]) {
      const warm = callers.resolve(sent(agentId), "gmail");
      assert.ok(!(warm instanceof Promise), "a cache hit: no database round trip");
      assert.equal(warm.agentId, "agent-1");
    }
    assert.throws(
      () => callers.resolve(sent("agent-2"), "gmail"),
      (e: Error & { code?: string; status?: number }) =>
        e.code === "SX-AGENT-MISMATCH" && e.status === 403,
    );
    // A malformed foreign id is a bad header, still naming the key's app and agent for the audit.
    assert.throws(() => callers.resolve(sent("mail agent"), "gmail"), (e) => {
      assert.ok(e instanceof MalformedForeignAgentId);
      assert.deepEqual([e.code, e.status, e.appId, e.boundAgentId], [
        "SX-INVALID-INPUT",
        400,
        app.id,
        "agent-1",
      ]);
      return true;
    });
  } finally {
    await temp.cleanup();
  }
});
