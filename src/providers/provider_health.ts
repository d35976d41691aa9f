import { discoverOidc, discoveryUrl } from "./oidc_discovery.ts";
import type { EnabledProviderConfig, ProviderConfig } from "./provider_config.ts";
import { providerHttp } from "./provider_http.ts";
import { resolveProviders } from "./resolve_providers.ts";

/** One endpoint probed: whether it answered, how, and how long it took. */
export interface Probe {
  url: string;
  status: "ok" | "fail";
  detail: string;
  ms: number;
}

export interface ProviderHealth {
  provider: string;
  /** OIDC providers only. */
  discovery: Probe | null;
  /** null for credential-form providers (no token endpoint) or when discovery failed. */
  token: Probe | null;
  /** Why there is no token probe, or a configuration error. */
  note: string | null;
}

export interface HealthOptions {
  fetch?: typeof fetch;
  /** Per request: an endpoint that hangs must not hang the page. */
  timeoutMs?: number;
  now: () => number;
}

/**
 * On demand health of every enabled provider's endpoints, as `securix doctor`
 * checks discovery: an OIDC issuer must serve a usable discovery document;
 * every token endpoint must answer an (intentionally invalid) token request
 * with an HTTP status below 500 — a 400 `invalid_grant`/`unsupported_grant_type`
 * is a live endpoint. All providers concurrently, each request bounded.
 */
export async function providerHealth(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: HealthOptions,
): Promise<ProviderHealth[]> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const fetcher = options.fetch ?? fetch;
  const http = providerHttp({ fetch: fetcher, timeoutMs });
  const enabled = Object.values(configs).filter((c): c is EnabledProviderConfig => c.enabled);
  return await Promise.all(enabled.map(async (config): Promise<ProviderHealth> => {
    const provider = config.name;
    let tokenUrl: string;
    let discovery: Probe | null = null;
    if (config.kind === "oidc") {
      const url = discoveryUrl(config.issuer as string);
      const started = options.now();
      try {
        const found = await discoverOidc(http, provider, config.issuer as string);
        tokenUrl = found.tokenUrl;
        discovery = {
          url,
          status: "ok",
          detail: `authorization ${found.authorizationUrl}`,
          ms: options.now() - started,
        };
      } catch (error) {
        discovery = {
          url,
          status: "fail",
          detail: (error as Error).message,
          ms: options.now() - started,
        };
        return { provider, discovery, token: null, note: "no token endpoint without discovery" };
      }
    } else {
      try {
        const { enabled: resolved } = await resolveProviders({ [provider]: config });
        const one = resolved.get(provider)!;
        if (one.form) {
          return {
            provider,
            discovery: null,
            token: null,
            note: "credential form: no OAuth endpoints; each key is checked as it is typed",
          };
        }
        tokenUrl = one.oauth.tokenUrl;
      } catch (error) {
        return { provider, discovery: null, token: null, note: (error as Error).message };
      }
    }
    return {
      provider,
      discovery,
      token: await probeToken(fetcher, tokenUrl, timeoutMs, options.now),
      note: null,
    };
  }));
}

async function probeToken(
  fetcher: typeof fetch,
  url: string,
  timeoutMs: number,
  now: () => number,
): Promise<Probe> {
  const started = now();
  try {
    const response = await fetcher(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      // No client credentials and no grant: the endpoint refuses it, which is all we ask.
      body: "grant_type=securix_health_check",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const ms = now() - started;
    return response.status < 500
      ? { url, status: "ok", detail: `answered ${response.status}`, ms }
      : { url, status: "fail", detail: `answered ${response.status}`, ms };
  } catch (error) {
    const e = error as Error;
    // Sized for a table cell; the appliance log is not involved.
    const detail = e.name === "TimeoutError"
      ? `no answer within ${timeoutMs} ms`
      : `unreachable: ${e.message.slice(0, 200)}`;
    return { url, status: "fail", detail, ms: now() - started };
  }
}
