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

Deno.test("error envelope: the request id closes the body and is the securix-request-id header", async () => {
  const denied = new SecurixError("SX-RATE-LIMIT", "Slow down", {
    status: 429,
    details: { retryAfter: 3 },
  });
  const a = errorResponse(denied, undefined, "req_a");
  const b = errorResponse(denied, { "x-extra": "1" }, "req_b");
  assert.deepEqual(await a.json(), {
    error: {
      code: "SX-RATE-LIMIT",
      message: "Slow down",
      details: { retryAfter: 3 },
      requestId: "req_a",
    },
  });
  assert.equal(a.headers.get("securix-request-id"), "req_a");
  assert.equal((await b.json()).error.requestId, "req_b");
  assert.equal(b.headers.get("securix-request-id"), "req_b");
  const plain = errorResponse(
    new SecurixError("SX-NOT-FOUND", "No", { status: 404 }),
    undefined,
    "req_c",
  );
  assert.equal(plain.headers.get("securix-request-id"), "req_c");
  assert.equal(plain.headers.get("content-type"), "application/json; charset=utf-8");
});
