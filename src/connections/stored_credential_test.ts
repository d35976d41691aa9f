import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { parseStoredCredential, serializeCredential } from "./stored_credential.ts";

Deno.test("stored credential: a record written before the union (no kind, no v) is an oauth2 token set", () => {
  const legacy = JSON.stringify({
    accessToken: "at",
    refreshToken: "rt",
    tokenType: "Bearer",
    expiresAt: 1_700_000_000_000,
    scopes: ["a"],
    idToken: null,
  });
  assert.deepEqual(parseStoredCredential(legacy), {
    kind: "oauth2",
    accessToken: "at",
    refreshToken: "rt",
    tokenType: "Bearer",
    expiresAt: 1_700_000_000_000,
    scopes: ["a"],
    idToken: null,
  });
});

Deno.test("stored credential: every kind round-trips, written with its version and kind", () => {
  const kinds = [
    { kind: "api_key" as const, fields: { user_key: "k", account: "7" } },
    { kind: "basic" as const, username: "ann", password: "p:w" },
    { kind: "aws_sigv4" as const, accessKeyId: "AKID", secretAccessKey: "s", sessionToken: null },
    {
      accessToken: "at",
      refreshToken: null,
      tokenType: "bearer",
      expiresAt: null,
      obtainedAt: 5,
      scopes: [],
    },
  ];
  for (const credential of kinds) {
    const text = serializeCredential(credential);
    assert.equal(JSON.parse(text).v, 1);
    assert.deepEqual(parseStoredCredential(text), { kind: "oauth2", ...credential });
  }
});

Deno.test("stored credential: what does not parse is SX-CREDENTIAL-UNREADABLE, naming no value", () => {
  const bad = [
    "not json {",
    "[]",
    JSON.stringify({ kind: "api_key", fields: {} }),
    JSON.stringify({ kind: "hmac", secret: "super-secret-value" }),
    JSON.stringify({ v: 2, kind: "basic", username: "u", password: "super-secret-value" }),
    JSON.stringify({ kind: "basic", username: "u" }),
    JSON.stringify({ accessToken: 42 }),
  ];
  for (const text of bad) {
    assert.throws(() => parseStoredCredential(text), (error: unknown) => {
      assert.ok(error instanceof SecurixError, text);
      assert.equal(error.code, "SX-CREDENTIAL-UNREADABLE");
      assert.equal(error.message.includes("super-secret-value"), false);
      return true;
    });
  }
});
