import assert from "node:assert/strict";
import { createApp } from "../apps/app_store.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { MAX_CREDENTIAL_TESTS, submitCredential } from "./credential_step.ts";
import type { FlowDeps } from "./flow_deps.ts";
import type { FlowProvider } from "./flow_provider.ts";
import { insertSession } from "./session_store.ts";

const TTL = 10 * 60_000;

/** An API-key provider whose test request refuses every key; counts the tests made. */
function keyProvider(): { provider: FlowProvider; tests: () => number } {
  let tests = 0;
  const provider = {
    name: "keyed",
    displayName: "Keyed",
    allowedScopes: null,
    defaultScopes: [],
    authorizationOrigin: "http://127.0.0.1:1",
    authorizationUrl: () => Promise.reject(new Error("not an OAuth provider")),
    exchangeCode: () => Promise.reject(new Error("not an OAuth provider")),
    fetchAccount: () => Promise.resolve(null),
    revoke: null,
    form: {
      strategy: "header",
      schema: { type: "object", required: ["key"], properties: { key: { type: "string" } } },
      check: () => {
        tests++;
        return Promise.resolve({ ok: false, status: 401, reason: "refused (401 Unauthorized)" });
      },
    },
  } satisfies FlowProvider;
  return { provider, tests: () => tests };
}

Deno.test("credential step: the test cap covers the session's whole life, across a clock window's boundary", async () => {
  // The session starts a minute before a TTL-aligned boundary and lives on for nine after it.
  const boundary = Math.ceil(Date.now() / TTL) * TTL + TTL;
  const clock = { t: boundary - 60_000 };
  const temp = await openTempAppliance({ now: () => clock.t });
  try {
    const { appliance } = temp;
    const { provider, tests } = keyProvider();
    const deps: FlowDeps = {
      database: appliance.database,
      vault: appliance.vault,
      providers: { enabled: new Map([[provider.name, provider]]), known: new Set([provider.name]) },
      now: () => clock.t,
      publicUrl: "http://127.0.0.1:1",
      sessionTtlMs: TTL,
      deviceIntervalS: 5,
    };
    const app = await createApp(appliance.database.db, { name: "a", origins: [] }, {
      now: () => clock.t,
    });
    const session = await insertSession(appliance.database.db, {
      id: "ses_keyed",
      appId: app.id,
      entityId: "e",
      flow: "device",
      providers: { keyed: { scopes: [], status: "pending" } },
      sxcHash: null,
      targetOrigin: null,
      returnUrl: null,
      deviceCodeHash: null,
      pollIntervalS: 5,
      createdAt: clock.t,
      expiresAt: clock.t + TTL,
    });
    for (let i = 0; i < MAX_CREDENTIAL_TESTS; i++) {
      // Two before the boundary, the rest after it.
      if (i === 2) clock.t = boundary + 1_000;
      const outcome = await submitCredential(deps, session, provider, { field_key: `k-${i}` });
      assert.equal(outcome.kind, "refused");
      assert.equal(
        outcome.kind === "refused" && outcome.attemptsLeft,
        MAX_CREDENTIAL_TESTS - i - 1,
      );
    }
    const over = await submitCredential(deps, session, provider, { field_key: "k-last" });
    assert.equal(over.kind, "failed");
    assert.equal(over.kind === "failed" && over.reason, "too_many_attempts");
    assert.equal(tests(), MAX_CREDENTIAL_TESTS, "credentials tested at the provider");
  } finally {
    await temp.cleanup();
  }
});
