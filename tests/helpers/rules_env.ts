/**
 * One served appliance for end-to-end rule tests: the fake provider APIs
 * (Gmail, Drive, GitHub, Slack, Graph) as every provider's `api_base_url`,
 * the given `[[rules]]` and `[scopes]` in securix.toml, and per app an API
 * key, its agents and an active connection per provider for each entity,
 * holding the one token the fakes accept for that provider. Callers reach a
 * provider by the path fallback (`/proxy/<provider>/`), so real SDKs need no
 * name resolution trick.
 */
import { addAgent } from "../../src/agents/agent_store.ts";
import { CREDENTIAL_PURPOSE } from "../../src/connections/connection_types.ts";
import { listRecords } from "../../src/audit/read_records.ts";
import type { StoredRecord } from "../../src/audit/stored_records.ts";
import { type FakeApis, type FakeProviderName, startFakeApis } from "./fake_provider_apis.ts";
import { freePort } from "./process.ts";
import { seedApp, seedConnection } from "./seed.ts";
import { type ServedRuntime, serveRuntime } from "./serve_runtime.ts";
import type { RuntimeOptions } from "../../src/http/runtime.ts";
import { openTempAppliance, type TempAppliance } from "./temp_appliance.ts";

export const PROVIDERS: readonly FakeProviderName[] = [
  "gmail",
  "drive",
  "github",
  "slack",
  "microsoft",
];

/** The token the fakes accept from `provider`: what the vault must inject. */
export function tokenOf(provider: FakeProviderName): string {
  return `tok-${provider}-7f3a`;
}

export interface AppSeed {
  name: string;
  /** Registered agents; the first is the default caller. */
  agents: string[];
}

export interface RulesEnvOptions {
  rules?: Record<string, unknown>[];
  scopes?: Record<string, Record<string, unknown>>;
  /** Default: app "demo" with agents agent-1 and mail-agent. */
  apps?: AppSeed[];
  /** Entities connected to every provider in every app. Default: alice. */
  entities?: string[];
  /** More config (e.g. `{ proxy: { max_inspect_bytes: 4096 } }`). */
  raw?: Record<string, unknown>;
  /** The appliance's clock (default the real one). */
  now?: () => number;
  /** More runtime options (webhook polling, approval polling). */
  runtime?: RuntimeOptions;
  /**
   * Catalog providers with no fake (GitLab), by name → `api_base_url` (a
   * recording upstream): enabled and connected like the others, with token
   * `tok-<name>-7f3a`.
   */
  upstreams?: Record<string, string>;
}

export interface Caller {
  app?: string;
  agent?: string;
  entity?: string;
}

export interface RulesEnv {
  base: string;
  port: number;
  fake: FakeApis;
  temp: TempAppliance;
  served: ServedRuntime;
  /** `${base}/proxy/<provider>`, no trailing slash. */
  proxy(provider: FakeProviderName): string;
  /** Securix headers for a caller (default: first app, its first agent, first entity). */
  headers(caller?: Caller): Record<string, string>;
  /** API key of an app (default: the first). */
  apiKey(app?: string): string;
  /** Times the vault was read for a credential since the start. */
  credentialReads(): number;
  /** Highest audit seq so far: pass to `audit` to see only what follows. */
  mark(): Promise<number>;
  /** Records after `afterSeq` (all kinds, or those `kinds` selects), oldest first. */
  audit(afterSeq: number, kinds?: string): Promise<StoredRecord[]>;
  /** Every audit row as stored plus every decoded record, as one string to grep. */
  auditDump(): Promise<string>;
  close(): Promise<void>;
}

export async function rulesEnv(options: RulesEnvOptions = {}): Promise<RulesEnv> {
  const apps = options.apps ?? [{ name: "demo", agents: ["agent-1", "mail-agent"] }];
  const entities = options.entities ?? ["alice"];
  const fake = await startFakeApis({ token: (p) => tokenOf(p) });
  const port = freePort();
  let temp: TempAppliance | null = null;
  try {
    const upstreams = Object.entries(options.upstreams ?? {});
    const providers = Object.fromEntries(
      [...PROVIDERS.map((p): [string, string] => [p, fake.url]), ...upstreams].map((
        [p, url],
      ) => [p, { client_id: `${p}-client`, client_secret: "s", api_base_url: url }]),
    );
    temp = await openTempAppliance({
      raw: {
        ...options.raw,
        server: { listen: `127.0.0.1:${port}`, base_domain: "localhost" },
        providers,
        ...(options.rules ? { rules: options.rules } : {}),
        ...(options.scopes ? { scopes: options.scopes } : {}),
      },
      now: options.now,
    });
    const { appliance } = temp;
    const keys = new Map<string, string>();
    for (const seed of apps) {
      const { app, apiKey } = await seedApp(appliance, {
        name: seed.name,
        agentId: seed.agents[0],
      });
      keys.set(seed.name, apiKey);
      for (const agentId of seed.agents.slice(1)) {
        await addAgent(appliance.database.db, app.id, { agentId }, appliance);
      }
      for (const entityId of entities) {
        for (const provider of [...PROVIDERS, ...upstreams.map(([name]) => name)]) {
          await seedConnection(appliance, {
            id: `conn_${seed.name}_${entityId}_${provider}`,
            appId: app.id,
            entityId,
            provider,
            accessToken: `tok-${provider}-7f3a`,
          });
        }
      }
    }
    let reads = 0;
    const vault = appliance.vault;
    const get = vault.get.bind(vault);
    vault.get = ((...args: Parameters<typeof get>) => {
      // Provider credentials only: a webhook's signing secret is read as it goes out.
      if (args[1] === CREDENTIAL_PURPOSE) reads++;
      return get(...args);
    }) as typeof vault.get;

    const served = await serveRuntime(appliance, port, options.runtime);
    const base = `http://127.0.0.1:${port}`;
    const tempDir = temp;
    const records = async (kinds?: string) => {
      await served.runtime.audit!.flush();
      return await listRecords(appliance.database.db, kinds ? { kinds } : {});
    };
    return {
      base,
      port,
      fake,
      temp: tempDir,
      served,
      proxy: (provider) => `${base}/proxy/${provider}`,
      headers: (caller = {}) => {
        const app = apps.find((a) => a.name === (caller.app ?? apps[0].name))!;
        return {
          "securix-api-key": keys.get(app.name)!,
          "securix-entity-id": caller.entity ?? entities[0],
          "securix-agent-id": caller.agent ?? app.agents[0],
        };
      },
      apiKey: (app) => keys.get(app ?? apps[0].name)!,
      credentialReads: () => reads,
      mark: async () => (await records()).at(-1)?.seq ?? 0,
      audit: async (afterSeq, kinds) => (await records(kinds)).filter((r) => r.seq > afterSeq),
      auditDump: async () => {
        await served.runtime.audit!.flush();
        const { rows } = await appliance.database.client.execute("SELECT * FROM audit_log");
        return JSON.stringify(rows) + JSON.stringify(await records());
      },
      async close() {
        await served.stop();
        await fake.close();
        await tempDir.cleanup();
      },
    };
  } catch (error) {
    await fake.close();
    await temp?.cleanup();
    throw error;
  }
}

/** The parsed Securix error envelope of a refused call (consumes the body). */
export async function envelope(
  res: Response,
): Promise<
  {
    code: string;
    message: string;
    llmError?: string;
    details?: Record<string, unknown>;
    requestId?: string;
  }
> {
  const body = await res.json();
  return body.error;
}

/** Base64url (Gmail's body encoding) to text. */
export function fromBase64Url(data: string): string {
  const b64 = data.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** Text to base64url without padding, as Gmail's `raw` wants it. */
export function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * A Gmail send by `entity` that an approve rule holds: its approval id. A
 * `tag` makes the mail (so the request hash, so the approval) its own.
 */
export async function heldSend(env: RulesEnv, entity: string, tag = ""): Promise<string> {
  const suffix = tag === "" ? "" : ` ${tag}`;
  const raw = toBase64Url(`To: bob@acme.com\r\nSubject: Hi${suffix}\r\n\r\nHello${suffix}\r\n`);
  const res = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
    method: "POST",
    headers: { ...env.headers({ entity }), "content-type": "application/json" },
    body: JSON.stringify({ raw }),
  });
  const body = await res.json();
  if (body.error?.code !== "SX-APPROVAL-REQUIRED") {
    throw new Error(`the send was not held: ${JSON.stringify(body)}`);
  }
  return body.error.details.approvalId;
}
