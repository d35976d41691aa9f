import assert from "node:assert/strict";
import { errorResponse } from "./error_response.ts";
import { SecurixError } from "./securix_error.ts";

Deno.test("error envelope: `type` only when the error has one, after the code; serialised once", async () => {
  const plain = new SecurixError("SX-POLICY-DENIED", "Refused", { status: 403 });
  assert.deepEqual(await errorResponse(plain).json(), {
    error: { code: "SX-POLICY-DENIED", message: "Refused" },
  });
  const typed = new SecurixError("SX-403", "Request blocked", {
    status: 403,
    type: "anomaly_detected",
    llmError: "Stop.",
    details: { detector: "mass_delete" },
  });
  const first = await errorResponse(typed).text();
  assert.equal(
    first,
    '{"error":{"code":"SX-403","type":"anomaly_detected","message":"Request blocked","llmError":"Stop.","details":{"detector":"mass_delete"}}}',
  );
  assert.equal(await errorResponse(typed).text(), first);
  assert.equal(errorResponse(typed).status, 403);
});
