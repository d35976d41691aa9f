import { z } from "zod";
import { catalogNames, catalogProvider } from "./catalog.ts";
import { type DiscoveredEndpoints, discoverOidc } from "./oidc_discovery.ts";
import type {
  ClientCredentials,
  EnabledProviderConfig,
  ProviderConfig,
  ProviderKind,
} from "./provider_config.ts";
import {
  type ApiHost,
  type CredentialInjection,
  identityFrom,
  type IdentitySource,
  OAUTH_DEFAULTS,
  type OAuthSettings,
  type ProviderDefinition,
} from "./provider_definition.ts";
import { providerErrors } from "./provider_errors.ts";
import { providerHttp } from "./provider_http.ts";

/**
 * An enabled provider ready to use: its definition with the operator's
 * overrides applied, plus the client credentials and the scope allowlist.
 * Everything downstream (OAuth adapter, identity, proxy routes) reads this.
 */
export interface ResolvedProvider extends ProviderDefinition {
  kind: ProviderKind;
  /** Every configurable provider runs a consent flow. */
  oauth: OAuthSettings;
  client: ClientCredentials;
  /** Scopes the operator allows; null allows any. */
  allowedScopes: readonly string[] | null;
  /** `kind = "oidc"`: where discovery starts; null otherwise. */
  issuer: string | null;
}

export interface ResolvedProviders {
  /** Enabled providers by config name, in config order. */
  enabled: ReadonlyMap<string, ResolvedProvider>;
  /** Every name the catalog knows plus every configured name, enabled or not. */
  known: ReadonlySet<string>;
  /**
   * With `lazy`: the OIDC providers not discovered yet, each with the call that
   * discovers it and returns its final form. Their entry in `enabled` is a
   * placeholder whose OAuth endpoints are empty: good for names, scopes and
   * proxy hosts, not for talking to the provider.
   */
  deferred: ReadonlyMap<string, () => Promise<ResolvedProvider>>;
}

export interface ResolveOptions {
  /** For OIDC discovery. */
  fetch?: typeof fetch;
  timeoutMs?: number;
  /**
   * Defer OIDC discovery to first use (`serve`): one issuer that is down must
   * not keep every other provider from serving. Default false (CLI commands
   * that need a provider now).
   */
  lazy?: boolean;
}

/**
 * Turns the `[providers]` config into resolved providers. Configuration
 * mistakes (two providers claiming one proxy host) reject the whole call.
 * Custom OIDC providers are discovered here, concurrently, and a discovery
 * failure rejects too, unless `lazy` defers discovery to `deferred`.
 */
export async function resolveProviders(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: ResolveOptions = {},
): Promise<ResolvedProviders> {
  const http = providerHttp(options);
  const enabled = Object.values(configs).filter((c): c is EnabledProviderConfig => c.enabled);
  const deferred = new Map<string, () => Promise<ResolvedProvider>>();
  const resolved = await Promise.all(enabled.map(async (config) => {
    if (config.kind === "catalog") return fromCatalog(config);
    if (config.kind === "form") return fromForm(config);
    if (config.kind !== "oidc") return custom(config, null);
    const discover = async () =>
      custom(config, await discoverOidc(http, config.name, config.issuer as string));
    if (!options.lazy) return await discover();
    deferred.set(config.name, discover);
    return custom(config, null);
  }));
  checkProxyHosts(resolved);
  return {
    enabled: new Map(resolved.map((p) => [p.name, p])),
    known: new Set([...catalogNames(), ...Object.keys(configs)]),
    deferred,
  };
}

function fromCatalog(config: EnabledProviderConfig): ResolvedProvider {
  const entry = catalogProvider(config.name);
  if (!entry?.oauth) throw providerErrors.config(config.name, "not an OAuth catalog provider");
  const base = config.baseUrl && entry.selfManaged ? entry.selfManaged(config.baseUrl) : entry;
  const oauth = base.oauth as OAuthSettings;
  const { urls } = config;
  return {
    ...base,
    kind: "catalog",
    displayName: config.displayName ?? base.displayName,
    oauth: {
      ...oauth,
      authorizationUrl: urls.authorization ?? oauth.authorizationUrl,
      tokenUrl: urls.token ?? oauth.tokenUrl,
      revocation: urls.revocation
        ? { style: oauth.revocation?.style ?? "rfc7009", url: urls.revocation }
        : oauth.revocation,
      extraAuthorizationParams: {
        ...oauth.extraAuthorizationParams,
        ...config.authorizationParams,
      },
    },
    identity: base.identity && urls.userinfo
      ? { ...base.identity, url: urls.userinfo }
      : base.identity,
    apis: withWebSocket(
      urls.apiBase
        ? [{ ...base.apis[0], baseUrl: urls.apiBase }, ...base.apis.slice(1)]
        : base.apis,
      config.websocket,
    ),
    defaultScopes: effectiveDefaults(config, base.defaultScopes),
    client: config.client,
    allowedScopes: config.scopes,
    issuer: null,
  };
}

function custom(
  config: EnabledProviderConfig,
  discovered: DiscoveredEndpoints | null,
): ResolvedProvider {
  const { urls } = config;
  const hasSecret = config.client.clientSecret !== null;
  if (hasSecret && discovered && discovered.clientAuth === null) {
    throw providerErrors.config(
      config.name,
      `the issuer's token endpoint accepts neither client_secret_basic nor client_secret_post (${
        discovered.clientAuthMethods.join(", ")
      })`,
    );
  }
  const revocationUrl = urls.revocation ?? discovered?.revocationUrl ?? null;
  const userinfoUrl = urls.userinfo ?? discovered?.userinfoUrl ?? null;
  const isOidc = config.kind === "oidc";
  const offline = wantsOfflineAccess(config, discovered);
  return {
    name: config.name,
    family: "custom",
    kind: config.kind,
    displayName: config.displayName ?? config.name,
    strategy: "oauth2",
    oauth: {
      ...OAUTH_DEFAULTS,
      // Empty only in a lazy placeholder, which never talks to the provider.
      authorizationUrl: urls.authorization ?? discovered?.authorizationUrl ?? "",
      tokenUrl: urls.token ?? discovered?.tokenUrl ?? "",
      revocation: revocationUrl ? { style: "rfc7009", url: revocationUrl } : null,
      pkce: config.pkce ?? discovered?.pkce ?? true,
      alwaysScopes: isOidc ? (offline ? ["openid", "offline_access"] : ["openid"]) : [],
      clientAuth: hasSecret ? discovered?.clientAuth ?? "basic" : "none",
      // OIDC Core §11: offline_access is honoured only with prompt=consent.
      extraAuthorizationParams: {
        ...(offline ? { prompt: "consent" } : {}),
        ...config.authorizationParams,
      },
    },
    identity: userinfoUrl ? userinfoIdentity(userinfoUrl) : null,
    apis: [{ host: config.name, baseUrl: urls.apiBase as string, websocket: config.websocket }],
    injection: { kind: "bearer" },
    defaultHeaders: {},
    defaultScopes: effectiveDefaults(config, isOidc ? ["email", "profile"] : []),
    operations: config.operations,
    client: config.client,
    allowedScopes: config.scopes,
    issuer: config.issuer,
  };
}

/**
 * A provider consented with the credential form. Its `oauth` settings are
 * inert (no endpoints, no refresh): the flows and the wiring look at `form`
 * and `strategy` first and never reach them.
 */
function fromForm(config: EnabledProviderConfig): ResolvedProvider {
  const form = config.form!;
  return {
    name: config.name,
    family: "custom",
    kind: "form",
    displayName: config.displayName ?? config.name,
    strategy: form.strategy,
    oauth: { ...OAUTH_DEFAULTS, authorizationUrl: "", tokenUrl: "", refresh: false },
    form: {
      schema: form.schema,
      testRequest: form.testRequest,
      credentialField: form.credentialField,
    },
    identity: null,
    apis: [{
      host: config.name,
      baseUrl: config.urls.apiBase as string,
      websocket: config.websocket,
    }],
    injection: formInjection(config),
    defaultHeaders: {},
    defaultScopes: [],
    operations: config.operations,
    client: config.client,
    allowedScopes: null,
    issuer: null,
  };
}

function formInjection(config: EnabledProviderConfig): CredentialInjection {
  const form = config.form!;
  switch (form.strategy) {
    case "header":
      return { kind: "header", name: form.headerName, template: `${form.valuePrefix}{token}` };
    case "query_param":
      return { kind: "query", name: form.paramName as string, template: "{token}" };
    case "basic_auth":
      return { kind: "basic" };
    case "aws_sigv4":
      return {
        kind: "aws_sigv4",
        region: form.region as string,
        service: form.service as string,
      };
  }
}

/**
 * A refresh token for a custom OIDC provider: `offline_access` when the issuer
 * advertises it and the operator's allowlist (if any) lists it. Without it,
 * spec-following issuers (Keycloak, oidc-provider …) issue none, and the
 * connection dies with its first access token.
 */
function wantsOfflineAccess(
  config: EnabledProviderConfig,
  discovered: DiscoveredEndpoints | null,
): boolean {
  if (!discovered?.scopesSupported?.includes("offline_access")) return false;
  return config.scopes === null || config.scopes.includes("offline_access");
}

/**
 * Scopes for a session that names none: the operator's `default_scopes`;
 * else the definition's defaults that the allowlist permits; else, when the
 * allowlist permits none of those, the allowlist itself.
 */
function effectiveDefaults(config: EnabledProviderConfig, defaults: readonly string[]): string[] {
  if (config.defaultScopes) return config.defaultScopes;
  const allowed = config.scopes;
  if (!allowed) return [...defaults];
  const permitted = defaults.filter((s) => allowed.includes(s));
  return permitted.length > 0 ? permitted : [...allowed];
}

const userinfo = z.object({
  sub: z.string().min(1).optional(),
  id: z.union([z.string().min(1), z.number()]).optional(),
  email: z.string().nullish(),
  name: z.string().nullish(),
  preferred_username: z.string().nullish(),
}).refine((u) => u.sub !== undefined || u.id !== undefined);

/** OIDC userinfo (`sub`), or a plain OAuth2 server's `/me`-style answer (`id`). */
function userinfoIdentity(url: string): IdentitySource {
  return {
    url,
    method: "GET",
    jsonBody: null,
    parse: identityFrom(userinfo, (u) => ({
      id: String(u.sub ?? u.id),
      email: u.email ?? null,
      name: u.name ?? u.preferred_username ?? null,
    })),
  };
}

/** Two providers on one proxy host would make routing ambiguous. */
function checkProxyHosts(providers: ResolvedProvider[]): void {
  const owner = new Map<string, string>();
  for (const provider of providers) {
    for (const api of provider.apis) {
      const taken = owner.get(api.host);
      if (taken && taken !== provider.name) {
        throw providerErrors.config(
          provider.name,
          `its proxy host "${api.host}" is already used by provider "${taken}"; rename one of them`,
        );
      }
      owner.set(api.host, provider.name);
    }
  }
}

/** `websocket = true` in the config opens the provider's main API host to upgrades. */
function withWebSocket(apis: readonly ApiHost[], websocket: boolean): readonly ApiHost[] {
  if (!websocket) return apis;
  return [{ ...apis[0], websocket: true }, ...apis.slice(1)];
}
