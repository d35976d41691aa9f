import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import {
  generateWebhookSecret,
  signatureHeader,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
} from "./signature.ts";

Deno.test("webhook signatures: the standardwebhooks library accepts ours and refuses changes", () => {
  const secret = generateWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  const id = "msg_abc";
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type: "connection.created", data: { id: "con_1" } });
  const headers = {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(secret, id, timestamp, body),
  };
  const receiver = new Webhook(secret);
  assert.deepEqual(receiver.verify(body, headers), JSON.parse(body));
  assert.throws(() => receiver.verify(body.replace("con_1", "con_2"), headers));
  assert.throws(() => receiver.verify(body, { ...headers, "webhook-id": "msg_other" }));
  assert.throws(() =>
    receiver.verify(body, { ...headers, "webhook-timestamp": String(timestamp + 1) })
  );
});

Deno.test("webhook signatures: during rotation either secret verifies", () => {
  const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
  const t = Math.floor(Date.now() / 1000);
  const header = signatureHeader([newSecret, oldSecret], "msg_1", t, "{}");
  const headers = {
    "webhook-id": "msg_1",
    "webhook-timestamp": String(t),
    "webhook-signature": header,
  };
  new Webhook(oldSecret).verify("{}", headers);
  new Webhook(newSecret).verify("{}", headers);
  verifyWebhook("{}", headers, oldSecret);
  assert.throws(
    () => verifyWebhook("{}", headers, generateWebhookSecret()),
    WebhookVerificationError,
  );
});

Deno.test("webhook signatures: our verify enforces the timestamp tolerance", () => {
  const secret = generateWebhookSecret();
  const t = 1_700_000_000;
  const headers = new Headers({
    "webhook-id": "msg_1",
    "webhook-timestamp": String(t),
    "webhook-signature": signWebhook(secret, "msg_1", t, "{}"),
  });
  verifyWebhook("{}", headers, secret, { now: () => t * 1000 + 60_000 });
  assert.throws(
    () => verifyWebhook("{}", headers, secret, { now: () => t * 1000 + 600_000 }),
    /tolerance/,
  );
});
