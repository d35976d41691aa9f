import assert from "node:assert/strict";
import type { Connection, ConnectionStatus } from "../connections/connection_types.ts";
import {
  accountMismatch,
  identifiesAccount,
  pinnedAccount,
  reasonCode,
  refusedSwap,
} from "./account_swap.ts";
import type { Account, SessionProvider } from "./session_types.ts";

const alice: Account = { id: "sub-alice", email: "alice@example.test", name: "Alice" };
const mallory: Account = { id: "sub-mallory", email: "mallory@example.test", name: "M" };

function connection(status: ConnectionStatus, account: Account | null = alice): Connection {
  return {
    id: "con_1",
    appId: "app_1",
    entityId: "u1",
    provider: "gmail",
    status,
    scopes: [],
    account,
    credentialId: "cred_1",
    credentialExpiresAt: null,
    sessionId: "ses_0",
    version: 1,
    createdAt: 0,
    updatedAt: 0,
  };
}

function step(startedBy: SessionProvider["startedBy"], account: Account | null): SessionProvider {
  return { scopes: [], status: "connected", account, startedBy };
}

Deno.test("refusedSwap: an agent's consent with another account is refused for every usable status", () => {
  for (const status of ["active", "paused", "needs_reauth"] as const) {
    assert.deepEqual(refusedSwap(step("agent", mallory), connection(status)), {
      connectionId: "con_1",
      kept: alice,
      offered: mallory,
      revoked: false,
    }, status);
  }
});

Deno.test("refusedSwap: a revoked connection that names its account pins it too", () => {
  // Changed deliberately: a revoked connection used to pin nothing, so an agent could
  // "reconnect" the user's revoked mailbox with its own account.
  assert.deepEqual(refusedSwap(step("agent", mallory), connection("revoked")), {
    connectionId: "con_1",
    kept: alice,
    offered: mallory,
    revoked: true,
  });
  assert.equal(refusedSwap(step("agent", alice), connection("revoked")), null);
  // Nothing recorded to bring back (revoked while still pending): nothing to protect.
  assert.equal(refusedSwap(step("agent", mallory), connection("revoked", null)), null);
  assert.equal(refusedSwap(step("backend", mallory), connection("revoked")), null);
  const error = accountMismatch(
    "gmail",
    refusedSwap(step("agent", mallory), connection("revoked"))!,
  );
  assert.match(error.message, /Nothing was connected: gmail stays disconnected/);
});

Deno.test("pinnedAccount: what the consent page says is what refusedSwap holds to", () => {
  const statuses = ["active", "paused", "needs_reauth", "pending", "revoked"] as const;
  for (const status of statuses) {
    for (const account of [alice, null]) {
      for (const identified of [true, false]) {
        for (const startedBy of ["agent", "backend"] as const) {
          const s = step(startedBy, mallory);
          const c = connection(status, account);
          const pin = pinnedAccount(s, c, identified);
          const label = `${status} ${account?.id} ${identified} ${startedBy}`;
          // Pinned exactly when a different account would be refused.
          assert.equal(pin !== null, refusedSwap(s, c, identified) !== null, label);
          if (pin) {
            assert.deepEqual(refusedSwap(s, c, identified)?.kept ?? null, pin.account, label);
          }
        }
      }
    }
  }
});

Deno.test("refusedSwap: the same account id reconnects, whatever the email says", () => {
  assert.equal(refusedSwap(step("agent", alice), connection("needs_reauth")), null);
  const renamed = { ...alice, email: "alice.new@example.test" };
  assert.equal(refusedSwap(step("agent", renamed), connection("active")), null);
  // Another account that took over the email is still another account.
  const sameEmail = { ...mallory, email: alice.email };
  assert.notEqual(refusedSwap(step("agent", sameEmail), connection("active")), null);
});

Deno.test("refusedSwap: an unknown identity on either side proves nothing, so it is refused", () => {
  assert.notEqual(refusedSwap(step("agent", null), connection("active")), null);
  assert.notEqual(refusedSwap(step("agent", alice), connection("active", null)), null);
});

Deno.test("refusedSwap: backend consents, and entities with nothing connected, are not limited", () => {
  assert.equal(refusedSwap(step("backend", mallory), connection("active")), null);
  assert.equal(refusedSwap(step(undefined, mallory), connection("active")), null);
  assert.equal(refusedSwap(step("agent", mallory), null), null);
  assert.equal(refusedSwap(step("agent", mallory), connection("pending", null)), null);
});

Deno.test("accountMismatch: a stable code, the kept account named, the reason's code", () => {
  const refusal = refusedSwap(step("agent", mallory), connection("active"))!;
  const error = accountMismatch("gmail", refusal);
  assert.equal(error.code, "SX-ACCOUNT-MISMATCH");
  assert.equal(error.status, 403);
  assert.match(error.message, /only reconnect alice@example\.test/);
  assert.equal(reasonCode("account_mismatch"), "SX-ACCOUNT-MISMATCH");
  assert.equal(reasonCode("device_code_attempts"), "SX-DEVICE-CODE-ATTEMPTS");
  assert.equal(reasonCode("access_denied"), null);
});

Deno.test("refusedSwap: a typed API key names no account, so an agent cannot replace one", () => {
  const entity: Account = { id: "u1", email: null, name: null };
  const typed = { ...connection("active", entity) };
  assert.deepEqual(refusedSwap(step("agent", entity), typed, false), {
    connectionId: "con_1",
    kept: null,
    offered: null,
    revoked: false,
  });
  assert.equal(identifiesAccount({ strategy: "header" }), false);
  assert.equal(identifiesAccount({ strategy: "query_param" }), false);
  assert.equal(identifiesAccount({ strategy: "basic_auth" }), true);
  assert.equal(identifiesAccount(null), true, "OAuth: the identity endpoint names it");
  assert.equal(refusedSwap(step("backend", entity), typed, false), null);
  assert.equal(refusedSwap(step("agent", entity), null, false), null);
});
