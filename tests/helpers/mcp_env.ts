/**
 * A served appliance for MCP tests: Gmail and GitHub pointed at a local OIDC
 * server for consent and at the fake provider APIs for calls; apps "demo" and
 * "other" (agent-1 each); alice connects both providers through the real
 * device-flow consent. The fakes accept only the token the vault holds for
 * the provider, so an answer proves the proxy injected it. The clock can be
 * moved forward.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { listRecords } from "../../src/audit/read_records.ts";
import type { StoredRecord } from "../../src/audit/stored_records.ts";
import { type FakeApis, startFakeApis } from "./fake_provider_apis.ts";
import { startDeviceConsent } from "./flow_env.ts";
import { applianceClient, type OidcServer, providerAt, startOidcServer } from "./oidc_server.ts";
import { freePort } from "./process.ts";
import { seedApp, storedCredential } from "./seed.ts";
import { type ServedRuntime, serveRuntime } from "./serve_runtime.ts";
import { openTempAppliance, type TempAppliance } from "./temp_appliance.ts";

export interface McpEnv {
  publicUrl: string;
  fake: FakeApis;
  oidc: OidcServer;
  temp: TempAppliance;
  served: ServedRuntime;
  /** Every line the appliance logged. */
  logs: string[];
  apiKey(app?: "demo" | "other"): string;
  api(path: string, init?: RequestInit & { app?: "demo" | "other" }): Promise<Response>;
  /** `POST /v1/mcp/urls` as `app` (default demo); asserts 201. */
  getUrl(
    body: Record<string, unknown>,
    app?: "demo" | "other",
  ): Promise<{ id: string; url: string; expiresAt: string }>;
  /** Runs the device-flow consent for `provider` as `entityId` (the OIDC account alice). */
  consent(entityId: string, provider: "gmail" | "github"): Promise<void>;
  /** Moves the appliance's clock forward. */
  advance(ms: number): void;
  audit(kinds?: string): Promise<StoredRecord[]>;
  /** Every audit row as stored plus every decoded record, as one string to grep. */
  auditDump(): Promise<string>;
  close(): Promise<void>;
}

export async function mcpEnv(options: { rules?: Record<string, unknown>[] } = {}): Promise<McpEnv> {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  let offset = 0;
  const now = () => Date.now() + offset;
  const oidc = await startOidcServer({ clients: [applianceClient(publicUrl)] });
  // GitHub's identity answer (`GET /user`), for whatever token the consent just got.
  const identity = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ id: 583231, login: "alice", name: "Alice Martin" }),
  );
  let temp: TempAppliance | null = null;
  const fake = await startFakeApis({
    token: async (provider) =>
      temp
        ? (await storedCredential(temp.appliance, "alice", provider))?.accessToken ?? null
        : null,
  });
  try {
    temp = await openTempAppliance({
      now,
      raw: {
        server: { listen: `127.0.0.1:${port}`, public_url: publicUrl, base_domain: "localhost" },
        providers: {
          gmail: providerAt(oidc, fake.url, [
            "openid",
            "email",
            "profile",
            "https://www.googleapis.com/auth/gmail.readonly",
          ]),
          github: {
            ...providerAt(oidc, fake.url, ["openid", "read:user", "repo"]),
            // The test server is an OpenID Provider: it grants nothing without `openid`.
            default_scopes: ["openid", "read:user"],
            userinfo_url: `http://127.0.0.1:${identity.addr.port}/user`,
          },
        },
        ...(options.rules ? { rules: options.rules } : {}),
      },
    });
    const { appliance } = temp;
    const keys = {
      demo: (await seedApp(appliance, { name: "demo", origins: [publicUrl] })).apiKey,
      other: (await seedApp(appliance, { name: "other", origins: [publicUrl] })).apiKey,
    };
    const logs: string[] = [];
    const served = await serveRuntime(appliance, port, { log: (line) => logs.push(line) });
    const api = (path: string, init: RequestInit & { app?: "demo" | "other" } = {}) =>
      fetch(`${publicUrl}${path}`, {
        ...init,
        headers: {
          "securix-api-key": keys[init.app ?? "demo"],
          "content-type": "application/json",
          ...init.headers,
        },
      });
    const records = async (kinds?: string) => {
      await served.runtime.audit!.flush();
      return await listRecords(appliance.database.db, kinds ? { kinds } : {});
    };
    const tempDir = temp;
    return {
      publicUrl,
      fake,
      oidc,
      temp: tempDir,
      served,
      logs,
      apiKey: (app = "demo") => keys[app],
      api,
      async getUrl(body, app = "demo") {
        const res = await api("/v1/mcp/urls", { method: "POST", body: JSON.stringify(body), app });
        const json = await res.json();
        assert.equal(res.status, 201, JSON.stringify(json));
        return json;
      },
      async consent(entityId, provider) {
        const env = { api, publicUrl };
        const { browser, providerUrl } = await startDeviceConsent(env, entityId, {
          [provider]: {},
        });
        assert.ok(
          providerUrl?.startsWith(oidc.issuer),
          `consent goes to the provider: ${providerUrl}`,
        );
        const callback = await oidc.loginAndConsent(providerUrl, { accountId: "alice" });
        const done = await browser.go(callback);
        const html = await done.text();
        assert.equal(
          done.status,
          200,
          html.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").slice(0, 1500),
        );
        assert.match(html, /connected/i);
      },
      advance: (ms) => offset += ms,
      audit: records,
      auditDump: async () => {
        await served.runtime.audit!.flush();
        const { rows } = await appliance.database.client.execute("SELECT * FROM audit_log");
        return JSON.stringify(rows) + JSON.stringify(await records());
      },
      async close() {
        await served.stop();
        await fake.close();
        await identity.shutdown();
        await oidc.close();
        await tempDir.cleanup();
      },
    };
  } catch (error) {
    await fake.close();
    await identity.shutdown();
    await oidc.close();
    await temp?.cleanup();
    throw error;
  }
}

/** The official SDK client, connected over Streamable HTTP to `url`. */
export async function mcpClient(
  url: string,
  requestInit?: RequestInit,
): Promise<Client> {
  const client = new Client({ name: "securix-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit }));
  return client;
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  assert.equal(content[0]?.type, "text");
  return content[0].text!;
}
