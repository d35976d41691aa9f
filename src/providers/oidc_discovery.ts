import { z } from "zod";
import type { ClientAuth } from "./provider_definition.ts";
import { isSafeProviderUrl } from "./provider_config.ts";
import { providerErrors } from "./provider_errors.ts";
import { type ProviderHttp, requestJson, where } from "./provider_http.ts";

/** What a custom `kind = "oidc"` provider learns from its issuer's discovery document. */
export interface DiscoveredEndpoints {
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string | null;
  revocationUrl: string | null;
  /** From `code_challenge_methods_supported`; null when the document does not say. */
  pkce: boolean | null;
  /**
   * The method a client with a secret uses; null when the server takes
   * neither secret method (only private_key_jwt, mTLS …), which we do not speak.
   */
  clientAuth: Exclude<ClientAuth, "none"> | null;
  /** The `token_endpoint_auth_methods_supported` list, for error messages. */
  clientAuthMethods: string[];
  /** `scopes_supported`; null when the document does not say. */
  scopesSupported: string[] | null;
}

const endpoint = z.string().refine(isSafeProviderUrl, {
  error: "expected an https:// URL (http:// only for localhost)",
});

// Only the fields we use; everything else in the document is ignored.
const document = z.object({
  issuer: z.string().min(1),
  authorization_endpoint: endpoint,
  token_endpoint: endpoint,
  userinfo_endpoint: endpoint.optional(),
  revocation_endpoint: endpoint.optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  scopes_supported: z.array(z.string()).optional(),
});

/** OpenID Connect Discovery 1.0 §4: drop a trailing slash, then append the well-known path. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

/**
 * Fetches and checks `<issuer>/.well-known/openid-configuration`. Errors name
 * the provider and URL: `serve` retries them with backoff (lazy_discovery.ts),
 * CLI commands and `doctor` report them.
 */
export async function discoverOidc(
  http: ProviderHttp,
  provider: string,
  issuer: string,
): Promise<DiscoveredEndpoints> {
  const url = discoveryUrl(issuer);
  const target = { provider, operation: "discovery" as const };
  const response = await requestJson(http, target, url, {
    method: "GET",
    headers: { accept: "application/json" },
  });
  const bad = (why: string) => providerErrors.badResponse(provider, "discovery", why);
  if (response.status !== 200) throw bad(`${where(url)} answered HTTP ${response.status}`);
  const parsed = document.safeParse(response.json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(
      `${where(url)} is not a usable OpenID configuration (${
        issue.path.join(".")
      }: ${issue.message})`,
    );
  }
  const doc = parsed.data;
  // §4.3: the document must be about the issuer we asked, or tokens could be
  // accepted from a server that merely copied someone's discovery document.
  if (doc.issuer.replace(/\/+$/, "") !== issuer.replace(/\/+$/, "")) {
    throw bad(`${where(url)} names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
  }
  return {
    authorizationUrl: doc.authorization_endpoint,
    tokenUrl: doc.token_endpoint,
    userinfoUrl: doc.userinfo_endpoint ?? null,
    revocationUrl: doc.revocation_endpoint ?? null,
    pkce: doc.code_challenge_methods_supported
      ? doc.code_challenge_methods_supported.includes("S256")
      : null,
    clientAuth: clientAuthFrom(doc.token_endpoint_auth_methods_supported),
    clientAuthMethods: doc.token_endpoint_auth_methods_supported ?? ["client_secret_basic"],
    scopesSupported: doc.scopes_supported ?? null,
  };
}

function clientAuthFrom(methods: string[] | undefined): Exclude<ClientAuth, "none"> | null {
  // Absent means client_secret_basic (OpenID Connect Discovery §3).
  if (!methods || methods.includes("client_secret_basic")) return "basic";
  if (methods.includes("client_secret_post")) return "post";
  return null;
}
