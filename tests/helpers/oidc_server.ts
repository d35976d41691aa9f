import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import "./quiet_oidc_warnings.ts";
import Provider from "oidc-provider";

/**
 * A real upstream authorization server for tests: `oidc-provider` (a certified
 * OpenID Provider) on 127.0.0.1 at a random free port. Authorization code with
 * PKCE, refresh tokens, userinfo, revocation and discovery behave as at a real
 * provider, so our OAuth adapter is tested against someone else's reading of
 * the RFCs rather than our own.
 *
 * Login and consent use oidc-provider's development interactions. The login
 * page has `input[name=login]` (any login is accepted and becomes the account
 * id, see `testAccountClaims`), `input[name=password]` (any value) and a
 * "Sign-in" submit button; the consent page has a "Continue" submit button.
 * Browser tests drive those pages; other tests call `loginAndConsent` to do
 * the same over HTTP.
 *
 * Differences from the library defaults, each to behave like the providers we
 * broker: refresh tokens without the OIDC offline_access ceremony, no clock
 * tolerance (short TTLs really expire), PKCE required unless turned off.
 */

export interface OidcTestClient {
  clientId: string;
  /** Null registers a public client (token endpoint auth `none`). */
  clientSecret: string | null;
  redirectUris: string[];
  /** How the client authenticates at the token endpoint. Default `client_secret_basic`. */
  tokenEndpointAuthMethod?: "client_secret_basic" | "client_secret_post" | "none";
}

export interface OidcServerOptions {
  clients: OidcTestClient[];
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtl?: number;
  /** Issue a new refresh token on every refresh and invalidate the old one. Default false. */
  rotateRefreshTokens?: boolean;
  /** Refuse authorization requests without PKCE (S256). Default true. */
  requirePkce?: boolean;
  /** Listen on this port (an issuer URL configured before the server runs). Default: a free one. */
  port?: number;
  /**
   * `"always"` (default): a refresh token for every code, as the providers we
   * broker do. `"offline_access"`: the library's OIDC default, a refresh token
   * only when `offline_access` was granted (which needs `prompt=consent`).
   */
  refreshTokens?: "always" | "offline_access";
}

/** Calls seen by the server, for assertions such as "exactly one refresh happened". */
export interface OidcServerStats {
  /** Token endpoint calls by `grant_type`, successful or not. */
  tokenCalls: Record<string, number>;
  /** Token endpoint calls that ended in an OAuth error, by `grant_type`. */
  tokenErrors: Record<string, number>;
  userinfoCalls: number;
  revocationCalls: number;
  reset(): void;
}

export interface OidcServer {
  /** `http://127.0.0.1:<port>`; discovery is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  port: number;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  revocationUrl: string;
  stats: OidcServerStats;
  /**
   * Plays the user: opens `authUrl`, signs in as `accountId`, grants consent,
   * and returns the URL the server finally redirected to (the client's
   * redirect URI with `code` and `state`, or with `error`).
   */
  loginAndConsent(authUrl: string | URL, options: { accountId: string }): Promise<URL>;
  close(): Promise<void>;
}

/** Claims every test account has; the account id is the login typed in. */
export function testAccountClaims(accountId: string) {
  return {
    sub: accountId,
    email: `${accountId}@example.test`,
    email_verified: true,
    name: `Test ${accountId}`,
  };
}

export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  const server = createServer();
  const port = await listen(server, options.port ?? 0);
  const issuer = `http://127.0.0.1:${port}`;
  const stats = newStats();
  const provider = createProvider(issuer, options);
  provider.use(countCalls(stats));
  // Koa's default error handler prints every 4xx/5xx; tests assert on errors on purpose.
  provider.silent = true;
  const handler = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => handler(req, res));
  return {
    issuer,
    port,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    userinfoUrl: `${issuer}/me`,
    revocationUrl: `${issuer}/token/revocation`,
    stats,
    loginAndConsent: (authUrl, { accountId }) =>
      loginAndConsent(issuer, new URL(authUrl), accountId),
    close: () => closeServer(server),
  };
}

function createProvider(issuer: string, options: OidcServerOptions): Provider {
  const requirePkce = options.requirePkce ?? true;
  return new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      ...(c.clientSecret === null ? {} : { client_secret: c.clientSecret }),
      redirect_uris: c.redirectUris,
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: c.tokenEndpointAuthMethod ??
        (c.clientSecret === null ? "none" : "client_secret_basic"),
    })),
    findAccount: (_ctx: unknown, accountId: string) => ({
      accountId,
      claims: () => testAccountClaims(accountId),
    }),
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    scopes: ["openid", "offline_access", "email", "profile"],
    features: {
      devInteractions: { enabled: true },
      // A client may revoke only its own tokens (the library default, stated
      // here so it does not print a notice on every revocation).
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, client: { clientId: string }, token: { clientId: string }) =>
          token.clientId === client.clientId,
      },
      userinfo: { enabled: true },
    },
    pkce: { required: () => requirePkce },
    // Real providers hand the test client a refresh token without the OIDC
    // offline_access + prompt=consent ceremony (Google uses access_type=offline).
    ...(options.refreshTokens === "offline_access" ? {} : {
      issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
        client.grantTypeAllowed("refresh_token"),
    }),
    rotateRefreshToken: options.rotateRefreshTokens ?? false,
    // The library forgives 15 s of clock skew by default, which would keep a
    // short-TTL access token alive long after the TTL a test asked for.
    clockTolerance: 0,
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 14 * 24 * 3600,
    },
    cookies: { keys: [crypto.randomUUID()] },
    // Plain text instead of the library's styled page (and its notice on every error).
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = "text";
      ctx.body = `${out.error}: ${out.error_description ?? ""}`;
    },
  });
}

function newStats(): OidcServerStats {
  const stats: OidcServerStats = {
    tokenCalls: {},
    tokenErrors: {},
    userinfoCalls: 0,
    revocationCalls: 0,
    reset() {
      stats.tokenCalls = {};
      stats.tokenErrors = {};
      stats.userinfoCalls = 0;
      stats.revocationCalls = 0;
    },
  };
  return stats;
}

interface KoaContext {
  method: string;
  path: string;
  status: number;
  oidc?: { params?: Record<string, unknown>; route?: string };
}

/** Counts after the route ran, when oidc-provider has parsed the body. */
function countCalls(stats: OidcServerStats) {
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    await next();
    const route = ctx.oidc?.route;
    if (route === "token") {
      const grant = String(ctx.oidc?.params?.grant_type ?? "unknown");
      stats.tokenCalls[grant] = (stats.tokenCalls[grant] ?? 0) + 1;
      if (ctx.status >= 400) stats.tokenErrors[grant] = (stats.tokenErrors[grant] ?? 0) + 1;
    } else if (route === "userinfo") {
      stats.userinfoCalls++;
    } else if (route === "revocation") {
      stats.revocationCalls++;
    }
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Cookies by name; the newest wins, which is all oidc-provider's flow needs. */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const at = pair.indexOf("=");
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) ||
        attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === "") this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

const MAX_STEPS = 12;

/**
 * Follows the server's redirects by hand, answering the login and consent
 * forms on the way, until it redirects off the issuer (to the client).
 */
async function loginAndConsent(issuer: string, authUrl: URL, accountId: string): Promise<URL> {
  const jar = new CookieJar();
  let next: { url: URL; form: URLSearchParams | null } = { url: authUrl, form: null };
  for (let step = 0; step < MAX_STEPS; step++) {
    const response = await fetch(next.url, {
      method: next.form ? "POST" : "GET",
      body: next.form,
      headers: { cookie: jar.header() },
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    jar.store(response);
    const location = response.headers.get("location");
    if (location) {
      await response.body?.cancel();
      const target = new URL(location, next.url);
      if (target.origin !== issuer) return target;
      next = { url: target, form: null };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) {
      throw new Error(`Test OIDC server answered ${response.status} at ${next.url.pathname}`);
    }
    next = interactionForm(html, next.url, accountId);
  }
  throw new Error(`Test OIDC server did not redirect to the client in ${MAX_STEPS} steps`);
}

/** The devInteractions page shows either the login form or the consent form. */
function interactionForm(
  html: string,
  page: URL,
  accountId: string,
): { url: URL; form: URLSearchParams } {
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`Test OIDC server page ${page.pathname} has no form`);
  const url = new URL(action.replaceAll("&amp;", "&"), page);
  if (html.includes('name="prompt" value="login"')) {
    return { url, form: new URLSearchParams({ prompt: "login", login: accountId, password: "x" }) };
  }
  if (html.includes('name="prompt" value="consent"')) {
    return { url, form: new URLSearchParams({ prompt: "consent" }) };
  }
  throw new Error("Test OIDC server showed a page that is neither login nor consent");
}

/** The OAuth client the appliance is registered as in tests, redirecting to `publicUrl`. */
export function applianceClient(publicUrl: string): OidcTestClient {
  return {
    clientId: "securix",
    clientSecret: "s3cret",
    redirectUris: [`${publicUrl}/oauth/callback`],
  };
}

/**
 * A `[providers.<catalog name>]` table pointing a catalog provider at this
 * server as `applianceClient`, and its API at `apiBaseUrl`.
 */
export function providerAt(
  oidc: OidcServer,
  apiBaseUrl: string,
  scopes: string[] = ["openid", "email", "profile"],
): Record<string, unknown> {
  return {
    client_id: "securix",
    client_secret: "s3cret",
    authorization_url: oidc.authorizationUrl,
    token_url: oidc.tokenUrl,
    userinfo_url: oidc.userinfoUrl,
    revocation_url: oidc.revocationUrl,
    api_base_url: apiBaseUrl,
    scopes,
  };
}
