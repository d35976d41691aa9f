/**
 * A served appliance with its admin console on a listener of its own, as
 * `securix serve` runs them: gmail proxied to a fake upstream, webhooks
 * "sent" by a recording stand-in, one admin account ready to enrol.
 */
import { createAdmin } from "../../src/admins/admin_store.ts";
import type { RuntimeOptions } from "../../src/http/runtime.ts";
import { startServer } from "../../src/http/serve.ts";
import type { PinnedRequest } from "../../src/webhooks/pinned_post.ts";
import { type FakeUpstream, startFakeUpstream } from "./fake_upstream.ts";
import { applianceClient, type OidcServer, providerAt, startOidcServer } from "./oidc_server.ts";
import { freePort } from "./process.ts";
import { serveRuntime } from "./serve_runtime.ts";
import { openTempAppliance, type TempAppliance } from "./temp_appliance.ts";

export const ADMIN = "ops";
export const PASSWORD = "correct horse battery staple";

export interface ConsoleEnv {
  temp: TempAppliance;
  publicUrl: string;
  /** The fake Gmail API, recording every request the proxy sent it. */
  upstream: FakeUpstream;
  /** The provider's OAuth server, when started with `oidc: true`. */
  oidc: OidcServer | null;
  consoleUrl: string;
  /** The admin's TOTP key, as the terminal showed it at `admins add`. */
  totpKey: Uint8Array;
  /** Webhook requests the appliance sent, in order. */
  webhooks: PinnedRequest[];
  /** Status the webhook stand-in answers next. */
  webhookStatus: { value: number };
  close(): Promise<void>;
}

export async function startConsoleEnv(
  options: {
    lockout?: { perAccount: number; perAddress: number; windowMs: number };
    /** `[security]` of securix.toml (e.g. a low mass_delete threshold). */
    security?: Record<string, unknown>;
    /** Point gmail's consent at a real OAuth/OIDC server (for tests that connect through it). */
    oidc?: boolean;
    /** `server.trust_proxy = true`: X-Forwarded-For names the client, as behind a reverse proxy. */
    trustProxy?: boolean;
    /** Stands in for the console's login-link redemption (e.g. held, to race attempts). */
    redeemLoginLink?: RuntimeOptions["redeemLoginLink"];
    /** Stands in for the console's enrolment code check (e.g. held, to race attempts). */
    checkEnrolmentCode?: RuntimeOptions["checkEnrolmentCode"];
  } = {},
): Promise<ConsoleEnv> {
  const port = freePort();
  const adminPort = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const upstream = startFakeUpstream();
  upstream.respond = () => ({
    status: 200,
    headers: [["content-type", "application/json"]],
    body: '{"messages":[]}',
  });
  const oidc = options.oidc
    ? await startOidcServer({ clients: [applianceClient(publicUrl)] })
    : null;
  const gmail = oidc
    ? providerAt(oidc, `http://127.0.0.1:${upstream.port}`, [
      "openid",
      "email",
      "profile",
      "https://www.googleapis.com/auth/gmail.readonly",
    ])
    : {
      client_id: "c",
      client_secret: "s",
      authorization_url: "http://127.0.0.1:9/authorize",
      token_url: "http://127.0.0.1:9/token",
      api_base_url: `http://127.0.0.1:${upstream.port}`,
    };
  const temp = await openTempAppliance({
    raw: {
      server: {
        listen: `127.0.0.1:${port}`,
        public_url: publicUrl,
        admin_listen: `127.0.0.1:${adminPort}`,
        ...(options.trustProxy ? { trust_proxy: true } : {}),
      },
      ...(options.security ? { security: options.security } : {}),
      providers: { gmail },
    },
  });
  const webhooks: PinnedRequest[] = [];
  const webhookStatus = { value: 500 };
  const served = await serveRuntime(temp.appliance, port, {
    webhookResolve: () => Promise.resolve(["93.184.215.14"]),
    webhookSend: (request) => {
      webhooks.push(request);
      return Promise.resolve(webhookStatus.value);
    },
    webhookPollMs: 50,
    webhookRetryDelaysMs: [3_600_000],
    consoleSampleMs: 250,
    adminLockout: options.lockout,
    redeemLoginLink: options.redeemLoginLink,
    checkEnrolmentCode: options.checkEnrolmentCode,
  });
  const admin = startServer({
    listen: { hostname: "127.0.0.1", port: adminPort },
    handler: served.runtime.adminHandler!,
    shutdownTimeoutMs: 1_000,
    signals: false,
  });
  const { totpKey } = await createAdmin(temp.appliance, ADMIN, PASSWORD);
  return {
    temp,
    publicUrl,
    upstream,
    oidc,
    consoleUrl: `http://127.0.0.1:${adminPort}`,
    totpKey,
    webhooks,
    webhookStatus,
    async close() {
      await admin.shutdown();
      await served.stop();
      await upstream.close();
      await oidc?.close();
      await temp.cleanup();
    },
  };
}
