/**
 * The server SDK's public surface: what `deno task sdk:build` bundles into
 * src/sdk/generated/securix_sdk.js, which the appliance serves at `/sdk/securix.js`
 * for Node 20+, Deno and Bun. Only what an app or agent calls belongs here; a
 * new import must not pull a dependency the bundle does not need (prom-client
 * comes in through `createBridgeMetrics`'s argument, never an import).
 */
export { Securix, WebhookVerificationError } from "./server_client.ts";
export type {
  Account,
  AuthSession,
  AuthStatus,
  ConfirmedSession,
  Connection,
  ConnectionPage,
  ConnectionPageOptions,
  CreatedSession,
  CreateSessionInput,
  EntityStatus,
  ErasedEntity,
  Flow,
  McpUrl,
  McpUrlInput,
  PortalUrl,
  PortalUrlInput,
  ProviderState,
  SecurixOptions,
  SessionStatus,
  WaitOptions,
  WebhookEvent,
} from "./server_client.ts";
export { SecurixApiError } from "./sdk_error.ts";
export type { FetchHandlerOptions, ProviderAllowlist } from "./fetch_handler.ts";
export { type FetchHandler, type NextJsRouteHandlers, toNextJsHandler } from "./nextjs_handler.ts";
export type { BridgeHandler, BridgeMetricsSink, MaintainWebSocketOptions } from "./bridge.ts";
export { type BridgeMetrics, createBridgeMetrics } from "./bridge_metrics.ts";
