import { z } from "zod";
import {
  identityFrom,
  OAUTH_DEFAULTS,
  type OAuthSettings,
  type ProviderDefinition,
} from "./provider_definition.ts";

/**
 * Google: one OAuth client, several products. Each product is its own
 * provider (own proxy host, own scopes, own connection) so an app can hold
 * Gmail without Drive; they share this family's endpoints.
 */

const oauth: OAuthSettings = {
  ...OAUTH_DEFAULTS,
  authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
  tokenUrl: "https://oauth2.googleapis.com/token",
  revocation: { style: "rfc7009", url: "https://oauth2.googleapis.com/revoke" },
  // Without access_type=offline Google returns no refresh token; without
  // prompt=consent it returns one only the first time a user ever consents.
  // include_granted_scopes is left off on purpose: the products share a client,
  // and a Gmail connection must not silently carry Drive scopes.
  extraAuthorizationParams: { access_type: "offline", prompt: "consent" },
  // Identity comes from the OIDC userinfo endpoint, which needs these.
  alwaysScopes: ["openid", "email"],
};

const userinfo = z.object({
  sub: z.string().min(1),
  email: z.string().nullish(),
  name: z.string().nullish(),
});

const identity = {
  url: "https://openidconnect.googleapis.com/v1/userinfo",
  method: "GET",
  jsonBody: null,
  parse: identityFrom(userinfo, (u) => ({
    id: u.sub,
    email: u.email ?? null,
    name: u.name ?? null,
  })),
} as const;

function product(
  name: string,
  displayName: string,
  baseUrl: string,
  defaultScopes: string[],
): ProviderDefinition {
  return {
    name,
    family: "google",
    displayName,
    strategy: "oauth2",
    oauth,
    identity,
    apis: [{ host: name, baseUrl }],
    injection: { kind: "bearer" },
    defaultHeaders: {},
    defaultScopes,
    // Documented for Google's APIs: a POST that says PATCH or DELETE is one.
    methodOverrideHeader: "x-http-method-override",
  };
}

export const gmail = product("gmail", "Gmail", "https://gmail.googleapis.com", [
  "https://www.googleapis.com/auth/gmail.readonly",
]);

// Drive and Calendar live under www.googleapis.com (`/drive/v3`, `/calendar/v3`);
// the official SDKs use that root, so the proxy host maps to the root too.
export const drive = product("drive", "Google Drive", "https://www.googleapis.com", [
  "https://www.googleapis.com/auth/drive.readonly",
]);

export const calendar = product("calendar", "Google Calendar", "https://www.googleapis.com", [
  "https://www.googleapis.com/auth/calendar.readonly",
]);
