/**
 * Custom `kind = "oidc"` providers and refresh tokens, against oidc-provider
 * with its OIDC default (a refresh token only for a granted offline_access):
 * the appliance asks for offline_access (with prompt=consent) when the issuer
 * offers it, operators add authorization parameters, and a connection that
 * got no refresh token is flagged in the API, the webhook and the CLI.
 */
import assert from "node:assert/strict";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { startDeviceConsent } from "./helpers/flow_env.ts";
import { applianceClient, startOidcServer } from "./helpers/oidc_server.ts";
import { freePort, runCliProcess } from "./helpers/process.ts";
import { seedApp, vaultCredential } from "./helpers/seed.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("kind = oidc: offline_access when offered, authorization_params, refreshable flagged", async () => {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [applianceClient(publicUrl)],
    refreshTokens: "offline_access",
  });
  const custom = (extra: Record<string, unknown>) => ({
    kind: "oidc",
    issuer: oidc.issuer,
    client_id: "securix",
    client_secret: "s3cret",
    api_base_url: "http://127.0.0.1:9/api",
    ...extra,
  });
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${port}`, public_url: publicUrl, base_domain: "localhost" },
      webhooks: { allow_private_targets: true },
      providers: {
        corp: custom({ authorization_params: { ui_locales: "de" } }),
        // The allowlist leaves offline_access out: no refresh token.
        narrow: custom({ scopes: ["openid", "email", "profile"] }),
      },
    },
  });
  const { appliance } = temp;
  const receiver = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(null, { status: 204 }),
  );
  const served = await serveRuntime(appliance, port, { webhookPollMs: 60_000 });
  try {
    const { app, apiKey } = await seedApp(appliance, { name: "demo" });
    await addEndpoint(
      { db: appliance.database.db, vault: appliance.vault, now: appliance.now },
      app.id,
      `http://127.0.0.1:${receiver.addr.port}/hooks`,
      ["*"],
    );
    const api = (path: string) =>
      fetch(`${publicUrl}${path}`, { headers: { "securix-api-key": apiKey } });
    const connect = async (entityId: string, provider: string) => {
      const started = await startDeviceConsent(
        {
          api: (p, init) =>
            fetch(`${publicUrl}${p}`, {
              ...init,
              headers: { "securix-api-key": apiKey, "content-type": "application/json" },
            }),
          publicUrl,
        },
        entityId,
        { [provider]: {} },
      );
      const url = new URL(started.providerUrl);
      const callback = await oidc.loginAndConsent(url, { accountId: entityId });
      const done = await started.browser.go(callback);
      assert.equal(done.status, 200, await done.text());
      return url;
    };

    const corpUrl = await connect("u1", "corp");
    assert.deepEqual(corpUrl.searchParams.get("scope")?.split(" ").toSorted(), [
      "email",
      "offline_access",
      "openid",
      "profile",
    ]);
    assert.equal(corpUrl.searchParams.get("prompt"), "consent");
    assert.equal(corpUrl.searchParams.get("ui_locales"), "de");
    const narrowUrl = await connect("u2", "narrow");
    assert.ok(!narrowUrl.searchParams.get("scope")?.includes("offline_access"));

    const list = await (await api("/v1/connections")).json();
    const by = Object.fromEntries(
      list.connections.map((c: { entityId: string }) => [c.entityId, c]),
    );
    assert.equal(by.u1.refreshable, true);
    assert.equal(by.u2.refreshable, false);
    assert.ok(by.u2.expiresAt, "when the unrefreshable token dies");

    const { rows } = await appliance.database.client.execute(
      "SELECT entity_id, credential_id FROM connections ORDER BY entity_id",
    );
    const stored = await Promise.all(
      rows.map((r) => vaultCredential(appliance, String(r.credential_id))),
    );
    assert.ok(stored[0]?.refreshToken, "offline_access brought a refresh token");
    assert.equal(stored[1]?.refreshToken, null);

    const events = await appliance.database.client.execute(
      "SELECT payload FROM webhook_deliveries WHERE event_type = 'connection.created'",
    );
    const created = events.rows.map((r) => JSON.parse(String(r.payload)).data);
    assert.deepEqual(
      created.map((d) => [d.entityId, d.refreshable]).toSorted(),
      [["u1", true], ["u2", false]],
    );

    const cli = await runCliProcess(["--config", temp.configPath, "connections", "list"], {
      cwd: temp.dir,
    });
    assert.equal(cli.code, 0, cli.stderr);
    const [header, ...lines] = cli.stdout.trim().split("\n");
    assert.match(header, /REFRESHABLE$/);
    assert.match(lines.find((l) => l.includes(" u1 "))!, /true$/);
    assert.match(lines.find((l) => l.includes(" u2 "))!, /false$/);
  } finally {
    await served.stop();
    await receiver.shutdown();
    await oidc.close();
    await temp.cleanup();
  }
});
