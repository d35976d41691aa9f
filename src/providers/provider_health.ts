import type { ProviderConfig } from "./provider_config.ts";
import { type Probe, reachProviders } from "./provider_reachability.ts";

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
 * On demand health of every enabled provider's endpoints, for the console:
 * the checks `securix doctor` runs (an OIDC issuer must serve a usable
 * discovery document) plus each token endpoint's answer to a refused grant.
 */
export async function providerHealth(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: HealthOptions,
): Promise<ProviderHealth[]> {
  const reached = await reachProviders(configs, { ...options, probeToken: true });
  return reached.map(({ config, discovery, resolved, error, token }): ProviderHealth => {
    const provider = config.name;
    if (discovery?.error) {
      return {
        provider,
        discovery: probeOf(discovery, "fail", discovery.error.message),
        token: null,
        note: "no token endpoint without discovery",
      };
    }
    if (discovery) {
      return {
        provider,
        discovery: probeOf(discovery, "ok", `authorization ${discovery.found.authorizationUrl}`),
        token,
        note: null,
      };
    }
    if (error) return { provider, discovery: null, token: null, note: error.message };
    if (resolved?.form) {
      return {
        provider,
        discovery: null,
        token: null,
        note: "credential form: no OAuth endpoints; each key is checked as it is typed",
      };
    }
    return { provider, discovery: null, token, note: null };
  });
}

function probeOf(
  discovery: { url: string; ms: number },
  status: Probe["status"],
  detail: string,
): Probe {
  return { url: discovery.url, status, detail, ms: discovery.ms };
}
