import type { CheckResult } from "./doctor_checks.ts";
import { discoverOidc, discoveryUrl } from "../providers/oidc_discovery.ts";
import type { EnabledProviderConfig, ProviderConfig } from "../providers/provider_config.ts";
import { type ProviderHttp, providerHttp } from "../providers/provider_http.ts";
import { resolveProviders } from "../providers/resolve_providers.ts";

export interface ProviderCheckOptions {
  fetch?: typeof fetch;
  /** Per discovery request; short, so an issuer that hangs does not hang doctor. */
  timeoutMs?: number;
}

/**
 * One check per enabled provider: custom OIDC providers must serve a usable
 * discovery document (reachable, naming their issuer, with authorization and
 * token endpoints); every other provider must resolve, and its effective
 * endpoints are shown. Network checks run concurrently, each bounded by
 * `timeoutMs`.
 */
export async function providerEndpointChecks(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: ProviderCheckOptions = {},
): Promise<CheckResult[]> {
  const http = providerHttp({ fetch: options.fetch, timeoutMs: options.timeoutMs ?? 3_000 });
  const enabled = Object.values(configs).filter((c): c is EnabledProviderConfig => c.enabled);
  return await Promise.all(enabled.map(async (config): Promise<CheckResult> => {
    const name = `provider ${config.name}`;
    try {
      return config.kind === "oidc"
        ? await issuerCheck(http, name, config)
        : await endpointsCheck(name, config);
    } catch (error) {
      const issuer = config.issuer as string;
      return {
        name,
        status: "fail",
        detail: (error as Error).message,
        fix: config.kind === "oidc"
          ? `check that ${discoveryUrl(issuer)} answers from this machine ` +
            `(curl ${discoveryUrl(issuer)}) and that issuer in [providers.${config.name}] ` +
            "is exactly the issuer the document names; serve keeps retrying it"
          : `correct [providers.${config.name}] in securix.toml`,
      };
    }
  }));
}

async function issuerCheck(
  http: ProviderHttp,
  name: string,
  config: EnabledProviderConfig,
): Promise<CheckResult> {
  const issuer = config.issuer as string;
  const found = await discoverOidc(http, config.name, issuer);
  const offline = found.scopesSupported?.includes("offline_access") &&
    config.scopes !== null && !config.scopes.includes("offline_access");
  if (offline) {
    return {
      name,
      status: "warn",
      detail: `${issuer} offers offline_access, but the scopes allowlist leaves it out: ` +
        "connections get no refresh token and stop working when the access token expires",
      fix: `add "offline_access" to scopes in [providers.${config.name}]`,
    };
  }
  return {
    name,
    status: "ok",
    detail: `${issuer}: authorization ${found.authorizationUrl}, token ${found.tokenUrl}`,
    fix: null,
  };
}

/** Catalog and oauth2 providers: their URLs are validated with the config, nothing to fetch. */
async function endpointsCheck(name: string, config: EnabledProviderConfig): Promise<CheckResult> {
  const { enabled } = await resolveProviders({ [config.name]: config });
  const { oauth, form, strategy, apis } = enabled.get(config.name)!;
  if (form) {
    // No OAuth endpoints: the credential form's test request checks each key as it is typed.
    const test = form.testRequest;
    return {
      name,
      status: "ok",
      detail:
        `${strategy} credential form; API ${apis[0].baseUrl}, test ${test.method} ${test.path} ` +
        `expects ${test.expectStatus}`,
      fix: null,
    };
  }
  return {
    name,
    status: "ok",
    detail: `authorization ${oauth.authorizationUrl}, token ${oauth.tokenUrl}`,
    fix: null,
  };
}
