/**
 * The refresh race across processes: two real `securix serve` processes share
 * one encrypted database file and one master key. The provider (oidc-provider)
 * rotates refresh tokens and kills the grant when a rotated-out one comes back,
 * so a refresh token presented twice fails the test loudly.
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

/** Fires `REQUESTS` proxied requests at once, alternating between the processes. */
async function burst(processes: ServerProcess[], apiKey: string): Promise<number[]> {
  const headers = {
    "securix-api-key": apiKey,
    "securix-entity-id": ENTITY,
    "securix-agent-id": "agent-1",
  };
  return await Promise.all(
    Array.from({ length: REQUESTS }, async (_, i) => {
      const base = processes[i % processes.length].baseUrl;
      const res = await fetch(`${base}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers,
        signal: AbortSignal.timeout(60_000),
      });
      await res.body?.cancel();
      return res.status;
    }),
  );
}

/** `securix_token_refreshes_total` of one process, by outcome (success, reused, …). */
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

function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}×${n}`).join(", ");
}

Deno.test("refresh race across two appliance processes on one database: one refresh per expiry, no refresh token reuse", async () => {
  const portA = freePort();
  const oidc = await startOidcServer({
    clients: [applianceClient(`http://127.0.0.1:${portA}`)],
    accessTokenTtl: TOKEN_TTL_S,
    rotateRefreshTokens: true,
  });
  const upstream = startUpstream(oidc);
  const temp = await openTempAppliance({
    raw: {
      server: { public_url: `http://127.0.0.1:${portA}`, base_domain: "localhost" },
      providers: {
        gmail: providerAt(oidc, upstream.url),
      },
    },
  });
  const processes: ServerProcess[] = [];
  const logs = () => processes.map((p, i) => `--- process ${i}:\n${p.output()}`).join("\n");
  try {
    const { apiKey } = await seedApp(temp.appliance, {
      name: "demo",
      origins: ["http://127.0.0.1:3000"],
    });

    // Two OS processes, same securix.toml (same database file, same master key), own ports.
    processes.push(await startServeProcess({ cwd: temp.dir, port: portA, timeoutMs: 60_000 }));
    processes.push(await startServeProcess({ cwd: temp.dir, timeoutMs: 60_000 }));

    // Consent through process A, over HTTP only.
    const publicUrl = processes[0].baseUrl;
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
      const started = Date.now();
      const statuses = await burst(processes, apiKey);
      const ms = Date.now() - started;
      const refreshes = oidc.stats.tokenCalls.refresh_token ?? 0;
      const after = await stored(temp);
      const outcomes = await Promise.all(processes.map(refreshOutcomes));
      console.log(
        `round ${round}: ${REQUESTS} requests in ${ms} ms, ${refreshes} refresh call(s), ` +
          `statuses ${tally(statuses)}, upstream accepted ${upstream.seen.accepted} ` +
          `rejected ${upstream.seen.rejected}, ${upstream.seen.tokens.size} distinct token(s), ` +
          `refresh outcomes A ${JSON.stringify(outcomes[0])} B ${JSON.stringify(outcomes[1])}`,
      );
      assert.deepEqual(oidc.stats.tokenErrors, {}, `token endpoint errors\n${logs()}`);
      assert.equal(refreshes, 1, `round ${round}: token endpoint saw ${refreshes} refreshes`);
      const successes = outcomes.reduce((n, o) => n + (o.success ?? 0), 0);
      assert.equal(successes, round, "refreshes stored, both processes together");
      assert.equal(statuses.filter((s) => s === 200).length, REQUESTS, tally(statuses));
      assert.equal(after.status, "active");
      assert.notEqual(after.credential.accessToken, before.accessToken, "a new access token");
      assert.notEqual(after.credential.refreshToken, before.refreshToken, "rotated refresh token");
      assert.ok(after.credential.expiresAt! > Date.now(), "the stored token is fresh");
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
    await upstream.server.shutdown();
    await oidc.close();
    await temp.cleanup();
  }
});
