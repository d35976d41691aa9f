import assert from "node:assert/strict";
import { reasonText } from "./session_reason.ts";

Deno.test("reasonText: our reasons in words, a provider's own error named as such, none as null", () => {
  assert.equal(reasonText(null), null);
  assert.equal(reasonText("access_denied"), "The user declined access at the provider");
  assert.match(reasonText("device_code_attempts")!, /SX-DEVICE-CODE-ATTEMPTS/);
  assert.match(reasonText("account_mismatch")!, /SX-ACCOUNT-MISMATCH/);
  assert.equal(reasonText("server_error"), 'The provider answered with error "server_error"');
});
