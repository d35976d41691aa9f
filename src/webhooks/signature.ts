import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeBase64, encodeBase64 } from "@oslojs/encoding";

/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>`
 * where the secret is the base64 part of `whsec_…`.
 */
export const SECRET_PREFIX = "whsec_";

export function generateWebhookSecret(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  return SECRET_PREFIX + encodeBase64(random(new Uint8Array(32)));
}

function secretBytes(secret: string): Uint8Array {
  return decodeBase64(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
  );
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = hmac(
    SHA256,
    secretBytes(secret),
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${encodeBase64(mac)}`;
}

/** Signs with every active secret (two during a rotation), space-separated as the spec allows. */
export function signatureHeader(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string,
): string {
  return secrets.map((s) => signWebhook(s, id, timestamp, body)).join(" ");
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** Securix generates 32-byte secrets; fewer than 16 is a misconfiguration, never a key. */
const MIN_SECRET_BYTES = 16;

/**
 * Verifies a delivery: the timestamp within `toleranceS` of now and one of the
 * `v1,` signatures matching. Throws WebhookVerificationError otherwise, and a TypeError
 * for a secret that is empty or too short to be one.
 */
export function verifyWebhook(
  body: string,
  headers: Headers | Record<string, string>,
  secret: string,
  options: { toleranceS?: number; now?: () => number } = {},
): void {
  // An unset secret (an empty env var) would be an empty HMAC key anyone can sign with.
  if (typeof secret !== "string" || secretBytes(secret).length < MIN_SECRET_BYTES) {
    throw new TypeError(
      `Cannot verify a webhook: the secret is empty or shorter than ${MIN_SECRET_BYTES} bytes ` +
        `(pass the endpoint's whsec_… secret)`,
    );
  }
  const get = (name: string) =>
    headers instanceof Headers
      ? headers.get(name)
      : headers[name] ?? headers[name.toLowerCase()] ?? null;
  const id = get("webhook-id");
  const timestamp = Number(get("webhook-timestamp"));
  const signatures = get("webhook-signature");
  if (!id || !Number.isInteger(timestamp) || !signatures) {
    throw new WebhookVerificationError(
      "Missing webhook-id, webhook-timestamp or webhook-signature",
    );
  }
  const nowS = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowS - timestamp) > (options.toleranceS ?? 300)) {
    throw new WebhookVerificationError("Webhook timestamp is outside the tolerance");
  }
  const expected = new TextEncoder().encode(signWebhook(secret, id, timestamp, body));
  for (const candidate of signatures.split(" ")) {
    const presented = new TextEncoder().encode(candidate);
    if (presented.length === expected.length && constantTimeEqual(presented, expected)) return;
  }
  throw new WebhookVerificationError("No webhook signature matches");
}
