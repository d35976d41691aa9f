import type { AccountIdentity } from "./provider_definition.ts";
import { providerErrors } from "./provider_errors.ts";
import { providerHttp, requestJson, where } from "./provider_http.ts";
import type { ResolvedProvider } from "./resolve_providers.ts";

export type { AccountIdentity } from "./provider_definition.ts";

export interface IdentityOptions {
  fetch?: typeof fetch;
  /** Default 10 s. */
  timeoutMs?: number;
}

/**
 * Who connected: one call to the provider's identity endpoint (OIDC
 * userinfo, GitHub `/user`, Graph `/me`, Slack `auth.test`, …) with the new
 * access token. Returns null when the provider has no identity endpoint;
 * throws `SX-PROVIDER-*` errors when the call fails or names no account.
 */
export async function fetchAccountIdentity(
  provider: ResolvedProvider,
  accessToken: string,
  options: IdentityOptions = {},
): Promise<AccountIdentity | null> {
  const source = provider.identity;
  if (!source) return null;
  const headers = new Headers({
    accept: "application/json",
    authorization: `Bearer ${accessToken}`,
    // GitHub refuses requests without one.
    "user-agent": "securix",
  });
  // The same version headers the proxy adds (Notion answers 400 without one).
  for (const [name, value] of Object.entries(provider.defaultHeaders)) headers.set(name, value);
  let body: string | undefined;
  if (source.jsonBody !== null) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(source.jsonBody);
  }
  const target = { provider: provider.name, operation: "identity" as const };
  const response = await requestJson(providerHttp(options), target, source.url, {
    method: source.method,
    headers,
    body,
  });
  if (response.status < 200 || response.status > 299) {
    throw providerErrors.badResponse(
      provider.name,
      "identity",
      `${where(source.url)} answered HTTP ${response.status}`,
    );
  }
  const identity = source.parse(response.json);
  if (!identity) {
    throw providerErrors.badResponse(
      provider.name,
      "identity",
      `${where(source.url)} did not name an account`,
    );
  }
  return identity;
}
