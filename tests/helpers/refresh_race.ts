/**
 * What the refresh race tests share: a provider (oidc-provider) that rotates
 * refresh tokens and kills the grant when a rotated-out one comes back, a
 * Gmail stand-in that answers only while the provider accepts the bearer
 * token, and the checks of one round (expired token → a burst of calls →
 * exactly one refresh, every call answered 200).
 */
import assert from "node:assert/strict";
import type { StoredCredential } from "../../src/connections/connection_types.ts";
import { startDeviceConsent } from "./flow_env.ts";
import { applianceClient, type OidcServer, providerAt, startOidcServer } from "./oidc_server.ts";
import type { ServerProcess } from "./process.ts";
import { seedApp, vaultCredential } from "./seed.ts";
import { openTempAppliance, type TempAppliance } from "./temp_appliance.ts";

/** Access token lifetime at the provider, in seconds: short, so tokens really expire. */
export const TOKEN_TTL_S = 6;
export const REQUESTS = 200;
const ENTITY = "racer";

export type RaceUpstream = ReturnType<typeof startUpstream>;

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

export interface RaceEnv {
  oidc: OidcServer;
  upstream: RaceUpstream;
  temp: TempAppliance;
  apiKey: string;
  close(): Promise<void>;
}

/** The provider, the Gmail stand-in and an appliance on `port` with one app; `server` adds to [server]. */
export async function raceEnv(
  port: number,
  server: Record<string, unknown> = {},
): Promise<RaceEnv> {
  const oidc = await startOidcServer({
    clients: [applianceClient(`http://127.0.0.1:${port}`)],
    accessTokenTtl: TOKEN_TTL_S,
    rotateRefreshTokens: true,
  });
  const upstream = startUpstream(oidc);
  const temp = await openTempAppliance({
    raw: {
      server: { public_url: `http://127.0.0.1:${port}`, base_domain: "localhost", ...server },
      providers: { gmail: providerAt(oidc, upstream.url) },
    },
  });
  const { apiKey } = await seedApp(temp.appliance, {
    name: "demo",
    origins: ["http://127.0.0.1:3000"],
  });
  return {
    oidc,
    upstream,
    temp,
    apiKey,
    async close() {
      await upstream.server.shutdown();
      await oidc.close();
      await temp.cleanup();
    },
  };
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

/** The racer's device consent, through `publicUrl`, over HTTP only. */
export async function consent(env: RaceEnv, publicUrl: string, logs: () => string): Promise<void> {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${publicUrl}${path}`, {
      ...init,
      headers: { "securix-api-key": env.apiKey, "content-type": "application/json" },
    });
  const { browser, providerUrl } = await startDeviceConsent({ api, publicUrl }, ENTITY);
  const callback = await env.oidc.loginAndConsent(providerUrl, { accountId: ENTITY });
  await (await browser.go(callback)).body?.cancel();
  assert.equal((await stored(env.temp)).status, "active", logs());
}

/** Waits (bounded) until the stored access token is past its real expiry; counters reset. */
export async function untilExpired(env: RaceEnv): Promise<StoredCredential> {
  const { credential } = await stored(env.temp);
  assert.ok(credential.expiresAt, "the provider sent expires_in");
  const wait = credential.expiresAt - Date.now() + 300;
  assert.ok(wait <= TOKEN_TTL_S * 1000 + 300, `expiry ${wait} ms away is beyond the TTL`);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  env.oidc.stats.reset();
  env.upstream.seen.accepted = env.upstream.seen.rejected = 0;
  env.upstream.seen.tokens.clear();
  return credential;
}

/** Fires `REQUESTS` proxied calls at once, the i-th to `bases[i % bases.length]`. */
export async function burst(
  env: RaceEnv,
  bases: string[],
  client?: Deno.HttpClient,
): Promise<number[]> {
  const headers = {
    "securix-api-key": env.apiKey,
    "securix-entity-id": ENTITY,
    "securix-agent-id": "agent-1",
  };
  return await Promise.all(
    Array.from({ length: REQUESTS }, async (_, i) => {
      const res = await fetch(`${bases[i % bases.length]}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers,
        client,
        signal: AbortSignal.timeout(60_000),
      });
      await res.body?.cancel();
      return res.status;
    }),
  );
}

/** One labelled counter from a process's /metrics, by its label's value. */
export async function counterBy(
  process: ServerProcess,
  name: string,
  label: string,
): Promise<Record<string, number>> {
  const at = /Metrics on (http:\/\/\S+)/.exec(process.output());
  assert.ok(at, `the process printed its metrics address:\n${process.output()}`);
  const text = await (await fetch(at[1], { signal: AbortSignal.timeout(10_000) })).text();
  const out: Record<string, number> = {};
  const line = new RegExp(`^${name}\\{${label}="(\\w+)"\\} (\\d+)`, "gm");
  for (const m of text.matchAll(line)) out[m[1]] = Number(m[2]);
  return out;
}

export function tally(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${s}×${n}`).join(", ");
}

/**
 * A round's outcome: the token endpoint saw one refresh, without errors
 * (a reused refresh token is one), `successes` refreshes stored so far,
 * every call answered 200, and a new, rotated token set stored.
 */
export async function assertOneRefresh(
  env: RaceEnv,
  round: number,
  before: StoredCredential,
  statuses: number[],
  successes: number,
  logs: () => string,
): Promise<void> {
  const refreshes = env.oidc.stats.tokenCalls.refresh_token ?? 0;
  const after = await stored(env.temp);
  assert.deepEqual(env.oidc.stats.tokenErrors, {}, `token endpoint errors\n${logs()}`);
  assert.equal(refreshes, 1, `round ${round}: token endpoint saw ${refreshes} refreshes`);
  assert.equal(successes, round, "refreshes stored, all together");
  assert.equal(statuses.filter((s) => s === 200).length, REQUESTS, tally(statuses));
  assert.equal(after.status, "active");
  assert.notEqual(after.credential.accessToken, before.accessToken, "a new access token");
  assert.notEqual(after.credential.refreshToken, before.refreshToken, "rotated refresh token");
  assert.ok(after.credential.expiresAt! > Date.now(), "the stored token is fresh");
}
