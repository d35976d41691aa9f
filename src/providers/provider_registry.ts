import { operationMapFor } from "./operation_maps.ts";
import type { Refresher } from "../connections/credential_source.ts";
import type { FlowProvider, ProviderRegistry } from "../flows/flow_provider.ts";
import type { ProxyRoute, RouteTable } from "../proxy/proxy_route.ts";
import { fetchAccountIdentity } from "./account_identity.ts";
import { credentialInjector } from "./credential_injection.ts";
import { checkCredential } from "./credential_check.ts";
import type { UpstreamTransport } from "../proxy/upstream_transport.ts";
import { fetchTransport } from "../proxy/fetch_transport.ts";
import type { CredentialFormProvider } from "../flows/flow_provider.ts";
import { OAuthClient } from "./oauth_client.ts";
import { type BackoffOptions, LazyDiscovery } from "./lazy_discovery.ts";
import { isInvalidGrant, providerErrors } from "./provider_errors.ts";
import type { ResolvedProvider, ResolvedProviders } from "./resolve_providers.ts";

export interface ProviderWiringOptions {
  fetch?: typeof fetch;
  /** Per provider request; default 10 s. */
  timeoutMs?: number;
  now?: () => number;
  /** Retries of deferred OIDC discovery (default 1 s doubling to 5 min) and failure reports. */
  discovery?: BackoffOptions;
  /**
   * How the credential form's test request reaches the provider: the proxy's
   * own transport, so what is tested is what the proxy will send. Default: fetch.
   */
  upstream?: UpstreamTransport;
}

/** The resolved providers adapted to what flows, connections and the proxy consume. */
export interface ProviderWiring {
  /** For the consent flows and revocation (`FlowDeps.providers`, `RevokeDeps.providers`). */
  registry: ProviderRegistry;
  /** For `CredentialSource`: null for providers without refresh. */
  refresherFor: (provider: string) => Refresher | null;
  /** For the proxy: every proxy host of every enabled provider. */
  routes: RouteTable;
  /** Starts the discovery of every deferred OIDC provider; resolves when each has had one try. */
  warmUp(): Promise<void>;
}

/**
 * Builds, once at startup, every view of the providers the rest of the
 * appliance needs, so no other domain constructs OAuth clients or reads
 * provider definitions itself. A deferred OIDC provider gets its client on
 * first use, after discovery (see LazyDiscovery); until then every view of it
 * answers SX-PROVIDER-UNAVAILABLE.
 */
export function wireProviders(
  providers: ResolvedProviders,
  options: ProviderWiringOptions = {},
): ProviderWiring {
  const handles = new Map<string, ClientHandle>();
  for (const [name, provider] of providers.enabled) {
    const discover = providers.deferred?.get(name);
    handles.set(
      name,
      discover ? lazyHandle(provider, discover, options) : readyHandle(provider, options),
    );
  }
  const routes = proxyRoutes(providers, handles, options);
  const enabled = new Map(
    [...handles].map(([name, h]) => [name, flowProvider(h, options, routes)]),
  );
  const refreshers = new Map(
    [...handles].filter(([, h]) => h.placeholder.oauth.refresh).map(([name, h]) => [
      name,
      refresher(h),
    ]),
  );
  const lazy = [...handles.values()].filter((h) => h.warm !== null);
  return {
    registry: { enabled, known: providers.known },
    refresherFor: (name) => refreshers.get(name) ?? null,
    routes,
    warmUp: async () => {
      await Promise.all(lazy.map((h) => h.warm?.()));
    },
  };
}

/** One provider's OAuth client: there from the start, or once its issuer is discovered. */
interface ClientHandle {
  /** What is known without discovery: names, scopes, refresh, proxy hosts. */
  placeholder: ResolvedProvider;
  /** The client, or SX-PROVIDER-UNAVAILABLE while discovery fails. */
  client(): Promise<OAuthClient>;
  /** The client if it exists already. */
  peek(): OAuthClient | null;
  /** Deferred providers only: one discovery attempt that never throws. */
  warm: (() => Promise<void>) | null;
}

function readyHandle(provider: ResolvedProvider, options: ProviderWiringOptions): ClientHandle {
  const client = new OAuthClient(provider, options);
  return {
    placeholder: provider,
    client: () => Promise.resolve(client),
    peek: () => client,
    warm: null,
  };
}

function lazyHandle(
  placeholder: ResolvedProvider,
  discover: () => Promise<ResolvedProvider>,
  options: ProviderWiringOptions,
): ClientHandle {
  const lazy = new LazyDiscovery(
    placeholder.name,
    async () => new OAuthClient(await discover(), options),
    { now: options.now, ...options.discovery },
  );
  return {
    placeholder,
    client: () => lazy.get(),
    peek: () => lazy.peek(),
    warm: () => lazy.warm(),
  };
}

function flowProvider(
  handle: ClientHandle,
  options: ProviderWiringOptions,
  routes: RouteTable,
): FlowProvider {
  const { placeholder } = handle;
  const form = formProvider(placeholder, options, routes);
  const revoke = async (tokens: { accessToken: string; refreshToken: string | null }) => {
    const client = await handle.client();
    if (!client.canRevoke) {
      throw providerErrors.unsupported(
        client.provider.name,
        "revoke",
        "the provider has no revocation",
      );
    }
    await client.revokeTokens(tokens);
  };
  return {
    name: placeholder.name,
    displayName: placeholder.displayName,
    form,
    allowedScopes: placeholder.allowedScopes,
    defaultScopes: placeholder.defaultScopes,
    // Before discovery the issuer's origin is the best guess (and usually right).
    get authorizationOrigin() {
      const url = handle.peek()?.provider.oauth.authorizationUrl ?? placeholder.issuer ?? "";
      return URL.canParse(url) ? new URL(url).origin : "null";
    },
    authorizationUrl: async (input) => (await handle.client()).authorizationUrl(input),
    exchangeCode: async (input) => await (await handle.client()).exchangeCode(input),
    fetchAccount: async (accessToken) =>
      await fetchAccountIdentity((await handle.client()).provider, accessToken, options),
    // Unknown before discovery: offer it, and let the call say SX-PROVIDER-UNSUPPORTED.
    get revoke() {
      if (form) return null;
      const client = handle.peek();
      return client && !client.canRevoke ? null : revoke;
    },
  };
}

/** The credential form of a non-OAuth provider; its test goes out like a proxied call. */
function formProvider(
  provider: ResolvedProvider,
  options: ProviderWiringOptions,
  routes: RouteTable,
): CredentialFormProvider | null {
  const settings = provider.form;
  if (!settings || provider.strategy === "oauth2") return null;
  const route = routes.get(provider.apis[0].host);
  if (!route) return null;
  const deps = {
    upstream: options.upstream ?? fetchTransport(options.fetch ?? globalThis.fetch),
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  return {
    strategy: provider.strategy,
    schema: settings.schema,
    check: (credential) => checkCredential(deps, route, settings.testRequest, credential),
  };
}

function refresher(handle: ClientHandle): Refresher {
  return {
    refresh: async (refreshToken) => await (await handle.client()).refresh(refreshToken),
    isInvalidGrant,
  };
}

/** `<host>.api.<base_domain>` → route, for every API host of every enabled provider. */
export function proxyRoutes(
  providers: ResolvedProviders,
  handles?: ReadonlyMap<string, ClientHandle>,
  options: Pick<ProviderWiringOptions, "now"> = {},
): RouteTable {
  const routes = new Map<string, ProxyRoute>();
  for (const provider of providers.enabled.values()) {
    const inject = credentialInjector(provider.injection, provider.defaultHeaders, {
      provider: provider.name,
      credentialField: provider.form?.credentialField ?? null,
      now: options.now,
    });
    const handle = handles?.get(provider.name);
    // Only deferred providers need a check, and only until their discovery succeeds.
    const ready = handle?.warm
      ? () => handle.peek() ? null : handle.client().then(() => {})
      : undefined;
    const operations = operationMapFor(provider.name, provider.operations ?? []);
    for (const api of provider.apis) {
      routes.set(api.host, {
        host: api.host,
        provider: provider.name,
        baseUrl: new URL(api.baseUrl),
        inject,
        ...(provider.injection.kind === "aws_sigv4" ? { signsPayload: true } : {}),
        ...(provider.injection.kind === "query"
          ? { credentialParam: provider.injection.name }
          : {}),
        websocket: api.websocket ?? false,
        // Custom providers share no family: a `custom.*` target must not reach them all.
        family: provider.family === "custom" ? provider.name : provider.family,
        operations,
        ...(ready ? { ready } : {}),
        ...(provider.methodOverrideHeader ? { methodOverride: provider.methodOverrideHeader } : {}),
        ...(provider.methodOverrideField
          ? { methodOverrideField: provider.methodOverrideField }
          : {}),
        ...(provider.encodedSlashes ? { encodedSlashes: true } : {}),
      });
    }
  }
  return routes;
}
