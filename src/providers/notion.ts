import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const botUser = z.object({
  id: z.string().min(1),
  name: z.string().nullish(),
  bot: z.object({
    owner: z.object({
      user: z.object({
        id: z.string().min(1),
        name: z.string().nullish(),
        person: z.object({ email: z.string().nullish() }).nullish(),
      }).nullish(),
    }).nullish(),
  }).nullish(),
});

/** The API version sent when the caller does not name one. */
export const NOTION_VERSION = "2022-06-28";

/**
 * Notion public integrations. No scopes (the user picks pages on Notion's
 * consent screen), client credentials only as HTTP Basic, and `owner=user`
 * on the authorization request. `/v1/users/me` answers with the integration's
 * bot user; the person who connected is its owner.
 */
export const notion: ProviderDefinition = {
  name: "notion",
  family: "notion",
  displayName: "Notion",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://api.notion.com/v1/oauth/authorize",
    tokenUrl: "https://api.notion.com/v1/oauth/token",
    revocation: { style: "rfc7009", url: "https://api.notion.com/v1/oauth/revoke" },
    pkce: false,
    extraAuthorizationParams: { owner: "user" },
    clientAuth: "basic",
  },
  identity: {
    url: "https://api.notion.com/v1/users/me",
    method: "GET",
    jsonBody: null,
    parse: identityFrom(botUser, (bot) => {
      const owner = bot.bot?.owner?.user;
      if (!owner) return { id: bot.id, email: null, name: bot.name ?? null };
      return { id: owner.id, email: owner.person?.email ?? null, name: owner.name ?? null };
    }),
  },
  apis: [{ host: "notion", baseUrl: "https://api.notion.com" }],
  injection: { kind: "bearer" },
  defaultHeaders: { "Notion-Version": NOTION_VERSION },
  defaultScopes: [],
};
