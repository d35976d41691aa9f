import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const authTest = z.object({
  ok: z.literal(true),
  user_id: z.string().min(1),
  user: z.string().nullish(),
});

/**
 * Slack, acting as the user (user tokens, not bot tokens): scopes go in
 * `user_scope`, comma-separated, and the user's token comes back inside
 * `authed_user`. Every Web API answer is HTTP 200 with `ok: false` on failure.
 * Refresh works only when the app has token rotation turned on.
 */
export const slack: ProviderDefinition = {
  name: "slack",
  family: "slack",
  displayName: "Slack",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://slack.com/oauth/v2/authorize",
    tokenUrl: "https://slack.com/api/oauth.v2.access",
    revocation: { style: "bearer", url: "https://slack.com/api/auth.revoke" },
    pkce: false,
    scopeSeparator: ",",
    scopeParam: "user_scope",
    tokenResponse: "slack",
  },
  // auth.test works with any token, whatever scopes it carries.
  identity: {
    url: "https://slack.com/api/auth.test",
    method: "POST",
    jsonBody: null,
    parse: identityFrom(authTest, (r) => ({ id: r.user_id, email: null, name: r.user ?? null })),
  },
  // The official SDKs append `/api/<method>` to their base, like slack.com itself.
  apis: [{ host: "slack", baseUrl: "https://slack.com" }],
  injection: { kind: "bearer" },
  defaultHeaders: {},
  defaultScopes: ["users:read"],
};
