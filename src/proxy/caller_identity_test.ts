import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { addAgent } from "../agents/agent_store.ts";
import { createApp } from "../apps/app_store.ts";
import { KeyAuthenticator } from "../apps/key_authenticator.ts";
import { createApiKey } from "../apps/key_store.ts";
import { insertConnection } from "../connections/connection_store.ts";
import type { ConnectionStatus } from "../connections/connection_types.ts";
import { CallerResolver } from "./caller_identity.ts";

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
      pending: "SX-NOT-CONNECTED",
      paused: "SX-PAUSED",
      needs_reauth: "SX-TOKEN-EXPIRED",
      revoked: "SX-NOT-CONNECTED",
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
      const outcome = await callers.resolve(headers, "gmail").then(
        (caller) => caller.connection.status,
        (error) => error.code,
      );
      assert.equal(outcome, code ?? "active", status);
    }
  } finally {
    await temp.cleanup();
  }
});
