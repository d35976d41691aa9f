/**
 * The refresh race across serving isolates: one `securix serve` process with
 * `[server] workers = 2`, so two isolates with their own credential caches
 * share the port and the database. The provider (oidc-provider) rotates
 * refresh tokens and kills the grant when a rotated-out one comes back, so a
 * refresh token presented twice fails the test loudly; the refresh lease in
 * the database is what keeps it to one refresh per expiry.
 */
import assert from "node:assert/strict";
import type { StoredCredential } from "../src/connections/connection_types.ts";
import { startDeviceConsent } from "./helpers/flow_env.ts";
import {
  applianceClient,
  type OidcServer,
  providerAt,
  startOidcServer,
} from "./helpers/oidc_server.ts";
import { freePort, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { seedApp, vaultCredential } from "./helpers/seed.ts";
import { openTempAppliance, type TempAppliance } from "./helpers/temp_appliance.ts";

/** Access token lifetime at the provider, in seconds: short, so tokens really expire. */
const TOKEN_TTL_S = 6;
const REQUESTS = 200;
const ENTITY = "racer";

/** A fake Gmail API that answers only while the provider still accepts the bearer token. */
function startUpstream(oidc: OidcServer) {
  const seen = { accepted: 0, rejected: 0, tokens: new Set<string>() };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const authorization = req.headers.get("authorization") ?? "";
    const check = await fetch(oidc.userinfoUrl, {
      headers: { authorization },
      signal: AbortSignal.timeout(20_000),
    });
    await check.body?.cancel();
    if (!check.ok) {
      seen.rejected++;
      return Response.json({ error: "invalid token" }, { status: 401 });
    }
    seen.accepted++;
    seen.tokens.add(authorization);
    return Response.json({ messages: [{ id: "m1" }] });
  });
  return { server, seen, url: `http://127.0.0.1:${server.addr.port}` };
}

interface Stored {
  credential: StoredCredential;
  status: string;
}

async function stored(temp: TempAppliance): Promise<Stored> {
  const { rows } = await temp.appliance.database.client.execute({
    sql: "SELECT status, credential_id FROM connections WHERE entity_id = ?",
    args: [ENTITY],
  });
  assert.equal(rows.length, 1, "one connection");
  const credential = await vaultCredential(temp.appliance, String(rows[0].credential_id));
  assert.ok(credential, "the credential is in the vault");
  return { credential, status: String(rows[0].status) };
}

/** Waits (bounded) until the stored access token is past its real expiry. */
async function untilExpired(temp: TempAppliance): Promise<StoredCredential> {
  const { credential } = await stored(temp);
  assert.ok(credential.expiresAt, "the provider sent expires_in");
  const wait = credential.expiresAt - Date.now() + 300;
  assert.ok(wait <= TOKEN_TTL_S * 1000 + 300, `expiry ${wait} ms away is beyond the TTL`);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  return credential;
}

/** Fires `REQUESTS` proxied requests at once, each on its own connection (either isolate). */
async function burst(base: string, apiKey: string, client: Deno.HttpClient): Promise<number[]> {
  const headers = {
    "securix-api-key": apiKey,
    "securix-entity-id": ENTITY,
    "securix-agent-id": "agent-1",
  };
  return await Promise.all(
    Array.from({ length: REQUESTS }, async () => {
      const res = await fetch(`${base}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers,
        client,
        signal: AbortSignal.timeout(60_000),
      });
      await res.body?.cancel();
      return res.status;
    }),
  );
}

/** `securix_token_refreshes_total`, summed over the isolates, by outcome (success, reused, …). */
async function refreshOutcomes(process: ServerProcess): Promise<Record<string, number>> {
  const at = /Metrics on (http:\/\/\S+)/.exec(process.output());
  assert.ok(at, `the process printed its metrics address:\n${process.output()}`);
  const text = await (await fetch(at[1], { signal: AbortSignal.timeout(10_000) })).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^securix_token_refreshes_total\{outcome="(\w+)"\} (\d+)/gm)) {
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/** Connections each isolate accepted, from the summed /metrics. */
async function acceptedByIsolate(process: ServerProcess): Promise<Record<string, number>> {
  const at = /Metrics on (http:\/\/\S+)/.exec(process.output());
  assert.ok(at);
  const text = await (await fetch(at[1], { signal: AbortSignal.timeout(10_000) })).text();
  const out: Record<string, number> = {};
  const line = /^securix_http_accepted_connections_total\{isolate="(\d+)"\} (\d+)/gm;
  for (const m of text.matchAll(line)) out[m[1]] = Number(m[2]);
  return out;
}

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}×${n}`).join(", ");
}

Deno.test("refresh race across two serving isolates of one process: one refresh per expiry, no refresh token reuse", async () => {
  const port = freePort();
  const oidc = await startOidcServer({
    clients: [applianceClient(`http://127.0.0.1:${port}`)],
    accessTokenTtl: TOKEN_TTL_S,
    rotateRefreshTokens: true,
  });
  const upstream = startUpstream(oidc);
  const temp = await openTempAppliance({
    raw: {
      server: { public_url: `http://127.0.0.1:${port}`, base_domain: "localhost", workers: 2 },
      providers: {
        gmail: providerAt(oidc, upstream.url),
      },
    },
  });
  // No kept-alive connections: each call is a new connection, spread by the kernel.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  let serve: ServerProcess | null = null;
  const logs = () => serve?.output() ?? "";
  try {
    const { apiKey } = await seedApp(temp.appliance, {
      name: "demo",
      origins: ["http://127.0.0.1:3000"],
    });
    serve = await startServeProcess({ cwd: temp.dir, port, timeoutMs: 60_000 });
    const proc = serve;
    const deadline = Date.now() + 30_000;
    while (!proc.output().includes("Workers: 2 serving isolates")) {
      assert.ok(Date.now() < deadline, `the second isolate did not start\n${logs()}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    const publicUrl = serve.baseUrl;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${publicUrl}${path}`, {
        ...init,
        headers: { "securix-api-key": apiKey, "content-type": "application/json" },
      });
    const { browser, providerUrl } = await startDeviceConsent({ api, publicUrl }, ENTITY);
    const callback = await oidc.loginAndConsent(providerUrl, { accountId: ENTITY });
    await (await browser.go(callback)).body?.cancel();
    assert.equal((await stored(temp)).status, "active", logs());

    for (const round of [1, 2]) {
      const before = await untilExpired(temp);
      oidc.stats.reset();
      upstream.seen.accepted = upstream.seen.rejected = 0;
      upstream.seen.tokens.clear();
      const acceptedBefore = await acceptedByIsolate(serve);
      const statuses = await burst(serve.baseUrl, apiKey, client);
      const refreshes = oidc.stats.tokenCalls.refresh_token ?? 0;
      const after = await stored(temp);
      const outcomes = await refreshOutcomes(serve);
      const accepted = await acceptedByIsolate(serve);
      console.log(
        `round ${round}: ${refreshes} refresh call(s), statuses ${tally(statuses)}, ` +
          `refresh outcomes ${JSON.stringify(outcomes)}, accepted ${JSON.stringify(accepted)}`,
      );
      for (const isolate of ["0", "1"]) {
        assert.ok(
          (accepted[isolate] ?? 0) > (acceptedBefore[isolate] ?? 0),
          `isolate ${isolate} took no part in round ${round}`,
        );
      }
      assert.deepEqual(oidc.stats.tokenErrors, {}, `token endpoint errors\n${logs()}`);
      assert.equal(refreshes, 1, `round ${round}: token endpoint saw ${refreshes} refreshes`);
      assert.equal(outcomes.success ?? 0, round, "refreshes stored, both isolates together");
      assert.equal(statuses.filter((s) => s === 200).length, REQUESTS, tally(statuses));
      assert.equal(after.status, "active");
      assert.notEqual(after.credential.accessToken, before.accessToken, "a new access token");
      assert.notEqual(after.credential.refreshToken, before.refreshToken, "rotated refresh token");
      assert.ok(after.credential.expiresAt! > Date.now(), "the stored token is fresh");
    }
  } finally {
    client.close();
    await serve?.stop();
    await upstream.server.shutdown();
    await oidc.close();
    await temp.cleanup();
  }
});
