/**
 * An agent key may ask a user to (re)connect through the connection-id
 * gateway, but its consent must never put another provider account behind the
 * user's existing connection: otherwise an agent (or whoever holds its key)
 * opens the link itself, signs in with its own Google account, and the user's
 * agents silently read and send from the attacker's mailbox. Played against
 * the served appliance with oidc-provider as Google; alice is the user,
 * mallory the agent's operator.
 */
import assert from "node:assert/strict";
import { createApiKey } from "../src/apps/key_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { getConnection, listConnections } from "../src/connections/connection_store.ts";
import { setPaused } from "../src/connections/lifecycle.ts";
import { Browser, csrfOf, type FlowEnv, setup } from "./helpers/flow_env.ts";
import { vaultCredential } from "./helpers/seed.ts";
import { deviceToCredentialForm, RIGHT, setupCredentialEnv } from "./helpers/credential_env.ts";

const SCOPES = ["openid", "email", "https://www.googleapis.com/auth/gmail.readonly"];
const RETURN = "http://127.0.0.1:3000/callback";

/** request-connection with `key`, then the whole consent in one browser, signed in as `accountId`. */
async function gatewayConsent(env: FlowEnv, key: string, accountId: string) {
  const asked = await fetch(`${env.publicUrl}/v1/request-connection`, {
    method: "POST",
    headers: { "securix-api-key": key, "content-type": "application/json" },
    body: JSON.stringify({
      user_id: "u1",
      provider_name: "gmail",
      scopes: SCOPES,
      return_url: RETURN,
    }),
  });
  const request = await asked.json();
  assert.equal(asked.status, 201, JSON.stringify(request));
  const browser = new Browser();
  const entered = await browser.go(request.authUrl);
  assert.equal(entered.status, 303);
  const connectUrl = `${env.publicUrl}${entered.headers.get("location")}`;
  const consentHtml = await (await browser.go(connectUrl)).text();
  const started = await browser.form(`${connectUrl}/continue`, { csrf: csrfOf(consentHtml) });
  const callback = await env.oidc.loginAndConsent(started.headers.get("location")!, {
    accountId,
  });
  const done = await browser.go(callback);
  const doneHtml = done.status === 303 ? "" : await done.text();
  return {
    request: request as { connection_id: string; state: string },
    consentHtml,
    done,
    doneHtml,
    location: done.headers.get("location"),
  };
}

async function withEnv(
  fn: (env: FlowEnv, keys: { backend: string; agent: string }) => Promise<void>,
) {
  const env = await setup();
  try {
    const { appliance } = env;
    const appId = String(
      (await appliance.database.client.execute("SELECT id FROM apps WHERE name = 'demo'")).rows[0]
        .id,
    );
    const { secret: agent } = await createApiKey(appliance.database.db, appId, appliance, "agent");
    await fn(env, { backend: env.apiKey, agent });
  } finally {
    await env.close();
  }
}

/** alice connects u1's gmail through the app's backend; returns the connection id and token. */
async function aliceConnects(env: FlowEnv, backend: string) {
  const first = await gatewayConsent(env, backend, "alice");
  assert.ok(first.location?.startsWith(RETURN), `to return_url: ${first.location}`);
  assert.equal(new URL(first.location!).searchParams.get("status"), "success");
  assert.equal(new URL(first.location!).searchParams.get("connection_status"), null);
  return { connectionId: first.request.connection_id, token: await env.vaultToken("u1") };
}

async function proxiedStatus(env: FlowEnv, key: string): Promise<number> {
  const res = await fetch(`${env.publicUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
    headers: { "securix-api-key": key, "securix-agent-id": "agent-1", "securix-entity-id": "u1" },
  });
  await res.body?.cancel();
  return res.status;
}

Deno.test({
  name:
    "account swap: an agent key's consent signed in with another account is refused; the user's connection stays and the proxy keeps using it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withEnv(async (env, keys) => {
      const { connectionId, token } = await aliceConnects(env, keys.backend);
      env.setExpected(token);
      assert.equal(await proxiedStatus(env, keys.agent), 200);
      env.oidc.stats.reset();

      const swap = await gatewayConsent(env, keys.agent, "mallory");

      // Nothing changed: same connection, same account, same token; the proxy still uses alice's.
      const kept = await getConnection(env.appliance.database.db, connectionId);
      assert.equal(kept?.account?.id, "alice", "the agent's consent swapped the account");
      assert.equal(kept?.status, "active");
      assert.equal(await env.vaultToken("u1"), token);
      assert.equal(await proxiedStatus(env, keys.agent), 200, "alice's token, not mallory's");
      const check = await (await fetch(`${env.publicUrl}/v1/check-connection/${connectionId}`, {
        headers: { "securix-api-key": keys.agent },
      })).json();
      assert.equal(check.status, "active");
      // mallory's token was never stored: revoked at the provider.
      assert.equal(env.oidc.stats.revocationCalls, 1);

      // Warned before signing in, and told plainly after.
      assert.match(swap.consentHtml, /only reconnect alice@example\.test/);
      assert.equal(swap.done.status, 403, swap.location ?? "");
      assert.match(swap.doneHtml, /SX-ACCOUNT-MISMATCH/);
      assert.match(swap.doneHtml, /only reconnect alice@example\.test/);
      assert.match(swap.doneHtml, /mallory@example\.test/);
      assert.match(swap.doneHtml, /demo&#39;s own settings|demo's own settings/);
      // The app learns it as it learns any failed consent: the return_url (linked from the page).
      const back = /href="(http:\/\/127\.0\.0\.1:3000\/callback[^"]*)"/.exec(
        swap.doneHtml.replaceAll("&amp;", "&"),
      )?.[1] ?? "";
      const params = new URL(back).searchParams;
      assert.equal(back.startsWith(RETURN), true, back);
      assert.equal(params.get("status"), "error");
      assert.equal(params.get("error"), "account_mismatch");
      assert.equal(params.get("code"), "SX-ACCOUNT-MISMATCH");
      assert.equal(params.get("connection_id"), connectionId);
      assert.equal(params.get("state"), swap.request.state);

      // Audited: the refusal with both account ids, and the failed session with reason and code.
      const db = env.appliance.database.db;
      const refused = await listRecords(db, { kinds: "session.account_refused" });
      assert.equal(refused.length, 1);
      assert.equal(refused[0].data.connectionId, connectionId);
      assert.equal(refused[0].data.keptAccountId, "alice");
      assert.equal(refused[0].data.offeredAccountId, "mallory");
      assert.equal(refused[0].data.startedBy, "agent");
      const failed = await listRecords(db, { kinds: "session.failed" });
      assert.equal(failed.length, 1);
      assert.equal(failed[0].data.reason, "account_mismatch");
      assert.equal(failed[0].data.code, "SX-ACCOUNT-MISMATCH");
    });
  },
});

Deno.test({
  name:
    "account swap: an agent key's consent with the same account reconnects a needs_reauth connection",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withEnv(async (env, keys) => {
      const { connectionId, token } = await aliceConnects(env, keys.backend);
      await env.appliance.database.client.execute({
        sql: "UPDATE connections SET status = 'needs_reauth', version = version + 1 WHERE id = ?",
        args: [connectionId],
      });
      const again = await gatewayConsent(env, keys.agent, "alice");
      assert.ok(again.location?.startsWith(RETURN), `to return_url: ${again.location}`);
      const params = new URL(again.location!).searchParams;
      assert.equal(params.get("status"), "success");
      assert.equal(params.get("connection_id"), connectionId);
      const conn = await getConnection(env.appliance.database.db, connectionId);
      assert.equal(conn?.status, "active");
      assert.equal(conn?.account?.id, "alice");
      const fresh = await env.vaultToken("u1");
      assert.notEqual(fresh, token);
      env.setExpected(fresh);
      assert.equal(await proxiedStatus(env, keys.agent), 200);
      // The page said which account this link may reconnect.
      assert.match(again.consentHtml, /only reconnect alice@example\.test/);
    });
  },
});

Deno.test({
  name:
    "account swap: after the user revokes, an agent key's consent can only bring the same account back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withEnv(async (env, keys) => {
      const { connectionId } = await aliceConnects(env, keys.backend);
      const db = env.appliance.database.db;
      const revoked = await fetch(`${env.publicUrl}/v1/connections/${connectionId}`, {
        method: "DELETE",
        headers: { "securix-api-key": keys.backend },
      });
      assert.equal(revoked.status, 204);
      // Revocation deletes the credential but keeps the account: what the pin compares with.
      const after = await getConnection(db, connectionId);
      assert.equal(after?.status, "revoked");
      assert.equal(after?.credentialId, null);
      assert.equal(after?.account?.id, "alice", "revocation forgot the account");

      // The agent asks for a link (a fresh pending connection id) and signs in as mallory.
      const swap = await gatewayConsent(env, keys.agent, "mallory");
      assert.notEqual(swap.request.connection_id, connectionId);
      const usable = (await listConnections(db, { entityId: "u1" }))
        .filter((c) => c.status !== "pending");
      assert.deepEqual(usable, [], "mallory's account is behind u1's gmail");
      assert.equal(await proxiedStatus(env, keys.agent), 401, "u1 has no usable gmail");
      // Told before signing in, and after.
      assert.match(swap.consentHtml, /only reconnect alice@example\.test/);
      assert.equal(swap.done.status, 403, swap.location ?? "");
      assert.match(swap.doneHtml, /SX-ACCOUNT-MISMATCH/);
      assert.match(swap.doneHtml, /stays disconnected/);
      assert.doesNotMatch(swap.doneHtml, /stays connected/);
      const refused = await listRecords(db, { kinds: "session.account_refused" });
      assert.equal(refused.length, 1);
      assert.equal(refused[0].data.keptAccountId, "alice");
      assert.equal(refused[0].data.connectionId, connectionId);

      // The same account comes back: a new active connection with alice's account.
      const again = await gatewayConsent(env, keys.agent, "alice");
      assert.equal(new URL(again.location!).searchParams.get("status"), "success");
      const back = await getConnection(db, again.request.connection_id);
      assert.equal(back?.status, "active");
      assert.equal(back?.account?.id, "alice");
    });
  },
});

Deno.test({
  name:
    "account swap: an agent key's reconnect of a paused connection renews its token and leaves it paused",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withEnv(async (env, keys) => {
      const { connectionId, token } = await aliceConnects(env, keys.backend);
      const db = env.appliance.database.db;
      const database = env.appliance.database;
      // The user paused it in the Trust Portal (the same command the portal runs).
      await setPaused(
        { database, now: env.appliance.now },
        (await getConnection(db, connectionId))!,
        true,
      );

      const again = await gatewayConsent(env, keys.agent, "alice");
      const conn = await getConnection(db, connectionId);
      assert.equal(conn?.status, "paused", "the agent's consent resumed the user's pause");
      const fresh = (await vaultCredential(env.appliance, conn!.credentialId!))!.accessToken;
      assert.notEqual(fresh, token, "the tokens were renewed");
      env.setExpected(fresh);
      assert.equal(await proxiedStatus(env, keys.agent), 403, "SX-PAUSED");

      // The consent page told the user before they signed in; the done page says so again, and
      // where to resume it; the app's return_url is a link on it.
      assert.match(again.consentHtml, /data-stays-paused/);
      assert.match(again.consentHtml, /it stays paused/);
      assert.equal(again.done.status, 200, again.location ?? "");
      assert.match(again.doneHtml, /stays paused/);
      assert.match(again.doneHtml, /Trust Portal/);
      const link = /href="(http:\/\/127\.0\.0\.1:3000\/callback[^"]*)"/.exec(
        again.doneHtml.replaceAll("&amp;", "&"),
      )?.[1] ?? "";
      assert.equal(new URL(link).searchParams.get("status"), "success");
      assert.equal(new URL(link).searchParams.get("connection_id"), connectionId);
      // The consent succeeded, the connection cannot be used yet: the app is told which.
      assert.equal(new URL(link).searchParams.get("connection_status"), "paused");

      // Recorded: the connection event's status, the session's list of connections left paused.
      const created = await listRecords(db, { kinds: "connection.created" });
      assert.equal(created.at(-1)?.data.status, "paused");
      assert.equal(created.at(-1)?.data.previousStatus, "paused");
      const completed = await listRecords(db, { kinds: "session.completed" });
      assert.deepEqual(completed.at(-1)?.data.stayedPaused, [connectionId]);

      // The app's backend reconnecting resumes it, as before.
      const backend = await gatewayConsent(env, keys.backend, "alice");
      assert.ok(backend.location?.startsWith(RETURN), `to return_url: ${backend.location}`);
      assert.equal((await getConnection(db, connectionId))?.status, "active");
      assert.equal(
        (await listRecords(db, { kinds: "connection.created" })).at(-1)?.data.status,
        "active",
      );
    });
  },
});

Deno.test({
  name: "account swap: a backend key's consent may still replace the account, as before",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withEnv(async (env, keys) => {
      const { connectionId, token } = await aliceConnects(env, keys.backend);
      const replaced = await gatewayConsent(env, keys.backend, "mallory");
      assert.doesNotMatch(replaced.consentHtml, /only reconnect/);
      assert.doesNotMatch(replaced.consentHtml, /data-stays-paused/);
      assert.ok(replaced.location?.startsWith(RETURN), `to return_url: ${replaced.location}`);
      assert.equal(new URL(replaced.location!).searchParams.get("status"), "success");
      const conn = await getConnection(env.appliance.database.db, connectionId);
      assert.equal(conn?.account?.id, "mallory");
      assert.notEqual(await env.vaultToken("u1"), token);
      assert.equal(
        (await listRecords(env.appliance.database.db, { kinds: "session.account_refused" }))
          .length,
        0,
      );
    });
  },
});

Deno.test({
  name:
    "account swap: an agent key cannot start a popup or device consent through /v1/auth/sessions",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withEnv(async (env, keys) => {
      for (const flow of ["popup", "device"]) {
        const res = await fetch(`${env.publicUrl}/v1/auth/sessions`, {
          method: "POST",
          headers: { "securix-api-key": keys.agent, "content-type": "application/json" },
          body: JSON.stringify({ entityId: "u1", flow, providers: { gmail: {} } }),
        });
        const body = await res.json();
        assert.equal(res.status, 403, flow);
        assert.equal(body.error.code, "SX-KEY-ROLE", flow);
      }
    });
  },
});

Deno.test({
  name:
    "account swap: a typed API key names no account, so an agent key's link cannot replace the connected key",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const env = await setupCredentialEnv();
    try {
      const db = env.appliance.database;
      // The user connects their key through the app's backend (device flow).
      const own = await deviceToCredentialForm(env, "u1", "keyed");
      const connected = await own.browser.form(own.formUrl, {
        csrf: csrfOf(own.html),
        field_user_key: RIGHT.apiKey,
      });
      assert.equal(connected.status, 200);
      await connected.body?.cancel();
      const before = (await db.client.execute(
        "SELECT id, credential_id FROM connections WHERE entity_id = 'u1'",
      )).rows[0];
      const appId = String((await db.client.execute("SELECT id FROM apps")).rows[0].id);
      const { secret: agent } = await createApiKey(db.db, appId, env.appliance, "agent");

      // The agent asks for a link and types a key the provider accepts (the only one the fake
      // upstream knows, standing for the agent's own: the appliance cannot tell them apart).
      const asked = await fetch(`${env.publicUrl}/v1/request-connection`, {
        method: "POST",
        headers: { "securix-api-key": agent, "content-type": "application/json" },
        body: JSON.stringify({ user_id: "u1", provider_name: "keyed", return_url: RETURN }),
      });
      const request = await asked.json();
      assert.equal(asked.status, 201, JSON.stringify(request));
      assert.equal(request.connection_id, before.id);
      const browser = new Browser();
      const entered = await browser.go(request.authUrl);
      const connectUrl = `${env.publicUrl}${entered.headers.get("location")}`;
      const consent = await (await browser.go(connectUrl)).text();
      const continued = await browser.form(`${connectUrl}/continue`, { csrf: csrfOf(consent) });
      const formUrl = `${env.publicUrl}${continued.headers.get("location")}`;
      const form = await (await browser.go(formUrl)).text();
      const submitted = await browser.form(formUrl, {
        csrf: csrfOf(form),
        field_user_key: RIGHT.apiKey,
      });
      const page = await submitted.text();

      const after = (await db.client.execute(
        "SELECT id, credential_id, status FROM connections WHERE entity_id = 'u1'",
      )).rows;
      assert.equal(after.length, 1);
      assert.equal(after[0].credential_id, before.credential_id, "the agent replaced the key");
      assert.equal(after[0].status, "active");
      assert.equal(submitted.status, 403);
      assert.match(page, /SX-ACCOUNT-MISMATCH/);
      assert.match(page, /Back to demo/);
      assert.match(consent, /only reconnect the Keyed API account already connected/);
    } finally {
      await env.close();
    }
  },
});
