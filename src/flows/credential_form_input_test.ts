import assert from "node:assert/strict";
import type { CredentialSchema } from "../providers/provider_definition.ts";
import { credentialFromForm, readCredentialForm } from "./credential_form_input.ts";

const schema: CredentialSchema = {
  type: "object",
  required: ["key", "region"],
  properties: {
    key: { type: "string", title: "API key", format: "password", pattern: "^k-[a-z0-9]+$" },
    region: { type: "string", enum: ["eu", "us"] },
    limit: { type: "number" },
    sandbox: { type: "boolean" },
  },
};

Deno.test("credential form input: checked on the server against the schema, values never echoed", () => {
  const bad = readCredentialForm(schema, {
    field_key: "k-SECRET\r\nX-Evil: 1",
    field_region: "mars",
    field_limit: "ten",
    field_sandbox: "maybe",
  });
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  assert.deepEqual(Object.keys(bad.errors).sort(), ["key", "limit", "region", "sandbox"]);
  assert.equal(JSON.stringify(bad.errors).includes("SECRET"), false);
  assert.equal(JSON.stringify(bad.errors).includes("mars"), false);
  const missing = readCredentialForm(schema, {});
  assert.deepEqual(missing.ok ? null : Object.keys(missing.errors).sort(), ["key", "region"]);
  const good = readCredentialForm(schema, {
    field_key: "k-abc1",
    field_region: "eu",
    field_limit: "10",
    field_sandbox: "true",
    field_undeclared: "ignored",
  });
  assert.deepEqual(good, {
    ok: true,
    values: { key: "k-abc1", region: "eu", limit: "10", sandbox: "true" },
  });
  const long = readCredentialForm(schema, {
    field_key: `k-${"a".repeat(5000)}`,
    field_region: "us",
  });
  assert.equal(long.ok, false);
});

Deno.test("credential form input: each strategy's credential", () => {
  assert.deepEqual(credentialFromForm("header", { a: "1" }), {
    kind: "api_key",
    fields: { a: "1" },
  });
  assert.deepEqual(credentialFromForm("basic_auth", { username: "u", password: "p" }), {
    kind: "basic",
    username: "u",
    password: "p",
  });
  assert.deepEqual(
    credentialFromForm("aws_sigv4", { access_key_id: "A", secret_access_key: "S" }),
    { kind: "aws_sigv4", accessKeyId: "A", secretAccessKey: "S", sessionToken: null },
  );
});
