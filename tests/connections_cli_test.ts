/**
 * `securix connections` as operators run it: the real CLI as a subprocess,
 * on the same securix.toml and encrypted database as an appliance serving in
 * this process. Connections come from real device-flow consents at a local
 * oidc-provider, so refresh and revocation hit a real token endpoint.
 */
import assert from "node:assert/strict";
import { CREDENTIAL_PURPOSE, type OAuthCredential } from "../src/connections/connection_types.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { startDeviceConsent } from "./helpers/flow_env.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { freePort, runCliProcess } from "./helpers/process.ts";
import { seedApp, seedConnection, vaultCredential } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";

async function setup() {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [applianceClient(publicUrl)],
  });
  // The "Gmail API": answers only to the access token user-1's vault record holds right now.
  let currentToken: () => Promise<string | null> = () => Promise.resolve(null);
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const ok = req.headers.get("authorization") === `Bearer ${await currentToken()}`;
    return Response.json({ ok }, { status: ok ? 200 : 401 });
  });
  const temp = await openTempAppliance({
    raw: {
      server: {
        listen: `127.0.0.1:${port}`,
        public_url: publicUrl,
        base_domain: "localhost",
        trust_proxy: true,
      },
      webhooks: { allow_private_targets: true },
      providers: {
        gmail: providerAt(oidc, `http://127.0.0.1:${upstream.addr.port}`),
      },
    },
  });
  const { appliance } = temp;
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    events.push(await req.json());
    return new Response(null, { status: 204 });
  });
  const served = await serveRuntime(appliance, port, { webhookPollMs: 100 });
  const { app, apiKey } = await seedApp(appliance, { name: "demo", origins: [publicUrl] });
  await addEndpoint(
    { db: appliance.database.db, vault: appliance.vault, now: appliance.now },
    app.id,
    `http://127.0.0.1:${receiver.addr.port}/hooks`,
    ["*"],
  );

  async function row(entityId: string) {
    const { rows } = await appliance.database.client.execute({
      sql: "SELECT id, status, credential_id, credential_expires_at FROM connections " +
        "WHERE entity_id = ? ORDER BY created_at DESC LIMIT 1",
      args: [entityId],
    });
    return rows[0] as unknown as {
      id: string;
      status: string;
      credential_id: string | null;
      credential_expires_at: number | null;
    };
  }
  async function credential(entityId: string): Promise<OAuthCredential | null> {
    const { credential_id } = await row(entityId);
    if (!credential_id) return null;
    return await vaultCredential(appliance, credential_id);
  }
  currentToken = async () => (await credential("user-1").catch(() => null))?.accessToken ?? null;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${publicUrl}${path}`, {
      ...init,
      headers: { "securix-api-key": apiKey, "content-type": "application/json", ...init.headers },
    });

  /** A user connecting gmail through the device flow, signing in at oidc-provider as `accountId`. */
  async function connect(entityId: string, accountId: string): Promise<string> {
    const { browser, providerUrl } = await startDeviceConsent({ api, publicUrl }, entityId);
    const callback = await oidc.loginAndConsent(providerUrl, { accountId });
    const done = await browser.go(callback);
    assert.equal(done.status, 200, await done.text());
    const connection = await row(entityId);
    assert.equal(connection.status, "active");
    return connection.id;
  }

  /** One proxied call as agent-1 for `entityId`: the status and the error code, if any. */
  async function proxied(entityId: string): Promise<{ status: number; code: string | null }> {
    const res = await fetch(`${publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
      headers: {
        "securix-api-key": apiKey,
        "securix-entity-id": entityId,
        "securix-agent-id": "agent-1",
      },
    });
    const body = await res.json().catch(() => null);
    return { status: res.status, code: body?.error?.code ?? null };
  }

  /** Polls (bounded) until `check` passes; returns how long it took. */
  async function within(ms: number, what: string, check: () => Promise<boolean> | boolean) {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (await check()) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${what}: not within ${ms} ms`);
  }

  const cli = (...args: string[]) =>
    runCliProcess(["--config", temp.configPath, "connections", ...args], { cwd: temp.dir });

  return {
    appliance,
    app,
    oidc,
    events,
    row,
    credential,
    connect,
    proxied,
    within,
    cli,
    async close() {
      await served.stop();
      await upstream.shutdown();
      await receiver.shutdown();
      await oidc.close();
      await temp.cleanup();
    },
  };
}

/** A failed command: non-zero exit, exactly one stderr line with the code, no stack trace. */
function assertCleanError(
  result: { code: number; stdout: string; stderr: string },
  code: string,
  message: RegExp,
) {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], new RegExp(`^Error ${code}: `));
  assert.match(lines[0], message);
  assert.equal(/\bat .*\.ts:\d+/.test(result.stderr), false, "no stack trace");
  assert.equal(result.stdout, "");
}

Deno.test("cli connections: list, refresh, invalid_grant, pause/resume, revoke, unknown ids", async (t) => {
  const env = await setup();
  try {
    const alice = await env.connect("user-1", "alice");
    const bob = await env.connect("user-2", "bob");
    const secrets = async () => {
      const c = (await env.credential("user-1"))!;
      return [c.accessToken, c.refreshToken!, c.idToken ?? "no-id-token"];
    };

    await t.step("list: a table, filters, and --json without any token", async () => {
      const table = await env.cli("list");
      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trim().split("\n");
      assert.match(
        lines[0],
        /^ID\s+APP\s+ENTITY\s+PROVIDER\s+STATUS\s+ACCOUNT\s+SCOPES\s+CREATED\s+EXPIRES\s+REFRESHABLE$/,
      );
      assert.equal(lines.length, 3);
      assert.match(
        lines.find((l) => l.startsWith(alice))!,
        /\sdemo\s+user-1\s+gmail\s+active\s+alice@example\.test\s+\S*email\S*\s+\d{4}-\S+Z\s+\d{4}-\S+Z\s+true$/,
      );

      const json = await env.cli("list", "--json", "--entity", "user-1");
      assert.equal(json.code, 0, json.stderr);
      const rows = JSON.parse(json.stdout);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].id, alice);
      assert.equal(rows[0].app, "demo");
      assert.equal(rows[0].appId, env.app.id);
      assert.equal(rows[0].accountId, "alice");
      assert.ok(Date.parse(rows[0].expires) > Date.now(), "token expiry shown");
      for (const secret of await secrets()) {
        assert.equal(json.stdout.includes(secret), false, "no token in --json");
        assert.equal(table.stdout.includes(secret), false, "no token in the table");
      }
      assert.equal(
        Object.keys(rows[0]).some((k) => /token|secret|credential/i.test(k)),
        false,
        Object.keys(rows[0]).join(","),
      );

      assert.equal(JSON.parse((await env.cli("list", "--json", "--app", "demo")).stdout).length, 2);
      assert.equal((await env.cli("list", "--status", "paused")).stdout.trim(), "No connections");
      assert.equal((await env.cli("list", "--provider", "github")).stdout.trim(), "No connections");
      assertCleanError(await env.cli("list", "--app", "nope"), "SX-APP-NOT-FOUND", /"nope"/);
      const bad = await env.cli("list", "--status", "happy");
      assert.equal(bad.code, 2, "a status that does not exist is a usage error");
      assert.match(
        bad.stderr,
        /Allowed choices are pending, active, paused, needs_reauth, revoked/,
      );
    });

    await t.step(
      "refresh: one refresh_token call at the provider, safe beside the server",
      async () => {
        assert.deepEqual(await env.proxied("user-1"), { status: 200, code: null });
        const before = (await env.credential("user-1"))!;
        const expiresBefore = (await env.row("user-1")).credential_expires_at!;
        env.oidc.stats.reset();
        const result = await env.cli("refresh", alice, "--json");
        assert.equal(result.code, 0, result.stderr);
        const body = JSON.parse(result.stdout);
        assert.equal(body.outcome, "refreshed");
        assert.equal(env.oidc.stats.tokenCalls.refresh_token, 1, "exactly one refresh");
        assert.deepEqual(Object.keys(env.oidc.stats.tokenCalls), ["refresh_token"]);
        const after = (await env.credential("user-1"))!;
        assert.notEqual(after.accessToken, before.accessToken, "the vault holds a new token");
        assert.equal(after.refreshToken, before.refreshToken, "no rotation at this provider");
        assert.equal(Date.parse(body.expiresAt), after.expiresAt);
        const expiresAfter = (await env.row("user-1")).credential_expires_at!;
        assert.equal(expiresAfter, after.expiresAt);
        assert.ok(expiresAfter > expiresBefore, "the listed expiry moves");
        assert.equal(result.stdout.includes(after.accessToken), false);

        // The serving process still caches the old token; the upstream refuses it, and the
        // proxy picks the CLI's token from the vault without refreshing a second time.
        assert.deepEqual(await env.proxied("user-1"), { status: 200, code: null });
        assert.equal(env.oidc.stats.tokenCalls.refresh_token, 1);

        const human = await env.cli("refresh", alice);
        assert.equal(human.code, 0, human.stderr);
        assert.match(
          human.stdout.trim(),
          new RegExp(`^Refreshed ${alice} \\(gmail\\); the token expires \\d{4}-\\S+Z$`),
        );
      },
    );

    await t.step(
      "refresh: invalid_grant marks needs_reauth and says the user must reconnect",
      async () => {
        const dead = (await env.credential("user-2"))!.refreshToken!;
        const revoked = await fetch(env.oidc.revocationUrl, {
          method: "POST",
          headers: { authorization: `Basic ${btoa("securix:s3cret")}` },
          body: new URLSearchParams({ token: dead, token_type_hint: "refresh_token" }),
        });
        assert.equal(revoked.status, 200);
        await revoked.body?.cancel();
        env.oidc.stats.reset();
        const result = await env.cli("refresh", bob);
        assertCleanError(
          result,
          "SX-TOKEN-EXPIRED", // the proxy's and the gateway's code for a refused refresh token
          /gmail returned invalid_grant; the connection is now needs_reauth and the user must reconnect gmail/,
        );
        assert.equal(env.oidc.stats.tokenCalls.refresh_token, 1);
        assert.equal((await env.row("user-2")).status, "needs_reauth");
        const listed = JSON.parse(
          (await env.cli("list", "--status", "needs_reauth", "--json")).stdout,
        );
        assert.deepEqual(listed.map((r: { id: string }) => r.id), [bob]);
        assertCleanError(
          await env.cli("refresh", bob),
          "SX-CONNECTION-STATE",
          /it is needs_reauth; .*the user must reconnect/,
        );
        assert.equal(env.oidc.stats.tokenCalls.refresh_token, 1, "no second try at a dead grant");
        await env.within(
          5_000,
          "refresh_failed webhook (delivered by the serving process)",
          () =>
            env.events.some((e) =>
              e.type === "connection.refresh_failed" && e.data.connectionId === bob &&
              e.data.needsReauth === true
            ),
        );
      },
    );

    await t.step("pause and resume: the serving proxy follows within its cache TTL", async () => {
      const paused = await env.cli("pause", alice);
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal(paused.stdout.trim(), `Paused ${alice} (gmail)`);
      const took = await env.within(
        3_000,
        "proxy refuses a paused connection",
        async () => (await env.proxied("user-1")).code === "SX-PAUSED",
      );
      console.log(`proxy refused the paused connection ${took} ms after the CLI exited`);
      assertCleanError(
        await env.cli("pause", alice),
        "SX-CONNECTION-STATE",
        /is paused; only active connections can be paused/,
      );
      const resumed = await env.cli("resume", alice, "--json");
      assert.deepEqual(JSON.parse(resumed.stdout), { id: alice, status: "active" });
      await env.within(
        3_000,
        "proxy serves a resumed connection",
        async () => (await env.proxied("user-1")).status === 200,
      );
      await env.within(5_000, "paused and resumed webhooks", () => {
        const types = env.events.filter((e) => e.data.connectionId === alice).map((e) => e.type);
        return types.includes("connection.paused") && types.includes("connection.resumed");
      });
    });

    await t.step("revoke: revoked at oidc-provider, credential deleted, app notified", async () => {
      const grant = (await env.credential("user-1"))!;
      const vaultId = (await env.row("user-1")).credential_id!;
      env.oidc.stats.reset();
      const result = await env.cli("revoke", alice, "--json");
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), {
        id: alice,
        status: "revoked",
        providerRevocation: "confirmed",
      });
      assert.equal(env.oidc.stats.revocationCalls, 1);
      const row = await env.row("user-1");
      assert.equal(row.status, "revoked");
      assert.equal(row.credential_id, null);
      assert.equal(await env.appliance.vault.get(vaultId, CREDENTIAL_PURPOSE), null);
      // The grant is dead at the provider: its refresh token no longer works.
      const reuse = await fetch(env.oidc.tokenUrl, {
        method: "POST",
        headers: { authorization: `Basic ${btoa("securix:s3cret")}` },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: grant.refreshToken!,
        }),
      });
      assert.equal((await reuse.json()).error, "invalid_grant");

      const listed = JSON.parse((await env.cli("list", "--json")).stdout);
      assert.deepEqual(listed.map((r: { id: string }) => r.id), [bob], "gone from the list");
      const revokedList = JSON.parse(
        (await env.cli("list", "--status", "revoked", "--json")).stdout,
      );
      assert.deepEqual(
        revokedList.map((r: { id: string; expires: string | null }) => [r.id, r.expires]),
        [[alice, null]],
      );
      const took = await env.within(
        3_000,
        "proxy refuses a revoked connection",
        async () => (await env.proxied("user-1")).status === 401,
      );
      console.log(`proxy refused the revoked connection ${took} ms after the CLI exited`);
      await env.within(
        5_000,
        "connection.revoked webhook",
        () =>
          env.events.some((e) =>
            e.type === "connection.revoked" && e.data.connectionId === alice &&
            e.data.providerRevoked === true
          ),
      );
      assertCleanError(
        await env.cli("revoke", alice),
        "SX-CONNECTION-STATE",
        /is revoked; there is nothing left to revoke/,
      );
      const human = await env.cli("revoke", bob);
      assert.equal(human.code, 0, human.stderr);
      assert.equal(
        human.stdout.trim(),
        `Revoked ${bob} (gmail); the credential is deleted\ngmail confirmed the revocation`,
      );
    });

    await t.step("refresh refuses what it cannot refresh, before calling anyone", async () => {
      for (
        const [id, provider, refreshToken] of [["con_norefresh", "gmail", null], [
          "con_disabled",
          "github",
          "r",
        ]]
      ) {
        await seedConnection(env.appliance, {
          id: id!,
          appId: env.app.id,
          entityId: `entity-${id}`,
          provider: provider!,
          accessToken: "a",
          refreshToken,
        });
      }
      env.oidc.stats.reset();
      assertCleanError(
        await env.cli("refresh", "con_norefresh"),
        "SX-REFRESH-UNSUPPORTED",
        /the provider issued no refresh token for it/,
      );
      assertCleanError(
        await env.cli("refresh", "con_disabled"),
        "SX-REFRESH-UNSUPPORTED",
        /provider "github" is not enabled in this config/,
      );
      assert.deepEqual(env.oidc.stats.tokenCalls, {});
      const unsupported = await env.cli("revoke", "con_disabled", "--json");
      assert.equal(JSON.parse(unsupported.stdout).providerRevocation, "unsupported");
    });

    await t.step("an unknown id is a clean SX-CONNECTION-NOT-FOUND with exit code 1", async () => {
      for (const command of ["refresh", "revoke", "pause", "resume"]) {
        assertCleanError(
          await env.cli(command, "con_nope"),
          "SX-CONNECTION-NOT-FOUND",
          /^Error SX-CONNECTION-NOT-FOUND: No connection "con_nope"; see "securix connections list"$/,
        );
      }
      const missing = await env.cli("refresh");
      assert.equal(missing.code, 2, "a missing argument is a usage error");
    });
  } finally {
    await env.close();
  }
});
