import type { CheckResult } from "./doctor_checks.ts";
import { discoverOidc, discoveryUrl } from "../providers/oidc_discovery.ts";
import type { ProviderConfig } from "../providers/provider_config.ts";
import { providerHttp } from "../providers/provider_http.ts";
import { resolveProviders } from "../providers/resolve_providers.ts";

export interface ProviderCheckOptions {
  fetch?: typeof fetch;
  /** Per discovery request; short, so an issuer that hangs does not hang doctor. */
  timeoutMs?: number;
}

/**
 * One check per enabled provider: custom OIDC providers must serve a usable
 * discovery document (reachable, naming their issuer, with authorization and
 * token endpoints); every other provider's effective endpoints must parse.
 * Network checks run concurrently, each bounded by `timeoutMs`.
 */
export async function providerEndpointChecks(
  configs: Readonly<Record<string, ProviderConfig>>,
  options: ProviderCheckOptions = {},
): Promise<CheckResult[]> {
  const http = providerHttp({ fetch: options.fetch, timeoutMs: options.timeoutMs ?? 3_000 });
  const enabled = Object.values(configs).filter((c) => c.enabled);
  return await Promise.all(enabled.map(async (config): Promise<CheckResult> => {
    const name = `provider ${config.name}`;
    if (config.kind === "oidc" && config.enabled) {
      const issuer = config.issuer as string;
      try {
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
      } catch (error) {
        return {
          name,
          status: "fail",
          detail: (error as Error).message,
          fix: `check that ${discoveryUrl(issuer)} answers from this machine ` +
            `(curl ${discoveryUrl(issuer)}) and that issuer in [providers.${config.name}] ` +
            "is exactly the issuer the document names; serve keeps retrying it",
        };
      }
    }
    try {
      const { enabled } = await resolveProviders({ [config.name]: config }, { lazy: true });
      const provider = enabled.get(config.name)!;
      const urls = [
        provider.oauth.authorizationUrl,
        provider.oauth.tokenUrl,
        provider.oauth.revocation?.url,
        provider.identity?.url,
        ...provider.apis.map((a) => a.baseUrl),
      ].filter((u): u is string => u !== undefined);
      const broken = urls.filter((u) => !URL.canParse(u));
      if (broken.length > 0) {
        return {
          name,
          status: "fail",
          detail: `endpoints that are not URLs: ${broken.map((u) => JSON.stringify(u)).join(", ")}`,
          fix: `set the *_url keys in [providers.${config.name}] to full https:// URLs`,
        };
      }
      return {
        name,
        status: "ok",
        detail:
          `authorization ${provider.oauth.authorizationUrl}, token ${provider.oauth.tokenUrl}`,
        fix: null,
      };
    } catch (error) {
      return {
        name,
        status: "fail",
        detail: (error as Error).message,
        fix: `correct [providers.${config.name}] in securix.toml`,
      };
    }
  }));
}
