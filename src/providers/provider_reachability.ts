import { type DiscoveredEndpoints, discoverOidc, discoveryUrl } from "./oidc_discovery.ts";
import type { EnabledProviderConfig, ProviderConfig } from "./provider_config.ts";
import { fetchWithDeadline, type ProviderHttp, providerHttp, timedOut } from "./provider_http.ts";
import { type ResolvedProvider, resolveProviders } from "./resolve_providers.ts";

/**
 * The provider reachability checks behind `securix doctor` and the console's
 * endpoint health: what each enabled provider's endpoints are and whether
 * they answer. Callers only word the outcome for their own page or terminal.
 */

/** One endpoint probed: whether it answered, how, and how long it took. */
export interface Probe {
  url: string;
  status: "ok" | "fail";
  detail: string;
  ms: number;
}

/** A custom OIDC provider's discovery request: what it found, or why it failed. */
export type DiscoveryOutcome =
  & { url: string; ms: number }
  & ({ found: DiscoveredEndpoints; error: null } | { found: null; error: Error });

export interface ProviderReach {
  config: EnabledProviderConfig;
  /** `kind = "oidc"` only. */
  discovery: DiscoveryOutcome | null;
  /** Any other kind, as the appliance serves it; null when it does not resolve (see `error`). */
  resolved: ResolvedProvider | null;
  /** Why a non-OIDC provider does not resolve (a configuration error). */
  error: Error | null;
  /**
   * The token endpoint's answer to a refused grant, when `probeToken` asked
   * for it and there is one (not for credential forms, nor without discovery).
   */
  token: Probe | null;
}

export interface ReachOptions {
  fetch?: typeof fetch;
  /** Per request: an endpoint that hangs must not hang doctor or the page. */
  timeoutMs?: number;
  /** For the `ms` of each request. */
  now: () => number;
  /** Also POST a refused grant to each token endpoint (the console asks; doctor does not). */
  probeToken: boolean;
}

export const REACH_TIMEOUT_MS = 3_000;

/** Every enabled provider concurrently, in config order; each request bounded by `timeoutMs`. */
export async function reachProviders(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: ReachOptions,
): Promise<ProviderReach[]> {
  const http = providerHttp({
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? REACH_TIMEOUT_MS,
  });
  const enabled = Object.values(configs).filter((c): c is EnabledProviderConfig => c.enabled);
  return await Promise.all(enabled.map((config) => reachOne(http, config, options)));
}

async function reachOne(
  http: ProviderHttp,
  config: EnabledProviderConfig,
  options: ReachOptions,
): Promise<ProviderReach> {
  const reach: ProviderReach = {
    config,
    discovery: null,
    resolved: null,
    error: null,
    token: null,
  };
  let tokenUrl: string | null = null;
  if (config.kind === "oidc") {
    const issuer = config.issuer as string;
    const url = discoveryUrl(issuer);
    const started = options.now();
    try {
      const found = await discoverOidc(http, config.name, issuer);
      reach.discovery = { url, ms: options.now() - started, found, error: null };
      tokenUrl = found.tokenUrl;
    } catch (error) {
      reach.discovery = { url, ms: options.now() - started, found: null, error: error as Error };
    }
  } else {
    try {
      const { enabled } = await resolveProviders({ [config.name]: config });
      reach.resolved = enabled.get(config.name)!;
      // A credential form has no OAuth endpoints: each key is checked as it is typed.
      if (!reach.resolved.form) tokenUrl = reach.resolved.oauth.tokenUrl;
    } catch (error) {
      reach.error = error as Error;
    }
  }
  if (options.probeToken && tokenUrl !== null) {
    reach.token = await probeToken(http, tokenUrl, options.now);
  }
  return reach;
}

/**
 * A token endpoint is alive when it answers an (intentionally invalid) token
 * request below 500: a 400 `invalid_grant`/`unsupported_grant_type` is a live
 * endpoint.
 */
async function probeToken(http: ProviderHttp, url: string, now: () => number): Promise<Probe> {
  const started = now();
  try {
    const response = await fetchWithDeadline(http, url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      // No client credentials and no grant: the endpoint refuses it, which is all we ask.
      body: "grant_type=securix_health_check",
    });
    await response.body?.cancel();
    const ms = now() - started;
    const detail = `answered ${response.status}`;
    return { url, status: response.status < 500 ? "ok" : "fail", detail, ms };
  } catch (error) {
    // Sized for a table cell. The request carried no secret, so its error may be quoted.
    const detail = timedOut(error)
      ? `no answer within ${http.timeoutMs} ms`
      : `unreachable: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}`;
    return { url, status: "fail", detail, ms: now() - started };
  }
}
