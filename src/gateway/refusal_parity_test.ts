import assert from "node:assert/strict";
import { CONNECTION_STATUSES, type ConnectionStatus } from "../connections/connection_types.ts";
import type { Connection } from "../connections/connection_types.ts";
import type { SecurixError } from "../errors/securix_error.ts";
import { usableConnection } from "../proxy/caller_identity.ts";
import { usable } from "./release_credential.ts";

/** What every door answers for a connection in each status; null: it is used. */
const EXPECTED: Record<ConnectionStatus, string | null> = {
  active: null,
  pending: "SX-NOT-CONNECTED 401",
  paused: "SX-PAUSED 403",
  needs_reauth: "SX-TOKEN-EXPIRED 401 needs_reauth",
  revoked: "SX-NOT-CONNECTED 401",
};

function connection(status: ConnectionStatus): Connection {
  return {
    id: `con_${status.replace("_", "")}`,
    appId: "app_1",
    entityId: "user-1",
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
  };
}

function answer(door: () => unknown): string | null {
  try {
    door();
    return null;
  } catch (error) {
    const e = error as SecurixError;
    return [e.code, e.status, e.code === "SX-TOKEN-EXPIRED" ? e.details?.status : null]
      .filter(Boolean).join(" ");
  }
}

for (const status of CONNECTION_STATUSES) {
  Deno.test(`refusal parity: status ${status}: a connection gets the same code and status from the proxy and the gateway`, () => {
    const c = connection(status);
    const proxy = answer(() => usableConnection(c, c.provider));
    const gateway = answer(() => usable(c));
    assert.equal(proxy, EXPECTED[status], "proxy");
    assert.equal(gateway, EXPECTED[status], "gateway");
  });
}

Deno.test("refusal parity: the proxy without any connection answers as for a pending one", () => {
  assert.equal(answer(() => usableConnection(null, "gmail")), EXPECTED.pending);
});

Deno.test("refusal parity: only the words differ, each door's for its own callers", () => {
  const refusal = (door: () => unknown) => {
    try {
      door();
    } catch (error) {
      return error as SecurixError;
    }
    throw new Error("not refused");
  };
  const pending = connection("pending");
  // The gateway's agent learns the status and the request-connection call; the proxy's, the consent.
  assert.deepEqual(refusal(() => usable(pending)).details, { status: "pending" });
  assert.match(refusal(() => usable(pending)).llmError!, /POST \/v1\/request-connection/);
  assert.equal(refusal(() => usableConnection(pending, "gmail")).details, null);
  assert.match(refusal(() => usableConnection(pending, "gmail")).llmError!, /consent/);
  // Nexus's attention_required stays on the gateway's answer, beside the shared status.
  const reauth = connection("needs_reauth");
  assert.deepEqual(refusal(() => usable(reauth)).details, {
    error: "attention_required",
    status: "needs_reauth",
  });
  assert.deepEqual(refusal(() => usableConnection(reauth, "gmail")).details, {
    status: "needs_reauth",
  });
  // Paused reads the same at both doors.
  const paused = connection("paused");
  assert.equal(
    refusal(() => usable(paused)).llmError,
    refusal(() => usableConnection(paused, "gmail")).llmError,
  );
});

Deno.test("refusal parity: a status outside the known list (a downgrade, a hand edit) refuses as not connected at both doors", () => {
  const c = connection("suspended" as ConnectionStatus);
  assert.equal(answer(() => usableConnection(c, c.provider)), "SX-NOT-CONNECTED 401", "proxy");
  assert.equal(answer(() => usable(c)), "SX-NOT-CONNECTED 401", "gateway");
});
