/**
 * The Trust Portal's session cookie behind a TLS-terminating reverse proxy.
 * The appliance itself speaks plain http there; whether its users reach it
 * over https is what `[server] public_url` says. The portal session cookie
 * must then be Secure (README: "Secure over https"), as the approval and
 * consent pages' cookies already are, whether or not the proxy also sends
 * `X-Forwarded-Proto` (nginx does not by default): a cookie without Secure
 * goes out in clear on any http:// request to the same host.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/http/app.ts";
import { PortalChoices } from "../src/portal/portal_choices.ts";
import { startPortal } from "./helpers/portal_start.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

async function portalStartCookie(
  publicUrl: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const temp = await openTempAppliance({
    raw: { server: { listen: "127.0.0.1:0", public_url: publicUrl } },
  });
  try {
    const { apiKey } = await seedApp(temp.appliance, { name: "demo" });
    const { app } = await createApp(temp.appliance, {
      providers: { enabled: new Map(), known: new Set() },
      portal: {
        choices: new PortalChoices({ database: temp.appliance.database }),
        proxy: () => null,
      },
      log: () => {},
    });
    // What the reverse proxy hands on: plain http from the proxy's address.
    const minted = await app.fetch(
      new Request("http://127.0.0.1:8080/v1/portal/urls", {
        method: "POST",
        headers: { "securix-api-key": apiKey, "content-type": "application/json" },
        body: JSON.stringify({ entityId: "alice" }),
      }),
    );
    const { url } = await minted.json();
    assert.equal(minted.status, 201, url);
    const start = new URL(url);
    const opened = await startPortal(`http://127.0.0.1:8080${start.pathname}${start.search}`, {
      fetcher: (r) => Promise.resolve(app.fetch(r)),
      headers,
    });
    assert.equal(opened.response.status, 303);
    const cookie = opened.setCookie;
    assert.match(cookie, /^sx_portal=/);
    return cookie;
  } finally {
    await temp.cleanup();
  }
}

Deno.test("portal cookie: Secure when public_url is https, even with no X-Forwarded-Proto", async () => {
  const cookie = await portalStartCookie("https://securix.example.com");
  assert.match(cookie, /;\s*Secure/i, cookie);
  assert.match(cookie, /;\s*HttpOnly/i, cookie);
  assert.match(cookie, /;\s*SameSite=Strict/i, cookie);
  assert.match(cookie, /;\s*Path=\/portal/i, cookie);
});

Deno.test("portal cookie: Secure when the proxy says https; not on a plain-http appliance", async () => {
  const told = await portalStartCookie("http://securix.example.com", {
    "x-forwarded-proto": "https",
  });
  assert.match(told, /;\s*Secure/i, told);
  // Plain http end to end (development): a Secure cookie would never come back.
  const plain = await portalStartCookie("http://localhost:8080");
  assert.doesNotMatch(plain, /;\s*Secure/i, plain);
});

Deno.test("portal cookie: Secure when public_url spells its scheme in capitals (URL schemes are case-insensitive)", async () => {
  const cookie = await portalStartCookie("HTTPS://securix.example.com");
  assert.match(cookie, /;\s*Secure/i, cookie);
});
