import { ruleRoutes } from "../api/rule_routes.ts";
import { anomalyRoutes } from "../api/anomaly_routes.ts";
import type { Anomaly } from "../anomalies/anomaly_types.ts";
import { approvalRoutes } from "../api/approval_routes.ts";
import { approvalPageRoutes } from "../approvals/approval_page_routes.tsx";
import { ApprovalSignals } from "../approvals/approval_signals.ts";
import { EMPTY_RULE_SET, type RuleSet } from "../rules/rule_set.ts";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { failedKeyLimits, type KeyLockout } from "../apps/key_lockout.ts";
import { SharedKeyLockout } from "../apps/shared_key_lockout.ts";
import { KeyAuthenticator, type KeyFailure } from "../apps/key_authenticator.ts";
import { trustedProxies } from "../config/trusted_proxies.ts";
import { connectionRoutes } from "../api/connection_routes.ts";
import { entityRoutes } from "../api/entity_routes.ts";
import { type ApiEnv, requireApiKey } from "../api/require_api_key.ts";
import { keyRoleGuard } from "../api/key_role_guard.ts";
import { sessionRoutes } from "../api/session_routes.ts";
import { statusRoutes } from "../api/status_routes.ts";
import { agentRoutes } from "../api/agent_routes.ts";
import { appRoutes } from "../api/app_routes.ts";
import { webhookRoutes } from "../api/webhook_routes.ts";
import { mcpUrlRoutes } from "../api/mcp_url_routes.ts";
import { portalUrlRoutes } from "../api/portal_url_routes.ts";
import type { PortalChoices } from "../portal/portal_choices.ts";
import { portalRoutes } from "../portal/portal_routes.tsx";
import type { ProxyDeps } from "../proxy/proxy_handler.ts";
import { gatewayRoutes } from "../api/gateway_routes.ts";
import { providerDirectory } from "../gateway/provider_directory.ts";
import type { ReleaseDeps } from "../gateway/release_credential.ts";
import type { RouteTable } from "../proxy/proxy_route.ts";
import { dnsResolver, type Resolver } from "../webhooks/target_policy.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { consentRoutes } from "../flows/consent_routes.tsx";
import type { FlowDeps } from "../flows/flow_deps.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import type { Connection } from "../connections/connection_types.ts";
import { sdkRoutes } from "../sdk/sdk_routes.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { assetRoutes } from "../../web/web_routes.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import type { Appliance } from "./appliance.ts";
import { clientAddress } from "./client_address.ts";
import { errorResponse, notFound, onError } from "./error_envelope.ts";
import { healthRoutes } from "./health.ts";
import { homePage, notFoundPage } from "./browser_pages.tsx";
import { securityHeaders } from "./security_headers.ts";
import { requestIdHeader, requestIdOf } from "./request_id_header.ts";
import { isolateRequestIds, type RequestIds } from "../identifiers/request_id.ts";
import { tlsAskRoutes } from "./tls_ask.ts";

export interface AppOptions {
  providers: ProviderRegistry;
  /** Called when a connection is revoked, paused or activated by a consent, to drop caches at once. */
  onConnectionChanged?: (
    connection: Pick<Connection, "id" | "appId" | "entityId" | "provider">,
  ) => void;
  /**
   * Counts failed key checks per client address; default a SharedKeyLockout
   * from `[auth_lockout]` on this database (runtime.ts shares one across isolates).
   */
  keyLockout?: KeyLockout;
  /** Called for every request refused before an app was known (bad, missing key; lockout). */
  onKeyFailure?: (address: string, reason: KeyFailure) => void;
  /** Called after this isolate dropped an app's cached keys (revoke, update, delete). */
  onAppChanged?: (appId: string) => void;
  /** Called when agents change, to drop the proxy's agent cache. */
  onAgentsChanged?: () => void;
  log?: (line: string) => void;
  /** Where request ids come from; default this isolate's source. */
  requestIds?: RequestIds;
  /** Session lifetime; default 10 minutes. */
  sessionTtlMs?: number;
  deviceIntervalS?: number;
  random?: (bytes: Uint8Array) => Uint8Array;
  /** Name resolution for webhook targets; default the system resolver. */
  webhookResolve?: Resolver;
  /** The rule set in force (`GET /v1/rules`); default none. */
  rules?: () => RuleSet;
  /** The gateway API's view of the proxy: its routes, credential source and anomaly blocks. */
  gateway?: {
    routes: RouteTable;
    credentials: ReleaseDeps["credentials"];
    anomalyBlock?: ReleaseDeps["anomalyBlock"];
  };
  /** An anomaly block was cleared through the API: this process's block set drops it at once. */
  onAnomalyCleared?: (anomaly: Anomaly) => void;
  /** Wakes requests held by an approval `wait` when a decision is made here. */
  approvalSignals?: ApprovalSignals;
  /** The Trust Portal's in-memory choices and the proxy it lists labels/folders through. */
  portal?: { choices: PortalChoices; proxy: () => ProxyDeps | null };
}

export interface ApplianceApp {
  app: Hono;
  flowDeps: FlowDeps;
  authenticator: KeyAuthenticator;
  /** The admin commands as this process runs them (its caches dropped after commit). */
  commands: CommandsFor;
}

/** Without a runtime (no proxy) the gateway has no credential source: releases refuse. */
const noCredentials: ReleaseDeps["credentials"] = {
  get: () =>
    Promise.reject(new SecurixError("SX-UNAVAILABLE", "No credential source", { status: 503 })),
};

/** Assembles the appliance's HTTP surface. */
export async function createApp(appliance: Appliance, options: AppOptions): Promise<ApplianceApp> {
  const log = options.log ?? ((line: string) => console.error(line));
  const { config, database, vault, now } = appliance;
  const flowDeps: FlowDeps = {
    database,
    vault,
    providers: options.providers,
    now,
    publicUrl: config.server.publicUrl,
    sessionTtlMs: options.sessionTtlMs ?? 10 * 60_000,
    deviceIntervalS: options.deviceIntervalS ?? 5,
    random: options.random,
    connectionActivated: options.onConnectionChanged,
  };
  const authenticator = new KeyAuthenticator({
    db: database.db,
    now,
    limiter: options.keyLockout ??
      new SharedKeyLockout({ db: database.db, limits: failedKeyLimits(config.auth_lockout) }),
    onFailure: options.onKeyFailure,
  });
  // Every admin change made through this process drops the caches it makes stale.
  const commands: CommandsFor = (by) => ({
    database,
    vault,
    now,
    by,
    after: {
      connectionChanged: options.onConnectionChanged,
      agentsChanged: options.onAgentsChanged,
      appChanged: (appId) => {
        authenticator.forgetApp(appId);
        options.onAppChanged?.(appId);
      },
      anomalyCleared: options.onAnomalyCleared,
      approvalDecided: (a) => approvalSignals.notify(a.id),
    },
  });
  const readClientAddress = clientAddress(trustedProxies(config.server.trustedProxies));
  const csrfKey = await deriveSubkey(config.vault.masterKey, LABELS.csrf);
  const mcpKey = await deriveSubkey(config.vault.masterKey, LABELS.mcpGrant);

  // URL schemes are case-insensitive: "HTTPS://…" is https too, so ask the parsed URL.
  const publicHttps = new URL(config.server.publicUrl).protocol === "https:";
  const app = new Hono();
  app.use(requestIdHeader(options.requestIds ?? isolateRequestIds()));
  app.use(securityHeaders({ https: publicHttps }));
  app.use(bodyLimit({
    maxSize: config.server.max_body_bytes,
    onError: (c) =>
      errorResponse(
        new SecurixError(
          "SX-BODY-TOO-LARGE",
          `Request body is larger than ${config.server.max_body_bytes} bytes`,
          { status: 413 },
        ),
        undefined,
        requestIdOf(c),
      ),
  }));
  app.route(
    "/",
    healthRoutes({ client: database.client, migrations: MIGRATIONS, file: database.file }),
  );
  app.route(
    "/",
    tlsAskRoutes({
      publicUrl: config.server.publicUrl,
      baseDomain: config.server.base_domain,
      providers: () => options.providers.enabled.keys(),
    }),
  );
  app.route("/", assetRoutes());
  app.route("/", sdkRoutes());
  app.route(
    "/",
    consentRoutes({
      deps: flowDeps,
      csrfKey,
      clientAddress: readClientAddress,
    }),
  );
  const approvalSignals = options.approvalSignals ?? new ApprovalSignals();
  const approvalDeps = {
    database,
    now,
    ttlMs: config.security.approval_ttl,
    onDecided: (a: { id: string }) => approvalSignals.notify(a.id),
  };
  app.route(
    "/",
    approvalPageRoutes({
      ...approvalDeps,
      csrfKey,
      secure: publicHttps,
      publicOrigin: new URL(config.server.publicUrl).origin,
    }),
  );
  if (options.portal) {
    app.route(
      "/",
      portalRoutes({
        database,
        now,
        csrfKey,
        commands,
        providers: options.providers,
        rules: options.rules ?? (() => EMPTY_RULE_SET),
        choices: options.portal.choices,
        proxy: options.portal.proxy,
        approvals: approvalDeps,
        secure: publicHttps,
        publicOrigin: new URL(config.server.publicUrl).origin,
        random: options.random,
      }),
    );
  }
  const v1 = new Hono<ApiEnv>();
  v1.use("*", requireApiKey(authenticator, readClientAddress));
  // Before any /v1 route: an agent key reaches only the read-only ones key_role_guard.ts names.
  v1.use("*", keyRoleGuard());
  v1.route("/auth/sessions", sessionRoutes(flowDeps));
  v1.route("/auth/status", statusRoutes(flowDeps));
  v1.route(
    "/connections",
    connectionRoutes({ database, providers: options.providers, commands }),
  );
  v1.route("/entities", entityRoutes({ providers: options.providers, commands }));
  v1.route("/rules", ruleRoutes({ rules: options.rules ?? (() => EMPTY_RULE_SET) }));
  v1.route("/anomalies", anomalyRoutes({ database, commands }));
  v1.route("/approvals", approvalRoutes({ ...approvalDeps, commands }));
  v1.route("/agents", agentRoutes({ database, commands }));
  v1.route(
    "/webhooks",
    webhookRoutes({
      database,
      commands,
      allowPrivateTargets: config.webhooks.allow_private_targets,
      resolve: options.webhookResolve ?? dnsResolver,
    }),
  );
  v1.route(
    "/app",
    appRoutes({ providers: options.providers, commands }),
  );
  v1.route(
    "/mcp/urls",
    mcpUrlRoutes({
      database,
      now,
      publicUrl: config.server.publicUrl,
      providers: options.providers,
      key: mcpKey,
      random: options.random,
      commands,
    }),
  );
  v1.route(
    "/portal/urls",
    portalUrlRoutes({ database, now, publicUrl: config.server.publicUrl, random: options.random }),
  );
  const directory = providerDirectory(
    options.providers,
    options.gateway?.routes ?? new Map(),
    config.server.base_domain,
  );
  v1.route(
    "/",
    gatewayRoutes({
      flows: flowDeps,
      directory,
      release: {
        database,
        vault,
        now,
        credentials: options.gateway?.credentials ?? noCredentials,
        rules: options.rules ?? (() => EMPTY_RULE_SET),
        familyOf: directory.familyOf,
        enabled: (provider) => options.providers.enabled.has(provider),
        entityChoices: options.portal?.choices.lookup,
        anomalyBlock: options.gateway?.anomalyBlock,
      },
    }),
  );
  app.route("/v1", v1);
  app.get("/", (c) => homePage(c) ?? notFound(c));
  app.onError(onError(log));
  app.notFound((c) => notFoundPage(c) ?? notFound(c));
  return { app, flowDeps, authenticator, commands };
}
