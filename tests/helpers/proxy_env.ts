/**
 * A real listening appliance for proxy attack tests: gmail's API base points
 * at a scripted raw-TCP upstream (with a path prefix, so confinement under it
 * can be checked), one entity is connected through the real device consent
 * at oidc-provider, and a canary port stands for "somewhere else".
 */
import { type Canary, type FakeUpstream, startCanary, startFakeUpstream } from "./fake_upstream.ts";
import { startDeviceConsent } from "./flow_env.ts";
import { applianceClient, providerAt, startOidcServer } from "./oidc_server.ts";
import { freePort } from "./process.ts";
import { seedApp, storedCredential } from "./seed.ts";
import { openTempAppliance } from "./temp_appliance.ts";
import { serveRuntime } from "./serve_runtime.ts";

export interface ProxyEnvOptions {
  /** `server.trust_proxy`; default false, the product default. */
  trustProxy?: boolean;
  /** Path of gmail's `api_base_url` on the fake upstream; default `/base`. */
  apiBasePath?: string;
  /** Default 5000 ms. */
  upstreamTimeoutMs?: number;
}

export interface ProxyEnv {
  port: number;
  publicUrl: string;
  upstream: FakeUpstream;
  canary: Canary;
  apiKey: string;
  /** The connected entity's access token as the vault holds it. */
  token: string;
  /** `securix-*` header lines of the connected entity, CRLF-terminated, for raw requests. */
  authLines: string;
  /** The same as [name, value] pairs. */
  auth: [string, string][];
  /** Appliance log lines (5xx causes and the like). */
  logs: string[];
  close(): Promise<void>;
}

export const ENTITY = "alice";

export async function setupProxyEnv(options: ProxyEnvOptions = {}): Promise<ProxyEnv> {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [applianceClient(publicUrl)],
  });
  const upstream = startFakeUpstream();
  const canary = startCanary();
  const temp = await openTempAppliance({
    raw: {
      server: {
        listen: `127.0.0.1:${port}`,
        public_url: publicUrl,
        base_domain: "localhost",
        trust_proxy: options.trustProxy ?? false,
      },
      providers: {
        gmail: providerAt(
          oidc,
          `http://127.0.0.1:${upstream.port}${options.apiBasePath ?? "/base"}`,
          ["openid", "email", "profile", "https://www.googleapis.com/auth/gmail.readonly"],
        ),
      },
    },
  });
  const { appliance } = temp;
  const logs: string[] = [];
  const served = await serveRuntime(appliance, port, {
    log: (line) => logs.push(line),
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 5_000,
  });
  const close = async () => {
    await served.stop();
    await upstream.close();
    await canary.close();
    await oidc.close();
    await temp.cleanup();
  };
  try {
    const { apiKey } = await seedApp(appliance, {
      name: "demo",
      origins: ["http://127.0.0.1:3000"],
    });
    await connectByDeviceConsent(
      publicUrl,
      apiKey,
      (url) => oidc.loginAndConsent(url, { accountId: ENTITY }),
    );
    const token = (await storedCredential(appliance, ENTITY))!.accessToken;
    const auth: [string, string][] = [
      ["securix-api-key", apiKey],
      ["securix-entity-id", ENTITY],
      ["securix-agent-id", "agent-1"],
    ];
    const authLines = auth.map(([n, v]) => `${n}: ${v}\r\n`).join("");
    return { port, publicUrl, upstream, canary, apiKey, token, auth, authLines, logs, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The end user's device consent, page by page, up to an active gmail connection. */
async function connectByDeviceConsent(
  publicUrl: string,
  apiKey: string,
  signIn: (providerUrl: string) => Promise<URL>,
): Promise<void> {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${publicUrl}${path}`, {
      ...init,
      headers: { "securix-api-key": apiKey, "content-type": "application/json" },
    });
  const { browser, providerUrl } = await startDeviceConsent({ api, publicUrl }, ENTITY);
  const callback = await signIn(providerUrl);
  const done = await browser.go(callback);
  if (done.status !== 200) {
    throw new Error(`Consent ended with ${done.status}: ${await done.text()}`);
  }
  await done.body?.cancel();
}
