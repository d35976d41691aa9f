/**
 * What the backup-under-load acceptance needs: a served appliance whose gmail
 * is a real OIDC server (oidc-provider) and a Gmail stand-in that honours
 * only tokens that server issued, device consents played end to end, and a
 * row-by-row reading of every table keyed by its primary key.
 */
import assert from "node:assert/strict";
import type { Client, ResultSet } from "@libsql/client";
import { startDeviceConsent } from "./flow_env.ts";
import { applianceClient, providerAt, startOidcServer } from "./oidc_server.ts";
import { freePort } from "./process.ts";
import { seedApp } from "./seed.ts";
import { serveRuntime } from "./serve_runtime.ts";
import { openTempAppliance } from "./temp_appliance.ts";

export const GMAIL_SCOPES = [
  "openid",
  "email",
  "profile",
  "https://www.googleapis.com/auth/gmail.readonly",
];

/**
 * A Gmail stand-in that asks the OIDC server's userinfo endpoint who a bearer
 * token belongs to (once per token) and answers with that account: a 200
 * proves the proxy injected a token the provider really issued, and the
 * account says whose.
 */
export function startTokenCheckingUpstream(userinfoUrl: string) {
  const owners = new Map<string, string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
    let owner = owners.get(token);
    if (owner === undefined) {
      const who = await fetch(userinfoUrl, { headers: { authorization: `Bearer ${token}` } });
      if (!who.ok) {
        await who.body?.cancel();
        return Response.json({ error: "token not issued by the provider" }, { status: 401 });
      }
      owner = String((await who.json()).sub);
      owners.set(token, owner);
    }
    return Response.json({ account: owner, path: new URL(req.url).pathname });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** The appliance served in this process, gmail pointed at a real OIDC server. */
export async function consentEnv() {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({ clients: [applianceClient(publicUrl)] });
  const upstream = startTokenCheckingUpstream(oidc.userinfoUrl);
  const providers = { gmail: providerAt(oidc, upstream.url, GMAIL_SCOPES) };
  const temp = await openTempAppliance({
    raw: {
      server: {
        listen: `127.0.0.1:${port}`,
        public_url: publicUrl,
        base_domain: "localhost",
        trust_proxy: true,
      },
      providers,
    },
  });
  const { appliance } = temp;
  const served = await serveRuntime(appliance, port);
  const { apiKey } = await seedApp(appliance, { name: "demo" });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${publicUrl}${path}`, {
      ...init,
      headers: { "securix-api-key": apiKey, "content-type": "application/json", ...init.headers },
    });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await served.stop();
  };
  return {
    publicUrl,
    oidc,
    providers,
    api,
    apiKey,
    appliance,
    temp,
    runtime: served.runtime,
    /** Stops the listener and the runtime (flushing audit batches); the OIDC server stays up. */
    stop,
    async close() {
      await stop();
      await upstream.close();
      await oidc.close();
      await temp.cleanup();
    },
  };
}

export type ConsentEnv = Awaited<ReturnType<typeof consentEnv>>;

/**
 * One device consent as a user runs it: session created through the API, code
 * entered, consent page continued, signed in at the provider as `entityId`,
 * back through the callback to the done page.
 */
export async function deviceConsent(env: ConsentEnv, entityId: string): Promise<void> {
  const { browser, providerUrl } = await startDeviceConsent(env, entityId);
  const callback = await env.oidc.loginAndConsent(providerUrl, { accountId: entityId });
  const done = await browser.go(callback);
  const html = await done.text();
  assert.equal(done.status, 200, html);
  assert.match(html, /connected/i);
}

/** A proxied Gmail call for `entityId` from `base`; returns the account the upstream saw. */
export async function proxiedAccount(
  base: string,
  apiKey: string,
  entityId: string,
): Promise<string> {
  const res = await fetch(`${base}/proxy/gmail/gmail/v1/users/me/messages`, {
    headers: {
      "securix-api-key": apiKey,
      "securix-entity-id": entityId,
      "securix-agent-id": "agent-1",
    },
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.account;
}

/** A client or a transaction: what reading needs. */
type Reader = { execute(sql: string): Promise<ResultSet> };

export type Row = Record<string, unknown>;
/** Table name → primary key (JSON of the key columns) → row. */
export type TableRows = Map<string, Map<string, Row>>;

/** Every table of the database, internal ones (sqlite_sequence) included. */
export async function tableNames(client: Reader): Promise<string[]> {
  const rows = await client.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
  );
  return rows.rows.map((r) => String(r.name));
}

/**
 * The columns that identify a row. Rowids are no identity here: VACUUM (and
 * so VACUUM INTO) may renumber them in tables without an INTEGER PRIMARY KEY.
 */
async function keyColumns(client: Reader, table: string): Promise<string[]> {
  if (table === "sqlite_sequence") return ["name"];
  const info = await client.execute(`PRAGMA table_info("${table}")`);
  const pk = info.rows.filter((r) => Number(r.pk) > 0)
    .sort((a, b) => Number(a.pk) - Number(b.pk))
    .map((r) => String(r.name));
  assert.ok(pk.length > 0, `${table} has a primary key`);
  return pk;
}

export async function readRows(client: Reader, table: string): Promise<Map<string, Row>> {
  const keys = await keyColumns(client, table);
  const rows = await client.execute(`SELECT * FROM "${table}"`);
  const out = new Map<string, Row>();
  for (const row of rows.rows) {
    const copy: Row = {};
    for (const column of rows.columns) {
      const value = row[column];
      copy[column] = value instanceof ArrayBuffer
        ? Array.from(new Uint8Array(value))
        : typeof value === "bigint"
        ? Number(value)
        : value;
    }
    out.set(JSON.stringify(keys.map((k) => copy[k])), copy);
  }
  return out;
}

/** Every row of every table, read in one transaction (one consistent view). */
export async function readAllRows(client: Client): Promise<TableRows> {
  const tx = await client.transaction("read");
  try {
    const out: TableRows = new Map();
    for (const table of await tableNames(tx)) {
      out.set(table, await readRows(tx, table));
    }
    return out;
  } finally {
    tx.close();
  }
}
