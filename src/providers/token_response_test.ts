import assert from "node:assert/strict";
import { parseTokenResponse } from "./token_response.ts";

const context = { provider: "gmail", operation: "refresh" as const, now: 1_000 };

Deno.test("token response: a token that could not travel in a header is refused without quoting it", () => {
  for (const bad of ["ya29.secret\r\nx-injected: 1", "ya29.secret\u0000", "QQQ\u00e9"]) {
    assert.throws(
      () =>
        parseTokenResponse("standard", {
          status: 200,
          json: { access_token: bad, token_type: "Bearer" },
        }, context),
      (error: Error) => !error.message.includes("ya29.secret") && !error.message.includes("QQQ"),
    );
  }
  const ok = parseTokenResponse("standard", {
    status: 200,
    json: { access_token: "ya29.a0-_~+/=", refresh_token: "1//0g", token_type: "Bearer" },
  }, context);
  assert.equal(ok.accessToken, "ya29.a0-_~+/=");
});
