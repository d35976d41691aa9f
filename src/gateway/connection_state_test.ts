import assert from "node:assert/strict";
import type { Connection } from "../connections/connection_types.ts";
import type { AuthSession } from "../flows/session_types.ts";
import { gatewayStatus } from "./connection_state.ts";

const connection = (status: Connection["status"]) => ({ status }) as Connection;
const session = (status: AuthSession["status"]) => ({ status }) as AuthSession;

Deno.test("check-connection: Nexus's three states from a connection and its latest gateway consent", () => {
  assert.equal(gatewayStatus(connection("pending"), session("pending")), "pending");
  assert.equal(gatewayStatus(connection("active"), session("pending")), "pending");
  assert.equal(gatewayStatus(connection("active"), session("completed")), "active");
  assert.equal(gatewayStatus(connection("active"), null), "active");
  assert.equal(gatewayStatus(connection("pending"), session("failed")), "failed");
  assert.equal(gatewayStatus(connection("pending"), session("expired")), "failed");
  assert.equal(gatewayStatus(connection("active"), session("failed")), "active");
  for (const s of ["paused", "needs_reauth", "revoked"] as const) {
    assert.equal(gatewayStatus(connection(s), null), "failed");
  }
});
