import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const viewer = z.object({
  data: z.object({
    viewer: z.object({
      id: z.string().min(1),
      name: z.string().nullish(),
      email: z.string().nullish(),
    }),
  }),
});

/**
 * Linear: a GraphQL API, so the identity is a `viewer` query. Scopes are
 * comma-separated, client credentials go in the body, and revocation is a
 * POST authenticated with the token being revoked.
 */
export const linear: ProviderDefinition = {
  name: "linear",
  family: "linear",
  displayName: "Linear",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://linear.app/oauth/authorize",
    tokenUrl: "https://api.linear.app/oauth/token",
    revocation: { style: "bearer", url: "https://api.linear.app/oauth/revoke" },
    scopeSeparator: ",",
    clientAuth: "post",
  },
  identity: {
    url: "https://api.linear.app/graphql",
    method: "POST",
    jsonBody: { query: "{ viewer { id name email } }" },
    parse: identityFrom(viewer, (r) => ({
      id: r.data.viewer.id,
      email: r.data.viewer.email ?? null,
      name: r.data.viewer.name ?? null,
    })),
  },
  apis: [{ host: "linear", baseUrl: "https://api.linear.app" }],
  injection: { kind: "bearer" },
  defaultHeaders: {},
  defaultScopes: ["read"],
};
