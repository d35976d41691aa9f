import assert from "node:assert/strict";
import { releasePayload } from "./release_payload.ts";

Deno.test("release payload: oauth2 strategy, access token and expiry; never the refresh or ID token", () => {
  const now = 1_700_000_000_000;
  const payload = releasePayload({
    accessToken: "at-1",
    refreshToken: "rt-secret",
    tokenType: "Bearer",
    expiresAt: now + 3_600_500,
    obtainedAt: now,
    scopes: ["email"],
    idToken: "id-secret",
  }, now);
  assert.deepEqual(payload, {
    strategy: { type: "oauth2", config: { header_name: "Authorization", value_prefix: "Bearer " } },
    credentials: {
      access_token: "at-1",
      token_type: "Bearer",
      scopes: ["email"],
      expires_at: Math.floor((now + 3_600_500) / 1000),
    },
    expires_at: Math.floor((now + 3_600_500) / 1000),
    expires_in: 3600,
  });
  const text = JSON.stringify(payload);
  assert.equal(text.includes("rt-secret"), false);
  assert.equal(text.includes("id-secret"), false);
});

Deno.test("release payload: a token without expiry has null expiry fields", () => {
  const payload = releasePayload({
    accessToken: "at",
    refreshToken: null,
    tokenType: "bearer",
    expiresAt: null,
    scopes: [],
  }, 0);
  assert.equal(payload.expires_at, null);
  assert.equal(payload.expires_in, null);
  assert.equal(payload.credentials.expires_at, null);
});
