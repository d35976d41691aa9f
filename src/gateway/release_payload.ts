import { oauthTokens, type StoredCredential } from "../connections/connection_types.ts";

/**
 * What `GET /v1/token/{id}` hands out, in Nexus's generic shape: how to use
 * the credential (`strategy`) and the credential itself. `expires_at` is Unix
 * seconds, as Nexus sends it; null for a token without expiry.
 */
export type ReleasePayload = OAuthRelease | FormRelease;

interface OAuthRelease {
  strategy: { type: "oauth2"; config: { header_name: string; value_prefix: string } };
  credentials: {
    access_token: string;
    token_type: string;
    scopes: string[];
    expires_at: number | null;
  };
  expires_at: number | null;
  expires_in: number | null;
}

/** A credential typed into the form: it never expires, so neither field says when. */
interface FormRelease {
  strategy: { type: "api_key" | "basic" | "aws_sigv4"; config: Record<string, never> };
  credentials: Record<string, string | null>;
  expires_at: null;
  expires_in: null;
}

/**
 * The one place a stored credential becomes a released one. Only what using
 * the credential needs leaves: never the refresh token (the appliance keeps
 * refreshing; an app that held it could outlive a revoke), never the ID token,
 * never anything of the provider's client.
 */
export function releasePayload(credential: StoredCredential, now: number): ReleasePayload {
  const tokens = oauthTokens(credential);
  if (tokens === null) return formRelease(credential);
  const expiresAt = tokens.expiresAt === null ? null : Math.floor(tokens.expiresAt / 1000);
  return {
    strategy: {
      type: "oauth2",
      config: { header_name: "Authorization", value_prefix: "Bearer " },
    },
    credentials: {
      access_token: tokens.accessToken,
      token_type: tokens.tokenType,
      scopes: [...tokens.scopes],
      expires_at: expiresAt,
    },
    expires_at: expiresAt,
    expires_in: tokens.expiresAt === null
      ? null
      : Math.max(0, Math.floor((tokens.expiresAt - now) / 1000)),
  };
}

function formRelease(credential: StoredCredential): FormRelease {
  const none = { expires_at: null, expires_in: null } as const;
  switch (credential.kind) {
    case "api_key":
      return {
        strategy: { type: "api_key", config: {} },
        credentials: { ...credential.fields },
        ...none,
      };
    case "basic":
      return {
        strategy: { type: "basic", config: {} },
        credentials: { username: credential.username, password: credential.password },
        ...none,
      };
    case "aws_sigv4":
      return {
        strategy: { type: "aws_sigv4", config: {} },
        credentials: {
          access_key_id: credential.accessKeyId,
          secret_access_key: credential.secretAccessKey,
          session_token: credential.sessionToken,
        },
        ...none,
      };
    default:
      throw new Error("unreachable: an OAuth credential has tokens");
  }
}
