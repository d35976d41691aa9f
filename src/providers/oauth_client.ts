import { CodeChallengeMethod, OAuth2Client } from "arctic";
import { encodeBase64 } from "@oslojs/encoding";
import { providerErrors, type ProviderOperation } from "./provider_errors.ts";
import {
  type ProviderHttp,
  providerHttp,
  type ProviderResponse,
  requestJson,
} from "./provider_http.ts";
import { isReservedAuthorizationParam } from "./provider_config.ts";
import type { ResolvedProvider } from "./resolve_providers.ts";
import { parseTokenResponse, type TokenSet } from "./token_response.ts";

export type { TokenSet } from "./token_response.ts";

export interface OAuthClientOptions {
  /** Used for every token, refresh and revocation request. */
  fetch?: typeof fetch;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Epoch ms, for `expiresAt`. */
  now?: () => number;
}

export interface AuthorizationRequest {
  /** Single-use, bound to the session by the caller. */
  state: string;
  /** RFC 7636 verifier (43–128 characters); sent as an S256 challenge where supported. */
  codeVerifier: string;
  /** What the app asked for; empty means the provider's default scopes. */
  scopes: readonly string[];
  /** Must be registered at the provider: `<public_url>/oauth/callback`. */
  redirectUri: string;
}

export interface CodeExchange {
  code: string;
  codeVerifier: string;
  /** The same redirect URI the authorization request carried (RFC 6749 §4.1.3). */
  redirectUri: string;
}

const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Our OAuth adapter: one per resolved provider. Authorization URLs (and the
 * PKCE S256 challenge) come from arctic's generic OAuth2Client; the token,
 * refresh and revocation requests go through our own small transport,
 * because arctic calls the global fetch with no way to inject it or bound
 * it with a timeout, speaks only client_secret_basic, and cannot read the
 * 200-with-error answers of GitHub and Slack. Provider quirks live here and in
 * token_response.ts, driven by the definition, never by provider name.
 */
export class OAuthClient {
  readonly provider: ResolvedProvider;
  readonly #http: ProviderHttp;
  readonly #now: () => number;

  constructor(provider: ResolvedProvider, options: OAuthClientOptions = {}) {
    this.provider = provider;
    this.#http = providerHttp(options);
    this.#now = options.now ?? Date.now;
  }

  get canRefresh(): boolean {
    return this.provider.oauth.refresh;
  }

  get canRevoke(): boolean {
    return this.provider.oauth.revocation !== null;
  }

  /**
   * Where to send the user. Adds the definition's always-requested scopes and
   * extra parameters; refuses scopes outside the operator's allowlist.
   */
  authorizationUrl(request: AuthorizationRequest): URL {
    const { oauth, client } = this.provider;
    const scopes = this.#scopes(request.scopes);
    const arctic = new OAuth2Client(client.clientId, null, request.redirectUri);
    let url: URL;
    if (oauth.pkce) {
      if (!VERIFIER.test(request.codeVerifier)) {
        throw new TypeError("codeVerifier must be 43-128 characters of [A-Za-z0-9._~-]");
      }
      url = arctic.createAuthorizationURLWithPKCE(
        oauth.authorizationUrl,
        request.state,
        CodeChallengeMethod.S256,
        request.codeVerifier,
        [],
      );
    } else {
      url = arctic.createAuthorizationURL(oauth.authorizationUrl, request.state, []);
    }
    // Scopes are set here, not by arctic: Slack wants `user_scope`, Linear commas.
    if (scopes.length > 0) {
      url.searchParams.set(oauth.scopeParam, scopes.join(oauth.scopeSeparator));
    }
    for (const [name, value] of Object.entries(oauth.extraAuthorizationParams)) {
      // The config refuses these already; here the flow's own values win whatever the source.
      if (isReservedAuthorizationParam(name)) continue;
      url.searchParams.set(name, value);
    }
    return url;
  }

  /** Trades the callback's `code` for tokens. */
  async exchangeCode(exchange: CodeExchange): Promise<TokenSet> {
    const body = new URLSearchParams({
      grant_type: "authorization_code",
      code: exchange.code,
      redirect_uri: exchange.redirectUri,
    });
    if (this.provider.oauth.pkce) body.set("code_verifier", exchange.codeVerifier);
    return await this.#tokenRequest("exchange", body);
  }

  /**
   * A new access token. `refreshToken` in the result is null when the
   * provider did not rotate it: keep using the old one.
   */
  async refresh(refreshToken: string): Promise<TokenSet> {
    if (!this.canRefresh) {
      throw providerErrors.unsupported(
        this.provider.name,
        "refresh",
        "the provider has no refresh",
      );
    }
    const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken });
    return await this.#tokenRequest("refresh", body);
  }

  /**
   * Revokes `token` at the provider. For `rfc7009` providers pass the refresh
   * token when there is one (it ends the whole grant); for `bearer` and
   * `github_grant` providers it must be the access token — see `revokeTokens`.
   */
  async revoke(token: string): Promise<void> {
    const revocation = this.provider.oauth.revocation;
    if (!revocation) {
      throw providerErrors.unsupported(
        this.provider.name,
        "revoke",
        "the provider has no revocation",
      );
    }
    const headers = new Headers({ accept: "application/json", "user-agent": "securix" });
    let init: RequestInit;
    let url = revocation.url;
    if (revocation.style === "rfc7009") {
      const body = new URLSearchParams({ token });
      this.#authenticate(body, headers);
      headers.set("content-type", "application/x-www-form-urlencoded");
      init = { method: "POST", headers, body };
    } else if (revocation.style === "bearer") {
      headers.set("authorization", `Bearer ${token}`);
      init = { method: "POST", headers };
    } else {
      url = url.replace("{client_id}", encodeURIComponent(this.provider.client.clientId));
      headers.set("authorization", `Basic ${this.#basicCredentials()}`);
      headers.set("content-type", "application/json");
      init = { method: "DELETE", headers, body: JSON.stringify({ access_token: token }) };
    }
    const response = await this.#send("revoke", url, init);
    checkRevocation(this.provider.name, response);
  }

  /** Revokes a stored credential with whichever of its tokens this provider's revocation takes. */
  async revokeTokens(tokens: { accessToken: string; refreshToken: string | null }): Promise<void> {
    const style = this.provider.oauth.revocation?.style;
    const token = style === "rfc7009"
      ? tokens.refreshToken ?? tokens.accessToken
      : tokens.accessToken;
    await this.revoke(token);
  }

  #scopes(requested: readonly string[]): string[] {
    const { allowedScopes, defaultScopes, oauth, name } = this.provider;
    const asked = requested.length > 0 ? requested : defaultScopes;
    const refused = asked.filter((s) =>
      !SCOPE_TOKEN.test(s) || s.includes(oauth.scopeSeparator) ||
      (allowedScopes !== null && !allowedScopes.includes(s))
    );
    if (refused.length > 0) throw providerErrors.scopeNotAllowed(name, refused);
    return [...new Set([...asked, ...oauth.alwaysScopes])];
  }

  async #tokenRequest(operation: ProviderOperation, body: URLSearchParams): Promise<TokenSet> {
    const headers = new Headers({
      accept: "application/json",
      "content-type": "application/x-www-form-urlencoded",
      // GitHub refuses requests without a User-Agent.
      "user-agent": "securix",
    });
    this.#authenticate(body, headers);
    const response = await this.#send(operation, this.provider.oauth.tokenUrl, {
      method: "POST",
      headers,
      body,
    });
    return parseTokenResponse(this.provider.oauth.tokenResponse, response, {
      provider: this.provider.name,
      operation,
      now: this.#now(),
    });
  }

  /** RFC 6749 §2.3.1 client authentication, as the provider wants it. */
  #authenticate(body: URLSearchParams, headers: Headers): void {
    const { client, oauth } = this.provider;
    const secret = client.clientSecret;
    if (oauth.clientAuth === "basic" && secret !== null) {
      headers.set("authorization", `Basic ${this.#basicCredentials()}`);
      return;
    }
    body.set("client_id", client.clientId);
    if (oauth.clientAuth === "post" && secret !== null) body.set("client_secret", secret);
  }

  /** Both parts form-urlencoded first, as RFC 6749 §2.3.1 says. */
  #basicCredentials(): string {
    const { clientId, clientSecret } = this.provider.client;
    const pair = `${formEncode(clientId)}:${formEncode(clientSecret ?? "")}`;
    return encodeBase64(new TextEncoder().encode(pair));
  }

  async #send(operation: ProviderOperation, url: string, init: RequestInit) {
    return await requestJson(this.#http, { provider: this.provider.name, operation }, url, init);
  }
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

/**
 * RFC 7009 answers 200 (also for unknown tokens); Slack answers 200 with
 * `ok: false`; GitHub answers 204. An OAuth error in the body wins over the status.
 */
function checkRevocation(provider: string, response: ProviderResponse): void {
  const json = response.json as Record<string, unknown> | undefined;
  const error = json && typeof json === "object" && typeof json.error === "string"
    ? json.error
    : null;
  if (error && (json?.ok === false || response.status >= 400)) {
    throw providerErrors.tokenError(provider, "revoke", error);
  }
  if (response.status < 200 || response.status > 299) {
    throw providerErrors.badResponse(
      provider,
      "revoke",
      `the revocation endpoint answered HTTP ${response.status}`,
    );
  }
  if (json?.ok === false) throw providerErrors.tokenError(provider, "revoke", "unknown_error");
}
