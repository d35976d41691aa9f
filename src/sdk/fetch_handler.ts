/**
 * Your app's browser-facing Securix endpoints, as one `(Request) => Promise<Response>`.
 * The browser client (`/sdk/client.js`, `<securix-button>`) talks to these; your API
 * key stays on the server, and the entity id always comes from YOUR session via
 * `getEntityId`, never from the request body.
 *
 * Routes under `basePath` (default `/api/securix`):
 * - `POST create-auth-session` `{providers, sxcHash?, flow?}` → `{sessionId, authUrl, expiresAt, flow, deviceAuthCode?, interval?}`
 * - `POST confirm-auth-session` `{sessionId, sxc}` → `{status: "AUTH_SUCCESS", sessionId, providers}`
 *   (only for a session of the same entity)
 * - `POST cancel-auth-session` `{sessionId, sxc}` → `{sessionId, status, reason}`: the browser
 *   started again, so its earlier session is ended and can never complete
 * - `GET status` → `{status, providers}`; `GET status?sessionId=…` → that session's state
 *
 * ```ts
 * const securix = new Securix({ baseUrl: "https://securix.example.com", apiKey });
 * const handler = securix.toFetchHandler({
 *   getEntityId: async (req) => (await getUserFromCookie(req))?.id ?? null,
 *   providers: { gmail: { scopes: ["gmail.readonly"] } },
 * });
 * Deno.serve((req) => new URL(req.url).pathname.startsWith("/api/securix/")
 *   ? handler(req) : app(req));
 * ```
 *
 * POSTs must be `application/json`, and no request may be cross-site (`Sec-Fetch-Site`), so
 * another site can neither drive the routes with the user's cookies nor read `status`; list
 * extra front-end origins in `trustedOrigins`.
 */
import * as z from "zod/mini";
import { ENGLISH } from "./english_issues.ts";
import { idSegmentProblem } from "./id_segment.ts";
import type { Flow } from "./api_schemas.ts";
import { readLimited } from "../proxy/read_limited.ts";
import { SecurixApiError } from "./sdk_error.ts";
import type { Securix } from "./server_client.ts";

export type ProviderAllowlist = Record<string, { scopes?: string[] }>;

export interface FetchHandlerOptions {
  /** The signed-in user's entity id from your own session; `null` answers 401. */
  getEntityId: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  /** Path the routes live under. Default `/api/securix`. */
  basePath?: string;
  /**
   * Providers (and scopes) the browser may ask for. A request without scopes gets the
   * listed ones; scopes outside the list are refused. Unset: anything, and the
   * appliance's own allowlist decides.
   */
  providers?: ProviderAllowlist;
  /**
   * Flows the browser may start. Default `["popup"]`. Add `"device"` only for users who
   * really connect from another device: a device code works for whoever types it in, so a
   * signed-in user could send theirs to someone else ("enter ABCD-1234 to verify your
   * account") and get that person's account connected to their own id. The popup flow's
   * opener proof refuses exactly such a forwarded consent.
   */
  flows?: Flow[];
  /** Origins other than the handler's own site allowed to call it. */
  trustedOrigins?: string[];
  /** Appliance failures the browser only sees as 502; default logs to console.error. */
  onError?: (error: unknown) => void;
}

const MAX_BODY_BYTES = 16 * 1024;

const providerNames = z.string().check(z.regex(/^[a-z0-9_-]{1,64}$/));
const createBody = z.strictObject({
  providers: z.optional(z.union([
    z.array(providerNames).check(z.maxLength(10)),
    z.record(
      providerNames,
      z.strictObject({
        scopes: z.optional(
          z.array(z.string().check(z.minLength(1), z.maxLength(512))).check(z.maxLength(50)),
        ),
      }),
    ),
  ])),
  sxcHash: z.optional(z.string().check(z.maxLength(100))),
  flow: z._default(z.enum(["popup", "device"]), "popup"),
});
const confirmBody = z.strictObject({
  sessionId: z.string().check(z.minLength(1), z.maxLength(200)),
  sxc: z.string().check(z.minLength(1), z.maxLength(256)),
});

type Body = { status?: number; json: unknown };

export function createFetchHandler(
  securix: Securix,
  options: FetchHandlerOptions,
): (req: Request) => Promise<Response> {
  const basePath = normalizeBasePath(options.basePath ?? "/api/securix");
  const flows = new Set(options.flows ?? ["popup"]);
  const trusted = new Set((options.trustedOrigins ?? []).map((o) => new URL(o).origin));
  const onError = options.onError ??
    ((error: unknown) => console.error(`Securix handler: ${describe(error)}`));

  const routes: Record<string, (req: Request, entityId: string) => Promise<Body>> = {
    "POST /create-auth-session": async (req, entityId) => {
      const body = await readJson(req, createBody);
      if (!flows.has(body.flow)) {
        throw refused(400, "SX-FLOW-NOT-ALLOWED", `The ${body.flow} flow is not offered here`);
      }
      const origin = req.headers.get("origin");
      const created = await securix.auth.createSession({
        entityId,
        flow: body.flow,
        providers: resolveProviders(body.providers, options.providers),
        sxcHash: body.sxcHash,
        origin: body.flow === "popup" && origin && origin !== "null" ? origin : undefined,
      });
      const { sessionId, authUrl, expiresAt, flow, deviceAuthCode, interval } = created;
      return {
        status: 201,
        json: { sessionId, authUrl, expiresAt, flow, deviceAuthCode, interval },
      };
    },
    "POST /confirm-auth-session": async (req, entityId) => {
      const { sessionId, sxc } = await readJson(req, confirmBody);
      await ownSession(securix, sessionId, entityId);
      const confirmed = await securix.auth.confirmSessionSXC(sessionId, sxc);
      return {
        json: { status: confirmed.status, sessionId, providers: confirmed.providers },
      };
    },
    "POST /cancel-auth-session": async (req, entityId) => {
      const { sessionId, sxc } = await readJson(req, confirmBody);
      await ownSession(securix, sessionId, entityId);
      const { status, reason } = await securix.auth.cancelSessionSXC(sessionId, sxc);
      return { json: { sessionId, status, reason: reason ?? null } };
    },
    "GET /status": async (req, entityId) => {
      const sessionId = new URL(req.url).searchParams.get("sessionId");
      if (!sessionId) {
        const { status, providers } = await securix.auth.getStatus(entityId);
        return { json: { status, providers } };
      }
      const s = await ownSession(securix, sessionId, entityId);
      const { flow, status, reason, expiresAt, providers } = s;
      return { json: { sessionId, flow, status, reason: reason ?? null, expiresAt, providers } };
    },
  };

  return async function securixFetchHandler(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (!path.startsWith(`${basePath}/`)) return errorJson(404, "SX-NOT-FOUND", "No such route");
    const key = `${req.method} ${path.slice(basePath.length)}`;
    const route = routes[key];
    if (!route) return errorJson(404, "SX-NOT-FOUND", `No route for ${req.method} ${path}`);
    try {
      checkBrowserRequest(req, trusted);
      const entityId = await options.getEntityId(req);
      if (typeof entityId !== "string" || entityId.length === 0) {
        return errorJson(401, "SX-NOT-SIGNED-IN", "Sign in to the app before connecting accounts");
      }
      const { status, json } = await route(req, entityId);
      return Response.json(json, {
        status: status ?? 200,
        headers: { "cache-control": "no-store" },
      });
    } catch (error) {
      return errorToResponse(error, onError);
    }
  };
}

/**
 * Refuses non-JSON POST bodies (which a plain HTML form could send) and cross-site requests,
 * GETs too: `status` names the user's accounts, and an app's CORS middleware that reflects
 * any origin with credentials would otherwise let any site read them.
 */
function checkBrowserRequest(req: Request, trusted: Set<string>): void {
  const type = req.headers.get("content-type") ?? "";
  if (req.method === "POST" && !/^application\/json\s*(;|$)/i.test(type)) {
    throw refused(415, "SX-UNSUPPORTED-MEDIA-TYPE", "Send the body as application/json");
  }
  const origin = req.headers.get("origin");
  if (req.headers.get("sec-fetch-site") === "cross-site" && !(origin && trusted.has(origin))) {
    throw refused(403, "SX-CROSS-SITE", `Requests from ${origin ?? "another site"} are refused`);
  }
}

async function ownSession(securix: Securix, sessionId: string, entityId: string) {
  // Not ids (the client refuses them as path segments): "not found", not a 500.
  if (idSegmentProblem(sessionId) !== null) {
    throw refused(404, "SX-SESSION-NOT-FOUND", "No such session");
  }
  const session = await securix.auth.getSession(sessionId);
  // Another entity's session is "not found", so ids cannot be probed.
  if (session.entityId !== entityId) throw refused(404, "SX-SESSION-NOT-FOUND", "No such session");
  return session;
}

function resolveProviders(
  requested: z.output<typeof createBody>["providers"],
  allowed: ProviderAllowlist | undefined,
): Record<string, { scopes?: string[] }> {
  const wanted: Record<string, { scopes?: string[] }> = Array.isArray(requested)
    ? Object.fromEntries(requested.map((name) => [name, {}]))
    : requested ?? { ...allowed };
  if (Object.keys(wanted).length === 0) {
    throw refused(400, "SX-INVALID-INPUT", "providers: name at least one provider");
  }
  if (!allowed) return wanted;
  const out: Record<string, { scopes?: string[] }> = {};
  for (const [name, { scopes }] of Object.entries(wanted)) {
    const allow = Object.hasOwn(allowed, name) ? allowed[name] : null;
    if (!allow) throw refused(400, "SX-PROVIDER-NOT-ALLOWED", `Provider "${name}" is not offered`);
    const extra = scopes && allow.scopes ? scopes.filter((s) => !allow.scopes!.includes(s)) : [];
    if (extra.length > 0) {
      throw refused(400, "SX-SCOPE-NOT-ALLOWED", `Scopes not offered for ${name}: ${extra}`);
    }
    const chosen = scopes ?? allow.scopes;
    out[name] = chosen ? { scopes: chosen } : {};
  }
  return out;
}

async function readJson<T>(req: Request, schema: z.ZodMiniType<T>): Promise<T> {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) {
    throw refused(413, "SX-BODY-TOO-LARGE", "Request body is too large");
  }
  const text = await readText(req, MAX_BODY_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The code the appliance's own /v1 API gives the same body.
    throw refused(400, "SX-INVALID-JSON", "The request body is not valid JSON");
  }
  const parsed = schema.safeParse(json, ENGLISH);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw refused(400, "SX-INVALID-INPUT", `${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The body as text; 413 once past `limit` bytes (readLimited reads no further). */
async function readText(req: Request, limit: number): Promise<string> {
  if (!req.body) return "";
  const bytes = await readLimited(req.body, limit);
  if (bytes === null) throw refused(413, "SX-BODY-TOO-LARGE", "Request body is too large");
  return new TextDecoder().decode(bytes);
}

function errorToResponse(error: unknown, onError: (error: unknown) => void): Response {
  if (error instanceof SecurixApiError && !isApplianceFault(error)) {
    return errorJson(error.status, error.code, error.message, error.llmError);
  }
  onError(error);
  if (error instanceof SecurixApiError) {
    return errorJson(502, "SX-APPLIANCE-ERROR", "The Securix appliance could not handle this");
  }
  return errorJson(500, "SX-INTERNAL", "Internal error");
}

/** Failures that are the app's or appliance's problem, not the browser's: never passed on. */
function isApplianceFault(error: SecurixApiError): boolean {
  return error.status === 0 || error.status >= 500 || error.status === 401 ||
    error.code.startsWith("SX-API-KEY") || error.code === "SX-BAD-RESPONSE";
}

function refused(status: number, code: string, message: string): SecurixApiError {
  return new SecurixApiError(code, message, { status });
}

function errorJson(status: number, code: string, message: string, llmError?: string | null) {
  const error = llmError ? { code, message, llmError } : { code, message };
  return Response.json({ error }, { status, headers: { "cache-control": "no-store" } });
}

function normalizeBasePath(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" || trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

const describe = (error: unknown) =>
  error instanceof SecurixApiError
    ? `${error.code} (${error.status}): ${error.message}`
    : error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error);
