import type { CheckResult } from "./doctor_checks.ts";
import { discoveryUrl } from "../providers/oidc_discovery.ts";
import type { ProviderConfig } from "../providers/provider_config.ts";
import { type ProviderReach, reachProviders } from "../providers/provider_reachability.ts";

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
  // Doctor shows no timings, so the clock is not asked.
  const reached = await reachProviders(configs, { ...options, now: () => 0, probeToken: false });
  if (reached.length === 0) {
    return [{
      name: "providers",
      status: "warn",
      detail: "none enabled: every consent and proxied call is refused (SX-PROVIDER-DISABLED)",
      fix: "add [providers.<name>] with your OAuth client to securix.toml " +
        "(securix providers list names the catalog); see the README's Providers section",
    }];
  }
  return reached.map(checkOf);
}

function checkOf({ config, discovery, resolved, error }: ProviderReach): CheckResult {
  const name = `provider ${config.name}`;
  if (discovery?.found) {
    const { found } = discovery;
    const issuer = config.issuer as string;
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
  const failure = discovery?.error ?? error;
  if (failure) {
    const issuer = config.issuer as string;
    return {
      name,
      status: "fail",
      detail: failure.message,
      fix: config.kind === "oidc"
        ? `check that ${discoveryUrl(issuer)} answers from this machine ` +
          `(curl ${discoveryUrl(issuer)}) and that issuer in [providers.${config.name}] ` +
          "is exactly the issuer the document names; serve keeps retrying it"
        : `correct [providers.${config.name}] in securix.toml`,
    };
  }
  // Catalog and oauth2 providers: their URLs are validated with the config, nothing to fetch.
  const { oauth, form, strategy, apis } = resolved!;
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
