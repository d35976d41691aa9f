import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const me = z.object({
  id: z.string().min(1),
  mail: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
  displayName: z.string().nullish(),
});

/**
 * Microsoft identity platform (v2 endpoints, `common` tenant: work, school and
 * personal accounts) for Microsoft Graph. A single-tenant install overrides
 * `authorization_url` and `token_url` with its tenant id. There is no token
 * revocation endpoint; refresh tokens rotate on use.
 */
export const microsoft: ProviderDefinition = {
  name: "microsoft",
  family: "microsoft",
  displayName: "Microsoft",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    tokenUrl: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    // offline_access for a refresh token; User.Read for /me (the identity).
    alwaysScopes: ["offline_access", "User.Read"],
  },
  identity: {
    url: "https://graph.microsoft.com/v1.0/me",
    method: "GET",
    jsonBody: null,
    parse: identityFrom(me, (u) => ({
      id: u.id,
      email: u.mail ?? u.userPrincipalName ?? null,
      name: u.displayName ?? null,
    })),
  },
  apis: [{ host: "microsoft", baseUrl: "https://graph.microsoft.com" }],
  injection: { kind: "bearer" },
  defaultHeaders: {},
  defaultScopes: ["User.Read"],
};
