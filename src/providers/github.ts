import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS, providerId } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const user = z.object({
  id: providerId,
  login: z.string().min(1),
  name: z.string().nullish(),
  email: z.string().nullish(),
});

/**
 * GitHub (OAuth apps and GitHub Apps acting for a user). Quirks handled in the
 * adapter: the token endpoint answers 200 with an `error` field on failure,
 * and reports granted scopes comma-separated. Only GitHub Apps with expiring
 * user tokens return a refresh token; OAuth app tokens do not expire.
 */
export const github: ProviderDefinition = {
  name: "github",
  family: "github",
  displayName: "GitHub",
  // A Rails app: Rack::MethodOverride reads `_method` in a POST's form body.
  methodOverrideField: "_method",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://github.com/login/oauth/authorize",
    tokenUrl: "https://github.com/login/oauth/access_token",
    // Deleting the grant revokes every token of this user for our client.
    revocation: {
      style: "github_grant",
      url: "https://api.github.com/applications/{client_id}/grant",
    },
  },
  identity: {
    url: "https://api.github.com/user",
    method: "GET",
    jsonBody: null,
    parse: identityFrom(user, (u) => ({
      id: u.id,
      email: u.email ?? null,
      name: u.name ?? u.login,
    })),
  },
  apis: [{ host: "github", baseUrl: "https://api.github.com" }],
  injection: { kind: "bearer" },
  defaultHeaders: {},
  defaultScopes: ["read:user"],
};
