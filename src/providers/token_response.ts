import { z } from "zod";
import type { TokenResponseShape } from "./provider_definition.ts";
import { providerErrors, type ProviderOperation } from "./provider_errors.ts";
import type { ProviderResponse } from "./provider_http.ts";

/** Tokens as a provider returned them, normalised. Never logged, never in an error. */
export interface TokenSet {
  accessToken: string;
  /** Null when the provider issued none (or, on refresh, kept the old one valid). */
  refreshToken: string | null;
  /** Epoch ms; null when the provider did not say (the token does not expire, or we cannot know). */
  expiresAt: number | null;
  /** Granted scopes; null when the provider did not report them (then assume what was asked). */
  scopes: string[] | null;
  /** `Bearer` for every provider here, whatever spelling it used. */
  tokenType: string;
  /** The OIDC ID token, unverified: identity is read from the userinfo call instead. */
  idToken: string | null;
}

const seconds = z.union([
  z.number().finite().nonnegative(),
  // Some servers send expires_in as a string.
  z.string().regex(/^\d{1,10}$/).transform(Number),
]);

/**
 * Tokens travel in HTTP headers: printable ASCII only (RFC 6749 VSCHAR). A
 * CR, LF or NUL would make every header built from it throw an error that
 * quotes the token.
 */
const token = z.string().min(1).regex(/^[\x20-\x7E]+$/);

const tokenFields = z.object({
  access_token: token,
  token_type: z.string().nullish(),
  expires_in: seconds.nullish(),
  refresh_token: token.nullish(),
  scope: z.string().nullish(),
  id_token: z.string().min(1).nullish(),
});

const oauthError = z.object({ error: z.string().min(1) });

const slackEnvelope = z.object({
  ok: z.boolean(),
  error: z.string().nullish(),
  authed_user: z.record(z.string(), z.unknown()).nullish(),
});

interface ParseContext {
  provider: string;
  operation: ProviderOperation;
  now: number;
}

/**
 * Reads a token endpoint answer into a TokenSet, or throws the typed error
 * for it: the OAuth error code when there is one (GitHub and Slack send it
 * with HTTP 200), otherwise a "bad response" that quotes nothing of the body.
 */
export function parseTokenResponse(
  shape: TokenResponseShape,
  response: ProviderResponse,
  context: ParseContext,
): TokenSet {
  const body = shape === "slack" ? slackTokenBody(response, context) : response.json;
  const error = oauthError.safeParse(body);
  if (error.success) {
    throw providerErrors.tokenError(context.provider, context.operation, error.data.error);
  }
  if (response.status < 200 || response.status > 299) {
    throw bad(context, `the token endpoint answered HTTP ${response.status}`);
  }
  const fields = tokenFields.safeParse(body);
  if (!fields.success) {
    throw bad(
      context,
      body === undefined
        ? "the token endpoint did not answer with JSON"
        : "the token endpoint's answer is not a valid token response",
    );
  }
  return toTokenSet(fields.data, context.now);
}

/**
 * Slack answers 200 with `ok: false` on failure. For user tokens the token
 * is in `authed_user`; a rotated user token on refresh comes back at the top.
 */
function slackTokenBody(response: ProviderResponse, context: ParseContext): unknown {
  const envelope = slackEnvelope.safeParse(response.json);
  if (!envelope.success) return response.json;
  if (!envelope.data.ok) return { error: envelope.data.error ?? "unknown_error" };
  const user = envelope.data.authed_user;
  if (user && typeof user.access_token === "string") return user;
  if (context.operation === "exchange") {
    throw bad(context, "Slack returned no user token (the app asked for no user scopes)");
  }
  return response.json;
}

function toTokenSet(fields: z.output<typeof tokenFields>, now: number): TokenSet {
  return {
    accessToken: fields.access_token,
    refreshToken: fields.refresh_token ?? null,
    expiresAt: fields.expires_in == null ? null : now + fields.expires_in * 1000,
    scopes: fields.scope == null ? null : splitScopes(fields.scope),
    tokenType: normaliseTokenType(fields.token_type ?? null),
    idToken: fields.id_token ?? null,
  };
}

/** Providers disagree on the separator (GitHub and Slack answer with commas). */
export function splitScopes(scope: string): string[] {
  return scope.split(/[\s,]+/).filter((s) => s !== "");
}

/**
 * `bearer` (GitHub, Notion) and Slack's `user` are all used as
 * `Authorization: Bearer`; anything else (DPoP, MAC) is kept for the caller to refuse.
 */
function normaliseTokenType(type: string | null): string {
  if (type === null || /^(bearer|user)$/i.test(type)) return "Bearer";
  return type;
}

function bad(context: ParseContext, why: string) {
  return providerErrors.badResponse(context.provider, context.operation, why);
}
