import assert from "node:assert/strict";
import { generateWebhookSecret, signatureHeader } from "../webhooks/signature.ts";
import { Securix, WebhookVerificationError } from "./server_client.ts";

const secret = generateWebhookSecret();
const body = JSON.stringify({
  type: "connection.created",
  timestamp: "2026-11-23T10:00:00.000Z",
  data: { connectionId: "con_1", entityId: "user-1", provider: "gmail" },
});
const at = 1_800_000_000;
const now = () => at * 1000;
const headers = {
  "webhook-id": "msg_1",
  "webhook-timestamp": String(at),
  "webhook-signature": signatureHeader([secret], "msg_1", at, body),
};

Deno.test("sdk webhooks.verify: a genuine delivery returns the event", () => {
  const event = Securix.webhooks.verify(body, headers, secret, { now });
  assert.equal(event.type, "connection.created");
  assert.equal(event.data.connectionId, "con_1");
  const sdk = new Securix({ baseUrl: "http://127.0.0.1:1", apiKey: "sx_live_x" });
  assert.deepEqual(sdk.webhooks.verify(body, new Headers(headers), secret, { now }), event);
});

Deno.test("sdk webhooks.verify: changed body, id, timestamp or secret, and stale deliveries, throw", () => {
  const bad: [string, Record<string, string>, string, () => number][] = [
    [body.replace("con_1", "con_2"), headers, secret, now],
    [body, { ...headers, "webhook-id": "msg_2" }, secret, now],
    [body, { ...headers, "webhook-timestamp": String(at + 1) }, secret, () => (at + 1) * 1000],
    [body, headers, generateWebhookSecret(), now],
    [body, headers, secret, () => (at + 301) * 1000],
  ];
  for (const [b, h, s, clock] of bad) {
    assert.throws(
      () => Securix.webhooks.verify(b, h, s, { now: clock }),
      WebhookVerificationError,
    );
  }
});

Deno.test("sdk webhooks.verify: an empty or missing secret (an unset env var) verifies nothing", () => {
  // Signed with an empty HMAC key, as anyone can: a receiver whose secret is "" or "whsec_"
  // must not accept it.
  const forged = {
    ...headers,
    "webhook-signature": signatureHeader(["whsec_"], "msg_1", at, body),
  };
  for (const empty of ["", "whsec_", undefined as unknown as string, "whsec_AAAA"]) {
    assert.throws(
      () => Securix.webhooks.verify(body, forged, empty, { now }),
      (e: unknown) => e instanceof TypeError && /secret/.test(e.message),
      JSON.stringify(empty),
    );
  }
  // A well-formed secret still refuses the forgery, as a bad signature.
  assert.throws(
    () => Securix.webhooks.verify(body, forged, secret, { now }),
    WebhookVerificationError,
  );
});
