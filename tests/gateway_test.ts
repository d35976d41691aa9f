/**
 * The connection-id gateway, run the way the Nexus agent-integration guide's
 * manual flow runs it: plain HTTP calls (curl-like `fetch`) against the served
 * appliance, oidc-provider as the upstream authorization server, and Chromium
 * as the user's browser for the consent.
 */
import assert from "node:assert/strict";
import { cliActor } from "../src/audit/actor.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { providerWiring } from "../src/cli/connections_command.ts";
import { refreshNow } from "../src/connections/refresh_now.ts";
import { SecurixError } from "../src/errors/securix_error.ts";
import { Browser, type FlowEnv, setup } from "./helpers/flow_env.ts";
import { freePort } from "./helpers/process.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { explainSkip, hasChromium, launchChromium } from "./browser/chromium.ts";

explainSkip("gateway manual flow (Chromium consent)");
const SHOTS = new URL("../.test-artifacts/screenshots/", import.meta.url).pathname;

const SCOPES = ["openid", "email", "https://www.googleapis.com/auth/gmail.readonly"];

interface Customer {
  origin: string;
  /** Query strings the customer's return_url received. */
  landed: URLSearchParams[];
  close(): Promise<void>;
}

/** The app's own site: its return_url records what the appliance sent back. */
function startCustomer(port: number): Customer {
  const landed: URLSearchParams[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/callback") landed.push(url.searchParams);
    return new Response(`<!doctype html><title>Customer</title><p>${url.pathname}</p>`, {
      headers: { "content-type": "text/html" },
    });
  });
  return { origin: `http://127.0.0.1:${port}`, landed, close: () => server.shutdown() };
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

function errorOf(body: Record<string, unknown>): { code: string; llmError?: string } {
  return body.error as { code: string; llmError?: string };
}

async function requestConnection(env: FlowEnv, returnUrl: string, extra = {}) {
  return await env.api("/v1/request-connection", {
    method: "POST",
    body: JSON.stringify({
      user_id: "nexus-user",
      provider_name: "Google", // Nexus's display alias: the one enabled Google provider, gmail.
      scopes: SCOPES,
      return_url: returnUrl,
      metadata: { team: "blue" },
      ...extra,
    }),
  });
}

/** The user's consent in Chromium: authUrl → consent page → provider login → back at return_url. */
async function consentInChromium(authUrl: string, returnPrefix: string): Promise<string> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(authUrl);
    const consentUrl = page.url();
    await page.getByText("sent you here to connect your account").waitFor();
    await Deno.mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}gateway-consent.png` });
    await page.getByRole("button", { name: /Continue to/ }).click();
    await page.locator("input[name=login]").fill("nina");
    await page.locator("input[name=password]").fill("x").catch(() => {});
    await page.locator("button[type=submit]").first().click();
    await page.locator("button[type=submit]").first().click();
    await page.waitForURL((u) => u.toString().startsWith(returnPrefix), { timeout: 20_000 });
    return consentUrl;
  } finally {
    await browser.close();
  }
}

Deno.test({
  name:
    "gateway: Nexus manual flow — request-connection → Chromium consent → return_url → check-connection → token (refused, then released and audited) → rules → refresh",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const customer = startCustomer(freePort());
    const env = await setup({ origin: customer.origin });
    try {
      // Step 1: initiate. A return_url outside the app's origins is refused.
      const foreign = await requestConnection(env, "https://evil.example/callback");
      assert.equal(foreign.status, 400);
      assert.equal(errorOf(await json(foreign)).code, "SX-ORIGIN-NOT-ALLOWED");
      const created = await requestConnection(env, `${customer.origin}/callback?from=nexus`);
      const request = await json(created);
      assert.equal(created.status, 201, JSON.stringify(request));
      const connectionId = request.connection_id as string;
      assert.match(connectionId, /^con_/);
      assert.equal(request.provider_id, "gmail");
      assert.deepEqual(request.scopes, SCOPES);
      assert.equal(typeof request.state, "string");
      const authUrl = request.authUrl as string;
      assert.ok(authUrl.startsWith(`${env.publicUrl}/connect/link/`), authUrl);

      const pending = await json(await env.api(`/v1/check-connection/${connectionId}`));
      assert.equal(pending.status, "pending");
      assert.deepEqual(pending.metadata, { team: "blue" });
      // Pending connections are never usable through the proxy.
      const early = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers: {
          "securix-api-key": env.apiKey,
          "securix-agent-id": "agent-1",
          "securix-connection-id": connectionId,
        },
      });
      assert.equal(early.status, 401);
      await early.body?.cancel();

      // Step 2: the user opens authUrl in a browser and consents.
      const consentUrl = await consentInChromium(authUrl, `${customer.origin}/callback`);
      assert.equal(customer.landed.length, 1);
      const back = customer.landed[0];
      assert.equal(back.get("status"), "success");
      assert.equal(back.get("connection_id"), connectionId);
      assert.equal(back.get("provider"), "gmail");
      assert.equal(back.get("state"), request.state);
      assert.equal(back.get("from"), "nexus", "the return_url's own query is kept");
      assert.equal([...back.keys()].some((k) => /token|code/.test(k)), false, "no token in URL");

      // The link is single use: another browser (no cookie) cannot take it over or reuse it.
      const thief = new Browser();
      const stolen = await thief.go(authUrl);
      assert.notEqual(stolen.status, 303);
      await stolen.body?.cancel();
      const direct = await thief.go(consentUrl);
      assert.equal(
        (direct.headers.get("location") ?? "").startsWith(customer.origin),
        false,
        "only the browser that consented is sent to the return_url",
      );
      await direct.body?.cancel();

      // Step 3: check-connection.
      assert.equal(
        (await json(await env.api(`/v1/check-connection/${connectionId}`))).status,
        "active",
      );

      // Step 4: token — refused by default, pointing the agent at the proxy.
      const refused = await env.api(`/v1/token/${connectionId}`);
      assert.equal(refused.status, 403);
      const refusal = errorOf(await json(refused));
      assert.equal(refusal.code, "SX-RELEASE-DISABLED");
      assert.match(refusal.llmError ?? "", /proxy/);

      // The operator allows release (the command behind `securix apps update demo --allow-credential-release`).
      const { appliance } = env;
      await updateApp(appliance.database, "demo", { credentialRelease: true }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      const released = await env.api(`/v1/token/${connectionId}`, {
        headers: { "securix-agent-id": "agent-1" },
      });
      const payloadText = await released.text();
      assert.equal(released.status, 200, payloadText);
      const payload = JSON.parse(payloadText);
      const vaultToken = await env.vaultToken("nexus-user");
      assert.equal(payload.strategy.type, "oauth2");
      assert.equal(payload.credentials.access_token, vaultToken);
      assert.equal(typeof payload.expires_at, "number");
      assert.equal(/refresh/i.test(payloadText), false, "no refresh token is ever released");
      const records = await listRecords(appliance.database.db, {
        kinds: "connection.credential_released",
      });
      assert.equal(records.length, 1);
      assert.equal(records[0].data.connectionId, connectionId);
      assert.match(String(records[0].data.by), /^api:key_/);
      assert.equal(records[0].data.agentId, "agent-1");
      assert.equal(JSON.stringify(records[0]).includes(vaultToken), false, "audit holds no token");

      // A deny rule on gmail.credential_release blocks release, and the refusal is audited.
      const loaded = env.runtime.applyRules({
        rules: [{ name: "keep-gmail-inside", target: "gmail.credential_release", effect: "deny" }],
      }, "test");
      assert.equal(loaded.ok, true, JSON.stringify(loaded));
      const denied = await env.api(`/v1/token/${connectionId}`);
      assert.equal(denied.status, 403);
      assert.equal(errorOf(await json(denied)).code, "SX-POLICY-DENIED");
      const deniedRecords = await listRecords(appliance.database.db, {
        kinds: "connection.credential_release_denied",
      });
      assert.equal(deniedRecords.length, 1);
      env.runtime.applyRules({ rules: [] }, "test");

      // Step 5: refresh — forced, once, through the shared credential source.
      env.oidc.stats.reset();
      const refreshed = await env.api(`/v1/refresh/${connectionId}`, { method: "POST" });
      const freshText = await refreshed.clone().text();
      assert.equal(/refresh_token|id_token/.test(freshText), false, "refresh never releases it");
      const fresh = await json(refreshed);
      assert.equal(refreshed.status, 200, JSON.stringify(fresh));
      assert.equal(env.oidc.stats.tokenCalls.refresh_token, 1);
      const newToken = await env.vaultToken("nexus-user");
      assert.notEqual(newToken, vaultToken);
      assert.equal((fresh.credentials as { access_token: string }).access_token, newToken);

      // Release switched off again: refresh still works, nothing leaves.
      await updateApp(appliance.database, "demo", { credentialRelease: false }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      const quiet = await env.api(`/v1/refresh/${connectionId}`, { method: "POST" });
      const quietText = await quiet.text();
      assert.equal(quiet.status, 200, quietText);
      assert.equal(JSON.parse(quietText).status, "active");
      assert.equal(quietText.includes("access_token"), false);
      const off = await env.api(`/v1/token/${connectionId}`);
      assert.equal(off.status, 403, "switching release off takes effect at once");
      await off.body?.cancel();

      // The connection id works on the proxy in place of the entity id.
      env.setExpected(() => env.vaultToken("nexus-user"));
      const proxied = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers: {
          "securix-api-key": env.apiKey,
          "securix-agent-id": "agent-1",
          "securix-connection-id": connectionId,
        },
      });
      assert.equal(proxied.status, 200, await proxied.clone().text());
      assert.deepEqual((await proxied.json()).messages, [{ id: "m1" }]);
    } finally {
      await env.close();
      await customer.close();
    }
  },
});

Deno.test({
  name: "gateway: declined consent → return_url gets status=error; check-connection failed",
  ignore: !hasChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const customer = startCustomer(freePort());
    const env = await setup({ origin: customer.origin });
    const browser = await launchChromium();
    try {
      const request = await json(await requestConnection(env, `${customer.origin}/callback`));
      const page = await browser.newPage();
      await page.goto(request.authUrl as string);
      await page.getByRole("button", { name: "Cancel" }).click();
      await page.waitForURL((u) => u.toString().startsWith(`${customer.origin}/callback`));
      const back = customer.landed[0];
      assert.equal(back.get("status"), "error");
      assert.equal(back.get("error"), "user_cancelled");
      assert.equal(back.get("connection_id"), request.connection_id);
      const status = await json(await env.api(`/v1/check-connection/${request.connection_id}`));
      assert.equal(status.status, "failed");
      // The leftovers sweep deletes the never-used pending row: the promised id still answers.
      await env.appliance.database.client.execute({
        sql: "DELETE FROM connections WHERE id = ? AND status = 'pending'",
        args: [String(request.connection_id)],
      });
      const swept = await json(await env.api(`/v1/check-connection/${request.connection_id}`));
      assert.equal(swept.status, "failed");
    } finally {
      await browser.close();
      await env.close();
      await customer.close();
    }
  },
});

Deno.test({
  name:
    "gateway: attacks — another app's connection id, another provider's, both selectors, a reused link",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await setup();
    try {
      const { appliance } = env;
      const demoId = String(
        (await appliance.database.client.execute("SELECT id FROM apps WHERE name = 'demo'"))
          .rows[0].id,
      );
      const { app: other } = await seedApp(appliance, { name: "other" });
      await seedConnection(appliance, {
        id: "con_othersgmail",
        appId: other.id,
        entityId: "victim",
        provider: "gmail",
        accessToken: "victim-token",
      });
      await seedConnection(appliance, {
        id: "con_owndrive",
        appId: demoId,
        entityId: "u1",
        provider: "drive",
        accessToken: "drive-token",
      });
      await seedConnection(appliance, {
        id: "con_owngmail",
        appId: demoId,
        entityId: "u1",
        provider: "gmail",
        accessToken: "own-token",
      });
      await updateApp(appliance.database, "demo", { credentialRelease: true }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      env.setExpected("own-token");
      const proxy = (headers: Record<string, string>) =>
        fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
          headers: { "securix-api-key": env.apiKey, "securix-agent-id": "agent-1", ...headers },
        });

      const foreign = await proxy({ "securix-connection-id": "con_othersgmail" });
      assert.equal(foreign.status, 404);
      assert.equal(errorOf(await json(foreign)).code, "SX-CONNECTION-NOT-FOUND");
      const unknown = await proxy({ "securix-connection-id": "con_nosuchthing" });
      assert.equal(unknown.status, 404, "another app's id answers like an unknown one");
      await unknown.body?.cancel();
      const mismatch = await proxy({ "securix-connection-id": "con_owndrive" });
      assert.equal(mismatch.status, 400);
      assert.equal(errorOf(await json(mismatch)).code, "SX-CONNECTION-PROVIDER-MISMATCH");
      const both = await proxy({
        "securix-connection-id": "con_owngmail",
        "securix-entity-id": "u1",
      });
      assert.equal(both.status, 400);
      assert.match(JSON.stringify(await json(both)), /not both/);
      const malformed = await proxy({ "securix-connection-id": "../con_owngmail" });
      assert.equal(malformed.status, 400);
      await malformed.body?.cancel();
      const own = await proxy({ "securix-connection-id": "con_owngmail" });
      assert.equal(own.status, 200, await own.clone().text());
      await own.body?.cancel();
      // Revoked: refused at once, though the id was just cached.
      const revoked = await env.api("/v1/connections/con_owngmail", { method: "DELETE" });
      assert.equal(revoked.status, 204);
      const afterRevoke = await proxy({ "securix-connection-id": "con_owngmail" });
      assert.equal(afterRevoke.status, 401, await afterRevoke.clone().text());
      await afterRevoke.body?.cancel();

      // The gateway endpoints: another app's connection is not found, for every call.
      for (
        const [method, path] of [
          ["GET", "/v1/check-connection/con_othersgmail"],
          ["GET", "/v1/token/con_othersgmail"],
          ["POST", "/v1/refresh/con_othersgmail"],
          ["POST", "/v1/connections/con_othersgmail/refresh"],
        ]
      ) {
        const res = await env.api(path, { method });
        const body = await res.text();
        assert.equal(res.status, 404, `${method} ${path}: ${body}`);
        assert.equal(body.includes("victim-token"), false);
      }
      // No API key, no gateway.
      const anonymous = await fetch(`${env.publicUrl}/v1/token/con_owngmail`);
      assert.equal(anonymous.status, 401);
      await anonymous.body?.cancel();

      // A link claimed by one browser is refused to another; a made-up link is not found.
      const created = await json(await requestConnection(env, "http://127.0.0.1:3000/cb"));
      const first = new Browser();
      const opened = await first.go(created.authUrl as string);
      assert.equal(opened.status, 303);
      const consent = `${env.publicUrl}${opened.headers.get("location")}`;
      assert.equal((await first.go(consent)).status, 200);
      assert.equal((await first.go(created.authUrl as string)).status, 303, "same browser: fine");
      const second = new Browser();
      const reused = await second.go(created.authUrl as string);
      assert.equal(reused.status, 403);
      assert.match(await reused.text(), /SX-LINK-USED/);
      const sideDoor = await second.go(consent);
      assert.equal(sideDoor.status, 403, "the consent page itself is bound to the first browser");
      await sideDoor.body?.cancel();
      const madeUp = await second.go(`${env.publicUrl}/connect/link/${"A".repeat(43)}`);
      assert.equal(madeUp.status, 404);
      await madeUp.body?.cancel();

      // provider_name: aliases in any case; ambiguity and unknown names are refused.
      const lower = await requestConnection(env, "http://127.0.0.1:3000/cb", {
        provider_name: "GMAIL",
      });
      assert.equal((await json(lower)).provider_id, "gmail");
      const nope = await requestConnection(env, "http://127.0.0.1:3000/cb", {
        provider_name: "Nowhere",
      });
      assert.equal(nope.status, 400);
      assert.equal(errorOf(await json(nope)).code, "SX-UNKNOWN-PROVIDER");

      const providers = await json(await env.api("/v1/providers"));
      const text = JSON.stringify(providers);
      const oauth2 = (providers.providers as Record<string, { name: string }[]>).oauth2;
      assert.deepEqual(oauth2.map((p) => p.name), ["gmail"]);
      assert.equal(/secret|client_id/i.test(text), false, "no client credentials listed");
    } finally {
      await env.close();
    }
  },
});

Deno.test({
  name:
    "gateway, proxy and operator refresh: one code and one status per connection state, whichever door",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await setup();
    try {
      const { appliance } = env;
      const demoId = String(
        (await appliance.database.client.execute("SELECT id FROM apps WHERE name = 'demo'"))
          .rows[0].id,
      );
      await updateApp(appliance.database, "demo", { credentialRelease: true }, {
        now: appliance.now,
        by: cliActor(() => "operator"),
      });
      // Refresh tokens oidc-provider never issued: it answers them with invalid_grant.
      for (const who of ["gw", "cli"]) {
        await seedConnection(appliance, {
          id: `con_dead${who}`,
          appId: demoId,
          entityId: `u-${who}`,
          provider: "gmail",
          accessToken: `at-${who}`,
          refreshToken: `never-issued-${who}`,
        });
      }
      await seedConnection(appliance, {
        id: "con_paused",
        appId: demoId,
        entityId: "u-paused",
        provider: "gmail",
        accessToken: "at-paused",
        refreshToken: "rt-paused",
      });
      await appliance.database.client.execute(
        "UPDATE connections SET status = 'paused' WHERE id = 'con_paused'",
      );
      const pending = String(
        (await json(await requestConnection(env, "http://127.0.0.1:3000/cb"))).connection_id,
      );

      /**
       * "status code" of a refusal, the body consumed; a refused refresh token adds
       * details.status, the marker that tells it from a passing SX-TOKEN-EXPIRED.
       */
      const refusal = async (res: Response) => {
        const body = await json(res);
        const error = body.error as { code: string; details?: Record<string, unknown> };
        const marker = error.details?.status === "needs_reauth" ? " needs_reauth" : "";
        return `${res.status} ${error.code}${marker}`;
      };
      const proxy = (selector: Record<string, string>) =>
        fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
          headers: { "securix-api-key": env.apiKey, "securix-agent-id": "agent-1", ...selector },
        });
      const doors = (id: string, entityId: string) => ({
        "POST /v1/refresh": () => env.api(`/v1/refresh/${id}`, { method: "POST" }),
        "POST /v1/connections/:id/refresh": () =>
          env.api(`/v1/connections/${id}/refresh`, { method: "POST" }),
        "GET /v1/token": () => env.api(`/v1/token/${id}`),
        "proxy, securix-connection-id": () => proxy({ "securix-connection-id": id }),
        "proxy, securix-entity-id": () => proxy({ "securix-entity-id": entityId }),
      });
      const expectEverywhere = async (id: string, entityId: string, expected: string) => {
        for (const [door, call] of Object.entries(doors(id, entityId))) {
          assert.equal(await refusal(await call()), expected, `${id} through ${door}`);
        }
      };

      // The gateway's forced refresh meets invalid_grant: the connection is needs_reauth.
      const first = await env.api("/v1/refresh/con_deadgw", { method: "POST" });
      const firstBody = await first.clone().json();
      assert.equal(await refusal(first), "401 SX-TOKEN-EXPIRED needs_reauth");
      assert.equal(firstBody.error.details.error, "attention_required", "Nexus's marker is kept");
      await expectEverywhere("con_deadgw", "u-gw", "401 SX-TOKEN-EXPIRED needs_reauth");

      // The operator's refresh (CLI and console share refreshNow) meets it: the same answer.
      const wiring = await providerWiring(appliance, "gmail");
      const operator = await refreshNow({
        ...appliance,
        refresherFor: wiring.refresherFor,
        providerEnabled: (name) => wiring.registry.enabled.has(name),
      }, "con_deadcli").then(
        () => "refreshed",
        (e: SecurixError) => `${e.status} ${e.code} ${e.details?.status}`,
      );
      assert.equal(operator, "401 SX-TOKEN-EXPIRED needs_reauth");
      await expectEverywhere("con_deadcli", "u-cli", "401 SX-TOKEN-EXPIRED needs_reauth");

      // Not connected yet: the proxy's 401 SX-NOT-CONNECTED at the gateway too.
      await expectEverywhere(pending, "nexus-user", "401 SX-NOT-CONNECTED");
      // Paused: the proxy's 403 SX-PAUSED at the gateway too (no credential released).
      await expectEverywhere("con_paused", "u-paused", "403 SX-PAUSED");
    } finally {
      await env.close();
    }
  },
});
