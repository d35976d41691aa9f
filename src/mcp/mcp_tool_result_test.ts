import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { MAX_RESULT_CHARS, refusalResult, resultOf } from "./mcp_tool_result.ts";

const text = (r: { content: unknown[] }) => (r.content[0] as { text: string }).text;

Deno.test("tool results: compact JSON; a long answer is cut with a note saying so", () => {
  const small = resultOf({ ok: true, value: { a: 1, b: [1, 2] } });
  assert.equal(text(small), '{"a":1,"b":[1,2]}');
  assert.equal(small.isError, undefined);
  const big = resultOf({ ok: true, value: { items: "x".repeat(MAX_RESULT_CHARS * 2) } });
  const shown = text(big);
  assert.ok(shown.length < MAX_RESULT_CHARS + 200);
  assert.match(shown, /\[truncated: the answer had \d+ characters and 24000 are shown/);
});

Deno.test("tool results: provider failures and refusals are tool errors; a refusal is its llmError", () => {
  const failed = resultOf({ ok: false, status: 404, value: { message: "Not Found" } });
  assert.equal(failed.isError, true);
  assert.equal(text(failed), 'The provider refused the call (HTTP 404): {"message":"Not Found"}');
  const denied = refusalResult(
    new SecurixError("SX-POLICY-DENIED", "Denied by rule x", { status: 403, llmError: "No." }),
  );
  assert.deepEqual(denied, {
    isError: true,
    content: [{ type: "text", text: "No. (SX-POLICY-DENIED)" }],
  });
  const plain = refusalResult(new SecurixError("SX-PAUSED", "The gmail connection is paused"));
  assert.equal(text(plain), "The gmail connection is paused (SX-PAUSED)");
});
