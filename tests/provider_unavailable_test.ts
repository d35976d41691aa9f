/**
 * One custom OIDC provider whose issuer is down at start: `serve` starts
 * anyway, the other provider's consent works, the broken one answers
 * SX-PROVIDER-UNAVAILABLE (consent and proxy), and once the issuer comes up
 * the provider works without a restart.
 */
import assert from "node:assert/strict";
import { openDeviceConsent, startDeviceConsent } from "./helpers/flow_env.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { freePort, startServeProcess } from "./helpers/process.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("serve: an unreachable OIDC issuer leaves the others working and recovers without a restart", async () => {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const corpPort = freePort(); // closed until the issuer starts below
  const gmailIdp = await startOidcServer({ clients: [applianceClient(publicUrl)] });
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ ok: true }),
  );
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${port}`, public_url: publicUrl, base_domain: "localhost" },
      providers: {
        gmail: providerAt(gmailIdp, `http://127.0.0.1:${upstream.addr.port}`),
        corp: {
          kind: "oidc",
          issuer: `http://127.0.0.1:${corpPort}`,
          client_id: "securix",
          client_secret: "s3cret",
          api_base_url: `http://127.0.0.1:${upstream.addr.port}/corp`,
        },
      },
    },
  });
  const { apiKey } = await seedApp(temp.appliance, { name: "demo" });
  let corpIdp: Awaited<ReturnType<typeof startOidcServer>> | null = null;
  const serve = await startServeProcess({ cwd: temp.dir, port, timeoutMs: 30_000 });
  try {
    const health = await fetch(`${publicUrl}/healthz`);
    assert.equal(health.status, 200, await health.text());
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${publicUrl}${path}`, {
        ...init,
        headers: { "securix-api-key": apiKey, "content-type": "application/json" },
      });

    // The healthy provider's whole consent works.
    const gmail = await startDeviceConsent({ api, publicUrl }, "u-gmail", { gmail: {} });
    assert.ok(gmail.providerUrl.startsWith(gmailIdp.authorizationUrl), gmail.providerUrl);
    const callback = await gmailIdp.loginAndConsent(gmail.providerUrl, { accountId: "alice" });
    const done = await gmail.browser.go(callback);
    assert.equal(done.status, 200, await done.text());

    // The broken one: a clear 503 on the consent page and on the proxy.
    const corp = await openDeviceConsent({ api, publicUrl }, "u-corp", { corp: {} });
    const refused = await corp.browser.form(`${corp.connectUrl}/continue`, { csrf: corp.csrf });
    assert.equal(refused.status, 503);
    assert.match(await refused.text(), /SX-PROVIDER-UNAVAILABLE/);
    const proxied = await fetch(`${publicUrl}/proxy/corp/v1/me`, {
      headers: {
        "securix-api-key": apiKey,
        "securix-entity-id": "u-corp",
        "securix-agent-id": "a1",
      },
    });
    assert.equal(proxied.status, 503);
    const body = await proxied.json();
    assert.equal(body.error.code, "SX-PROVIDER-UNAVAILABLE");
    assert.equal(body.error.details.provider, "corp");
    assert.match(serve.output(), /corp.*retrying/);

    // The issuer comes up: the backoff's background retry finds it, no restart, no user needed.
    corpIdp = await startOidcServer({ clients: [applianceClient(publicUrl)], port: corpPort });
    const deadline = Date.now() + 30_000;
    while (!/corp: OpenID configuration discovered/.test(serve.output())) {
      assert.ok(Date.now() < deadline, `not rediscovered:\n${serve.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const page = await corp.browser.go(corp.connectUrl);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
    const res = await corp.browser.form(`${corp.connectUrl}/continue`, { csrf });
    await res.body?.cancel();
    assert.equal(res.status, 303);
    const location = res.headers.get("location");
    assert.ok(location?.startsWith(corpIdp.authorizationUrl), `redirected: ${location}`);
    const corpCallback = await corpIdp.loginAndConsent(location!, { accountId: "bob" });
    const corpDone = await corp.browser.go(corpCallback);
    assert.equal(corpDone.status, 200, await corpDone.text());
    const status = await (await api("/v1/auth/status?entityId=u-corp")).json();
    assert.equal(status.providers.corp.status, "active");
  } finally {
    await serve.stop();
    await corpIdp?.close();
    await upstream.shutdown();
    await gmailIdp.close();
    await temp.cleanup();
  }
});
