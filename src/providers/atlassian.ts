import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const me = z.object({
  account_id: z.string().min(1),
  email: z.string().nullish(),
  name: z.string().nullish(),
});

/**
 * Atlassian Cloud (Jira, Confluence) through OAuth 2.0 (3LO). Client
 * credentials go in the token request body; refresh tokens rotate; there is
 * no revocation endpoint (the user removes access in their account settings).
 * Product APIs sit under api.atlassian.com/ex/<product>/<cloudId>/….
 */
export const atlassian: ProviderDefinition = {
  name: "atlassian",
  family: "atlassian",
  displayName: "Atlassian",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://auth.atlassian.com/authorize",
    tokenUrl: "https://auth.atlassian.com/oauth/token",
    pkce: false,
    // audience is required; prompt=consent is what Atlassian documents for 3LO.
    extraAuthorizationParams: { audience: "api.atlassian.com", prompt: "consent" },
    // offline_access for a refresh token; read:me for /me (the identity).
    alwaysScopes: ["offline_access", "read:me"],
    clientAuth: "post",
  },
  identity: {
    url: "https://api.atlassian.com/me",
    method: "GET",
    jsonBody: null,
    parse: identityFrom(me, (u) => ({
      id: u.account_id,
      email: u.email ?? null,
      name: u.name ?? null,
    })),
  },
  apis: [{ host: "atlassian", baseUrl: "https://api.atlassian.com" }],
  injection: { kind: "bearer" },
  defaultHeaders: {},
  defaultScopes: ["read:jira-work"],
};
