/**
 * A custom `kind = "oidc"` provider configured only by its issuer: the
 * appliance discovers the endpoints at oidc-provider, runs the device consent
 * flow through them, reads the account from userinfo, proxies with the token
 * and refreshes it at the discovered token endpoint.
 */
import assert from "node:assert/strict";
import { startDeviceConsent } from "./helpers/flow_env.ts";
import { startOidcServer } from "./helpers/oidc_server.ts";
import { freePort } from "./helpers/process.ts";
import { seedApp, vaultCredential } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";

Deno.test("kind = oidc: discovery, device consent, proxy and refresh through the discovered endpoints", async () => {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [{
      clientId: "corp-client",
      clientSecret: "corp-secret",
      redirectUris: [`${publicUrl}/oauth/callback`],
    }],
    accessTokenTtl: 3600,
  });
  // The fake API accepts only the token the vault holds now, minus any the
  // test declares revoked upstream.
  let vaultToken: () => Promise<string> = () => Promise.resolve("");
  const rejected = new Set<string>();
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    const ok = !rejected.has(token) && token === await vaultToken();
    return ok
      ? Response.json({ ok: true, path: new URL(req.url).pathname })
      : Response.json({ error: "bad token" }, { status: 401 });
  });
  const temp = await openTempAppliance({
    env: { CORP_SECRET: "corp-secret" },
    raw: {
      server: { listen: `127.0.0.1:${port}`, public_url: publicUrl, base_domain: "localhost" },
      providers: {
        corp: {
          kind: "oidc",
          issuer: oidc.issuer,
          client_id: "corp-client",
          client_secret: "env:CORP_SECRET",
          api_base_url: `http://127.0.0.1:${upstream.addr.port}/api`,
          scopes: ["openid", "email", "profile"],
        },
      },
    },
  });
  const { appliance } = temp;
  const served = await serveRuntime(appliance, port);
  try {
    const { apiKey: secret } = await seedApp(appliance, { name: "corp-portal" });
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${publicUrl}${path}`, {
        ...init,
        headers: { "securix-api-key": secret, "content-type": "application/json" },
      });

    const { browser, providerUrl } = await startDeviceConsent({ api, publicUrl }, "emp-7", {
      corp: {},
    });
    assert.ok(
      providerUrl.startsWith(oidc.authorizationUrl),
      `discovered authorization endpoint used: ${providerUrl}`,
    );
    const callback = await oidc.loginAndConsent(providerUrl, { accountId: "emp7" });
    const done = await browser.go(callback);
    assert.equal(done.status, 200);

    const status = await (await api("/v1/auth/status?entityId=emp-7")).json();
    assert.equal(status.status, "AUTH_SUCCESS");
    assert.equal(status.providers.corp.status, "active");
    assert.match(JSON.stringify(status.providers.corp.account), /emp7@example\.test/);
    assert.equal(oidc.stats.userinfoCalls >= 1, true, "identity read from discovered userinfo");

    const row = await appliance.database.client.execute(
      "SELECT id, credential_id FROM connections WHERE entity_id = 'emp-7'",
    );
    const readToken = async () =>
      (await vaultCredential(appliance, String(row.rows[0].credential_id)))!;
    vaultToken = async () => (await readToken()).accessToken;
    const first = await readToken();
    assert.ok(first.refreshToken, "the discovered token endpoint issued a refresh token");
    const headers = {
      "securix-api-key": secret,
      "securix-entity-id": "emp-7",
      "securix-agent-id": "agent-1",
    };
    const proxied = await fetch(`${publicUrl}/proxy/corp/v2/me`, { headers });
    assert.equal(proxied.status, 200, await proxied.clone().text());
    assert.deepEqual(await proxied.json(), { ok: true, path: "/api/v2/me" });

    // The provider stops accepting the token: the proxy refreshes once at the
    // discovered token endpoint and replays with the new token.
    oidc.stats.reset();
    rejected.add(first.accessToken);
    const again = await fetch(`${publicUrl}/proxy/corp/v2/me`, { headers });
    assert.equal(again.status, 200, await again.clone().text());
    await again.body?.cancel();
    assert.equal(oidc.stats.tokenCalls.refresh_token, 1);
    const second = await readToken();
    assert.notEqual(second.accessToken, first.accessToken);
  } finally {
    await served.stop();
    await upstream.shutdown();
    await oidc.close();
    await temp.cleanup();
  }
});
