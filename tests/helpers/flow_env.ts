/** A running appliance with gmail pointed at a local OIDC server and a fake Gmail API. */
import assert from "node:assert/strict";
import type { Runtime, RuntimeOptions } from "../../src/http/runtime.ts";
import { consentProof } from "../../src/flows/consent_proof.ts";
import { sxcHash } from "../../src/flows/sxc.ts";
import { applianceClient, providerAt, startOidcServer } from "./oidc_server.ts";
import { freePort } from "./process.ts";
import { seedApp, storedCredential } from "./seed.ts";
import { openTempAppliance } from "./temp_appliance.ts";
import { serveRuntime } from "./serve_runtime.ts";

/** A browser's cookie jar for one origin, enough for the consent pages. */
export class Browser {
  cookies = new Map<string, string>();
  async go(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  }
  async form(url: string, fields: Record<string, string>): Promise<Response> {
    return await this.go(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
  }
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, "page has a CSRF field");
  return match[1];
}

/**
 * The fields consent_binding.js adds to a popup consent form once the SDK in the
 * opener (at `origin`, holding `sxc`) has answered the page's nonce.
 */
export function openerAnswer(
  html: string,
  sessionId: string,
  sxc: string,
  origin = "http://127.0.0.1:3000",
): { nonce: string; origin: string; proof: string } {
  const match = /data-nonce="([^"]+)"/.exec(html);
  assert.ok(match, "popup consent page carries an opener challenge");
  const nonce = match[1];
  return { nonce, origin, proof: consentProof(sxcHash(sxc), sessionId, nonce, origin) };
}

export async function setup(
  options: {
    now?: () => number;
    origin?: string;
    webhookResolve?: RuntimeOptions["webhookResolve"];
    webhookSend?: RuntimeOptions["webhookSend"];
    runtime?: RuntimeOptions;
  } = {},
) {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [applianceClient(publicUrl)],
    accessTokenTtl: 3600,
  });
  // The fake Gmail API answers only to the bearer token the vault holds.
  let expectedToken: () => string | Promise<string> = () => "";
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.headers.get("authorization") !== `Bearer ${await expectedToken()}`) {
      return Response.json({ error: "bad token" }, { status: 401 });
    }
    if (req.headers.has("securix-api-key") || req.headers.has("cookie")) {
      return Response.json({ error: "leaked caller header" }, { status: 400 });
    }
    return Response.json({ messages: [{ id: "m1" }], path: new URL(req.url).pathname });
  });
  const temp = await openTempAppliance({
    now: options.now,
    raw: {
      server: {
        listen: `127.0.0.1:${port}`,
        public_url: publicUrl,
        base_domain: "localhost",
        trust_proxy: true,
      },
      providers: {
        gmail: providerAt(oidc, `http://127.0.0.1:${upstream.addr.port}`, [
          "openid",
          "email",
          "profile",
          "https://www.googleapis.com/auth/gmail.readonly",
        ]),
      },
    },
  });
  const { appliance } = temp;
  const served = await serveRuntime(appliance, port, {
    webhookResolve: options.webhookResolve,
    webhookSend: options.webhookSend,
    ...options.runtime,
  });
  const { runtime } = served;
  const { apiKey } = await seedApp(appliance, {
    name: "demo",
    origins: [options.origin ?? "http://127.0.0.1:3000"],
  });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${publicUrl}${path}`, {
      ...init,
      headers: { "securix-api-key": apiKey, "content-type": "application/json", ...init.headers },
    });
  const vaultToken = async (entityId: string) =>
    (await storedCredential(appliance, entityId))!.accessToken;
  return {
    publicUrl,
    oidc,
    api,
    apiKey,
    appliance,
    runtime,
    vaultToken,
    setExpected: (t: string | (() => string | Promise<string>)) =>
      expectedToken = typeof t === "string" ? () => t : t,
    async close() {
      await served.stop();
      await upstream.shutdown();
      await oidc.close();
      await temp.cleanup();
    },
  };
}

export type FlowEnv = Awaited<ReturnType<typeof setup>>;
export type { Runtime };

/** A device session created through the API, its code entered, the consent page open. */
export async function openDeviceConsent(
  env: Pick<FlowEnv, "api" | "publicUrl">,
  entityId: string,
  providers: Record<string, { scopes?: string[] }> = { gmail: {} },
): Promise<
  { browser: Browser; sessionId: string; connectUrl: string; csrf: string; html: string }
> {
  const created = await env.api("/v1/auth/sessions", {
    method: "POST",
    body: JSON.stringify({ entityId, flow: "device", providers }),
  });
  const session = await created.json();
  if (created.status !== 201) throw new Error(`session not created: ${JSON.stringify(session)}`);
  const browser = new Browser();
  const entry = await browser.go(`${env.publicUrl}/device`);
  const entered = await browser.form(`${env.publicUrl}/device`, {
    csrf: csrfOf(await entry.text()),
    code: session.deviceAuthCode,
  });
  const connectUrl = `${env.publicUrl}${entered.headers.get("location")}`;
  const html = await (await browser.go(connectUrl)).text();
  return { browser, sessionId: session.sessionId, connectUrl, csrf: csrfOf(html), html };
}

/**
 * Plays a device-flow user up to the provider: creates the session, enters
 * the code, continues on the consent page. Returns the provider URL to sign in at.
 */
export async function startDeviceConsent(
  env: Pick<FlowEnv, "api" | "publicUrl">,
  entityId: string,
  providers?: Record<string, { scopes?: string[] }>,
): Promise<{ browser: Browser; sessionId: string; providerUrl: string }> {
  const { browser, sessionId, connectUrl, csrf } = await openDeviceConsent(
    env,
    entityId,
    providers,
  );
  const started = await browser.form(`${connectUrl}/continue`, { csrf });
  return { browser, sessionId, providerUrl: started.headers.get("location")! };
}

/** A popup session committed to sha256(sxc), as the SDK creates it. */
export async function createPopupSession(env: FlowEnv, entityId: string, sxc: string) {
  const created = await env.api("/v1/auth/sessions", {
    method: "POST",
    body: JSON.stringify({
      entityId,
      flow: "popup",
      providers: { gmail: {} },
      sxcHash: sxcHash(sxc),
    }),
  });
  assert.equal(created.status, 201);
  return await created.json() as { sessionId: string; authUrl: string };
}

/**
 * A popup session walked through the consent page (answering its opener check
 * as the SDK would) and the provider's sign-in, up to its callback URL (not
 * yet visited).
 */
export async function popupToCallback(
  env: FlowEnv,
  entityId: string,
  sxc: string,
  accountId: string,
) {
  const session = await createPopupSession(env, entityId, sxc);
  const browser = new Browser();
  const html = await (await browser.go(session.authUrl)).text();
  const started = await browser.form(`${session.authUrl}/continue`, {
    csrf: csrfOf(html),
    ...openerAnswer(html, session.sessionId, sxc),
  });
  const callback = await env.oidc.loginAndConsent(started.headers.get("location")!, { accountId });
  return { session, browser, callback };
}
