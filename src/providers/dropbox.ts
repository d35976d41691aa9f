import { z } from "zod";
import { identityFrom, OAUTH_DEFAULTS } from "./provider_definition.ts";
import type { ProviderDefinition } from "./provider_definition.ts";

const account = z.object({
  account_id: z.string().min(1),
  email: z.string().nullish(),
  name: z.object({ display_name: z.string().nullish() }).nullish(),
});

/**
 * Dropbox: RPC calls go to api.dropboxapi.com, uploads and downloads to
 * content.dropboxapi.com, so there are two proxy hosts on one connection.
 */
export const dropbox: ProviderDefinition = {
  name: "dropbox",
  family: "dropbox",
  displayName: "Dropbox",
  strategy: "oauth2",
  oauth: {
    ...OAUTH_DEFAULTS,
    authorizationUrl: "https://www.dropbox.com/oauth2/authorize",
    tokenUrl: "https://api.dropboxapi.com/oauth2/token",
    // Revoking the access token also disables its refresh token.
    revocation: { style: "bearer", url: "https://api.dropboxapi.com/2/auth/token/revoke" },
    // Without it Dropbox issues only a short-lived access token.
    extraAuthorizationParams: { token_access_type: "offline" },
    alwaysScopes: ["account_info.read"],
  },
  // An RPC endpoint without arguments: POST with no body and no content type.
  identity: {
    url: "https://api.dropboxapi.com/2/users/get_current_account",
    method: "POST",
    jsonBody: null,
    parse: identityFrom(account, (a) => ({
      id: a.account_id,
      email: a.email ?? null,
      name: a.name?.display_name ?? null,
    })),
  },
  apis: [
    { host: "dropbox", baseUrl: "https://api.dropboxapi.com" },
    { host: "dropbox-content", baseUrl: "https://content.dropboxapi.com" },
  ],
  injection: { kind: "bearer" },
  defaultHeaders: {},
  defaultScopes: ["files.metadata.read", "files.content.read"],
};
