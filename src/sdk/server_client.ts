import type * as z from "zod/mini";
import {
  type AuthSession,
  authSessionSchema,
  type ConfirmedSession,
  confirmedSessionSchema,
  type Connection,
  connectionListSchema,
  connectionSchema,
  type CreatedSession,
  createdSessionSchema,
  type EntityStatus,
  entityStatusSchema,
  type ErasedEntity,
  erasedEntitySchema,
  type Flow,
  type McpUrl,
  mcpUrlSchema,
  type PortalUrl,
  portalUrlSchema,
} from "./api_schemas.ts";
import { parseDuration } from "../security/duration.ts";
import { ENGLISH } from "./english_issues.ts";
import { idSegment } from "./id_segment.ts";
import { createFetchHandler, type FetchHandlerOptions } from "./fetch_handler.ts";
import { answerRequestId, apiErrorFromResponse, SecurixApiError } from "./sdk_error.ts";
import { verifyWebhook, WebhookVerificationError } from "../webhooks/signature.ts";
import { maintainWebSocket, type MaintainWebSocketOptions } from "./bridge.ts";

export { WebhookVerificationError };

/** What every Securix webhook carries; `data` holds ids, never a token. */
export interface WebhookEvent {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

const webhooks = {
  /**
   * Verifies a delivery (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
   * `webhook-signature`) against the endpoint's `whsec_…` secret and returns
   * the event. Pass the raw body exactly as received. Throws
   * WebhookVerificationError on a bad signature or a timestamp outside
   * `toleranceS` (default 300 s), which also stops replays of old deliveries.
   */
  verify(
    body: string,
    headers: Headers | Record<string, string>,
    secret: string,
    options: { toleranceS?: number; now?: () => number } = {},
  ): WebhookEvent {
    verifyWebhook(body, headers, secret, options);
    return JSON.parse(body) as WebhookEvent;
  },
};

export type {
  Account,
  AuthSession,
  AuthStatus,
  ConfirmedSession,
  Connection,
  CreatedSession,
  EntityStatus,
  ErasedEntity,
  Flow,
  McpUrl,
  PortalUrl,
  ProviderState,
  SessionStatus,
} from "./api_schemas.ts";

export interface SecurixOptions {
  /** The appliance's public URL, e.g. `https://securix.example.com`. */
  baseUrl: string;
  /**
   * The app's `securix-api-key`. Your server uses a backend key (keep it
   * there); an agent process gets an agent key, with which only the proxy,
   * `bridge.maintainWebSocket` and polling an approval work (every other
   * call rejects with SX-KEY-ROLE).
   */
  apiKey: string;
  /** Defaults to the global fetch; inject one for tests or proxies. */
  fetch?: typeof fetch;
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number;
  /** Used by `auth.waitForSession` between polls. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
}

export interface CreateSessionInput {
  /** Your id for the end user (or tenant) the connection belongs to. */
  entityId: string;
  /** Default `"popup"`. */
  flow?: Flow;
  providers: Record<string, { scopes?: string[] }>;
  /** base64url(sha256(sxc)); required for the popup flow. */
  sxcHash?: string;
  returnUrl?: string;
  /** Browser origin the popup result is posted to; must be registered for the app. */
  origin?: string;
}

export interface McpUrlInput {
  /** The end user (or tenant) whose connected accounts the agent acts on. */
  entityId: string;
  /** A registered agent of the app (`securix agents add`): audit and rules name it. */
  agentId: string;
  /** Only these providers' tools; default every provider the appliance has. */
  providers?: string[];
  /** Lifetime: seconds, or `"90m"`, `"12h"`, `"7d"`. Default 24 h, at most 30 days. */
  ttl?: number | string;
}

export interface PortalUrlInput {
  /** The end user (or tenant) whose connected accounts the portal shows. */
  entityId: string;
  /** Where the portal's "Back" link goes; must be on one of the app's origins. */
  returnUrl?: string;
}

export interface WaitOptions {
  /** Seconds between polls; default the session's `interval`, else 5. */
  interval?: number;
  signal?: AbortSignal;
}

type Schema<T> = z.ZodMiniType<T>;

/**
 * Server-side client of the appliance's public API. Every failure is a
 * `SecurixApiError` carrying the appliance's `code`, `status` and `llmError`.
 *
 * ```ts
 * const securix = new Securix({ baseUrl: "https://securix.example.com", apiKey });
 * const session = await securix.auth.createSession({
 *   entityId: user.id,
 *   flow: "device",
 *   providers: { gmail: { scopes: ["gmail.readonly"] } },
 * });
 * ```
 */
export interface ConnectionPageOptions {
  entityId?: string;
  provider?: string;
  status?: "pending" | "active" | "paused" | "needs_reauth";
  /** 1–500; the appliance's default is 100. */
  limit?: number;
  cursor?: string;
}

export interface ConnectionPage {
  connections: Connection[];
  nextCursor: string | null;
}

export class Securix {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: SecurixOptions) {
    const url = parseBaseUrl(options.baseUrl);
    if (typeof options.apiKey !== "string" || options.apiKey.length === 0) {
      throw new TypeError("Cannot create Securix client: apiKey is empty");
    }
    this.baseUrl = url;
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#sleep = options.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  readonly auth = {
    createSession: (input: CreateSessionInput): Promise<CreatedSession> =>
      this.#request("POST", "/v1/auth/sessions", createdSessionSchema, input),
    // async + await: a bad id rejects rather than throwing synchronously.
    getSession: async (sessionId: string): Promise<AuthSession> =>
      await this.#request("GET", `/v1/auth/sessions/${idSegment(sessionId)}`, authSessionSchema),
    getStatus: (entityId: string): Promise<EntityStatus> =>
      this.#request("GET", `/v1/auth/status?${query({ entityId })}`, entityStatusSchema),
    confirmSessionSXC: async (sessionId: string, sxc: string): Promise<ConfirmedSession> =>
      await this.#request(
        "POST",
        `/v1/auth/sessions/${idSegment(sessionId)}/confirm`,
        confirmedSessionSchema,
        { sxc },
      ),
    /**
     * Ends a popup session the browser gave up on, so it can never complete; the browser
     * proves itself with the same `sxc` as for the confirm.
     */
    cancelSessionSXC: async (sessionId: string, sxc: string): Promise<AuthSession> =>
      await this.#request(
        "POST",
        `/v1/auth/sessions/${idSegment(sessionId)}/cancel`,
        authSessionSchema,
        { sxc },
      ),
    /**
     * Polls a session until the user has finished (any status but `pending`),
     * honouring the device flow's `interval` and `SX-SLOW-DOWN` answers.
     */
    waitForSession: (sessionId: string, options: WaitOptions = {}): Promise<AuthSession> =>
      this.#waitForSession(sessionId, options),
  };

  /** `Securix.webhooks.verify(body, headers, secret)`; also on instances. */
  static readonly webhooks = webhooks;
  readonly webhooks = webhooks;

  readonly connections = {
    /** Every live connection of one entity (or, without one, of the app), all pages followed. */
    list: async (entityId?: string): Promise<Connection[]> => {
      const all: Connection[] = [];
      let cursor: string | null = null;
      do {
        const page: ConnectionPage = await this.connections.page({
          entityId,
          limit: 500,
          cursor: cursor ?? undefined,
        });
        all.push(...page.connections);
        cursor = page.nextCursor;
      } while (cursor);
      return all;
    },
    /** One page; pass `nextCursor` back as `cursor` for the next (null after the last). */
    page: async (options: ConnectionPageOptions = {}): Promise<ConnectionPage> => {
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(options)) {
        if (value !== undefined) params[key] = String(value);
      }
      const path = `/v1/connections${Object.keys(params).length ? `?${query(params)}` : ""}`;
      const page = await this.#request("GET", path, connectionListSchema);
      return { connections: page.connections, nextCursor: page.nextCursor ?? null };
    },
    /** One connection of this app (404 SX-CONNECTION-NOT-FOUND for any other id). */
    get: async (connectionId: string): Promise<Connection> =>
      await this.#request("GET", `/v1/connections/${idSegment(connectionId)}`, connectionSchema),
    /** The proxy refuses it (403 SX-PAUSED) until `resume`; 409 SX-CONNECTION-STATE unless active. */
    pause: async (connectionId: string): Promise<Connection> =>
      await this.#request(
        "POST",
        `/v1/connections/${idSegment(connectionId)}/pause`,
        connectionSchema,
      ),
    /** Undoes `pause` (409 SX-CONNECTION-STATE unless paused). */
    resume: async (connectionId: string): Promise<Connection> =>
      await this.#request(
        "POST",
        `/v1/connections/${idSegment(connectionId)}/resume`,
        connectionSchema,
      ),
    revoke: async (connectionId: string): Promise<void> => {
      await this.#request("DELETE", `/v1/connections/${idSegment(connectionId)}`, null);
    },
  };

  readonly entities = {
    /**
     * A data-protection erasure of one of the app's users: their connections
     * revoked, portal choices, sessions, MCP URLs and held approvals deleted;
     * the audit trail keeps the entity id. 404 SX-ENTITY-NOT-FOUND when
     * nothing is held (a second call included). Backend keys only.
     */
    erase: async (entityId: string): Promise<ErasedEntity> =>
      await this.#request("DELETE", `/v1/entities/${idSegment(entityId)}`, erasedEntitySchema),
  };

  readonly mcp = {
    /**
     * An MCP URL (Streamable HTTP) for an agent framework: it acts on
     * `entityId`'s connected accounts as `agentId`, under the app's rules,
     * without any other credential. Treat the URL as a secret; revoke it
     * with `mcp.revokeUrl(id)`.
     */
    getUrl: async (input: McpUrlInput): Promise<McpUrl> => {
      const { ttl, ...rest } = input;
      return await this.#request("POST", "/v1/mcp/urls", mcpUrlSchema, {
        ...rest,
        ...(ttl === undefined ? {} : { ttlSeconds: ttlSeconds(ttl) }),
      });
    },
    /** Ends an MCP URL at once; its next request is refused. */
    revokeUrl: async (id: string): Promise<void> => {
      await this.#request("DELETE", `/v1/mcp/urls/${idSegment(id)}`, null);
    },
  };

  readonly portal = {
    /**
     * A Trust Portal link for one of the app's users: single use, valid 10
     * minutes. Send the user's browser to `url` (redirect or link) right away;
     * it opens a session where they see and control their connected accounts.
     */
    getUrl: async (input: PortalUrlInput): Promise<PortalUrl> =>
      await this.#request("POST", "/v1/portal/urls", portalUrlSchema, input),
  };

  /**
   * For agent processes: `maintainWebSocket` keeps a provider WebSocket open
   * through the appliance's WebSocket proxy (the appliance adds the credential
   * at each handshake; this process never holds it), reconnecting with capped,
   * jittered backoff and whenever the token is refreshed; see bridge.ts.
   */
  readonly bridge = {
    maintainWebSocket: (options: MaintainWebSocketOptions): Promise<void> =>
      maintainWebSocket({
        baseUrl: this.baseUrl,
        apiKey: this.#apiKey,
        lookup: async (selector) => {
          if ("connectionId" in selector) return await this.connections.get(selector.connectionId);
          const page = await this.connections.page({ ...selector, limit: 10 });
          const found = page.connections.find((c) => c.status === "active") ??
            page.connections[0];
          if (!found) {
            throw new SecurixApiError(
              "SX-NOT-CONNECTED",
              `Entity has no ${selector.provider} connection`,
              // The proxy's status for the same code.
              { status: 401 },
            );
          }
          return found;
        },
      }, options),
  };

  /** A `(Request) => Promise<Response>` for your app's browser endpoints; see fetch_handler.ts. */
  toFetchHandler(options: FetchHandlerOptions): (req: Request) => Promise<Response> {
    return createFetchHandler(this, options);
  }

  async #waitForSession(sessionId: string, options: WaitOptions): Promise<AuthSession> {
    let interval = options.interval ?? 5;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        const session = await this.auth.getSession(sessionId);
        if (session.status !== "pending") return session;
      } catch (error) {
        if (!(error instanceof SecurixApiError) || error.code !== "SX-SLOW-DOWN") throw error;
        const told = error.details?.interval;
        interval = Math.max(interval + 5, typeof told === "number" ? told : 0);
      }
      await this.#sleep(interval * 1000);
    }
  }

  async #request<T>(
    method: string,
    path: string,
    schema: Schema<T> | null,
    body?: unknown,
  ): Promise<T> {
    const headers = new Headers({ "securix-api-key": this.#apiKey, accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    let res: Response;
    try {
      res = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new SecurixApiError(
        "SX-APPLIANCE-UNREACHABLE",
        `Cannot reach the Securix appliance at ${this.baseUrl}: ${describe(cause)}`,
        { status: 0, cause },
      );
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw new SecurixApiError(
        "SX-BAD-RESPONSE",
        `Appliance answered ${method} ${path.split("?")[0]} with a redirect; check baseUrl`,
        { status: res.status, requestId: answerRequestId(res) },
      );
    }
    if (!res.ok) throw await apiErrorFromResponse(res);
    if (schema === null) {
      await res.body?.cancel();
      return undefined as T;
    }
    return parseAnswer(res, schema, `${method} ${path.split("?")[0]}`);
  }
}

async function parseAnswer<T>(res: Response, schema: Schema<T>, what: string): Promise<T> {
  let json: unknown;
  try {
    json = await res.json();
  } catch (cause) {
    throw new SecurixApiError("SX-BAD-RESPONSE", `Appliance answered ${what} with invalid JSON`, {
      status: res.status,
      requestId: answerRequestId(res),
      cause,
    });
  }
  const parsed = schema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    throw new SecurixApiError(
      "SX-BAD-RESPONSE",
      `Appliance answered ${what} with an unexpected shape: ${parsed.error.issues[0]?.message}`,
      { status: res.status, requestId: answerRequestId(res) },
    );
  }
  return parsed.data;
}

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`Cannot create Securix client: baseUrl "${value}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`Cannot create Securix client: baseUrl must be http(s), got ${value}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
const describe = (error: unknown) => error instanceof Error ? error.message : String(error);

/** `ttl` as whole seconds: a number is seconds, a string a duration such as `"12h"`. */
function ttlSeconds(ttl: number | string): number {
  const ms = typeof ttl === "number" ? ttl * 1000 : parseDuration(ttl);
  if (ms === null || !Number.isFinite(ms) || ms < 1000) {
    throw new TypeError(`Cannot get an MCP URL: ttl ${JSON.stringify(ttl)} is not a duration`);
  }
  return Math.floor(ms / 1000);
}
