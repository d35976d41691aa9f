import assert from "node:assert/strict";
import {
  CHALLENGE_TTL_MS,
  consentProof,
  issueChallenge,
  verifyChallenge,
  verifyConsentProof,
} from "./consent_proof.ts";
import { sxcHash } from "./sxc.ts";

const KEY = new Uint8Array(32).fill(7);
const NOW = Date.parse("2030-01-01T12:00:00Z");
const ORIGIN = "https://app.example";

Deno.test("consent proof: checks against the stored sxcHash, bound to session, nonce and origin", () => {
  const committed = sxcHash("the-sxc-the-sdk-holds");
  const proof = consentProof(committed, "ses_1", "nonce-1", ORIGIN);
  assert.match(proof, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(verifyConsentProof(committed, "ses_1", "nonce-1", ORIGIN, proof));

  assert.equal(
    verifyConsentProof(sxcHash("another-sxc"), "ses_1", "nonce-1", ORIGIN, proof),
    false,
  );
  assert.equal(verifyConsentProof(committed, "ses_2", "nonce-1", ORIGIN, proof), false);
  assert.equal(verifyConsentProof(committed, "ses_1", "nonce-2", ORIGIN, proof), false);
  assert.equal(
    verifyConsentProof(committed, "ses_1", "nonce-1", "https://evil.example", proof),
    false,
  );
  assert.equal(verifyConsentProof(committed, "ses_1", "nonce-1", ORIGIN, ""), false);
  assert.equal(verifyConsentProof(committed, "ses_1", "nonce-1", ORIGIN, `${proof}x`), false);
  // The hash itself, or the sxc, is not a proof.
  assert.equal(verifyConsentProof(committed, "ses_1", "nonce-1", ORIGIN, committed), false);
  assert.equal(verifyConsentProof("not-a-hash", "ses_1", "nonce-1", ORIGIN, proof), false);
});

Deno.test("consent proof: the same value as Web Crypto computes in the browser SDK", async () => {
  const sxc = "sdk-side-sxc";
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(sxc)),
  );
  const key = await crypto.subtle.importKey(
    "raw",
    digest,
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
    ],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign(
      "HMAC",
      key,
      new TextEncoder().encode(`securix-consent-proof\nses_9\nn0nce\n${ORIGIN}`),
    ),
  );
  const browser = btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  assert.equal(consentProof(sxcHash(sxc), "ses_9", "n0nce", ORIGIN), browser);
});

Deno.test("consent challenge: bound to the session and the browser, expires", () => {
  const random = new Uint8Array(24).fill(1);
  const nonce = issueChallenge(KEY, { sessionId: "ses_1", bindingHash: "b1", now: NOW, random });
  const ok = { sessionId: "ses_1", bindingHash: "b1", now: NOW + 1000, nonce };
  assert.ok(verifyChallenge(KEY, ok));
  assert.equal(verifyChallenge(KEY, { ...ok, sessionId: "ses_2" }), false, "another session");
  assert.equal(verifyChallenge(KEY, { ...ok, bindingHash: "b2" }), false, "another browser");
  assert.equal(verifyChallenge(new Uint8Array(32), ok), false, "another key");
  assert.equal(verifyChallenge(KEY, { ...ok, now: NOW + CHALLENGE_TTL_MS + 1 }), false, "expired");
  assert.equal(verifyChallenge(KEY, { ...ok, now: NOW - 120_000 }), false, "from the future");
  const [at, rand, mac] = nonce.split(".");
  assert.equal(verifyChallenge(KEY, { ...ok, nonce: `${Number(at) + 1}.${rand}.${mac}` }), false);
  assert.equal(verifyChallenge(KEY, { ...ok, nonce: "" }), false);
  assert.equal(verifyChallenge(KEY, { ...ok, nonce: `${nonce}.x` }), false);
});
