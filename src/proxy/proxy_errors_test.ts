import assert from "node:assert/strict";
import { proxyErrors } from "./proxy_errors.ts";

Deno.test("compressedBody repeats a caller's Content-Encoding only when it is token-shaped", () => {
  assert.match(
    proxyErrors.compressedBody("gzip, identity").message,
    /compressed \(gzip, identity\)/,
  );
  const sent = "gzip; sx_live_secret please-log-me ".repeat(20);
  const error = proxyErrors.compressedBody(sent);
  assert.match(error.message, /compressed \(unknown\)/);
  assert.ok(!JSON.stringify(error).includes("sx_live_secret"));
});
