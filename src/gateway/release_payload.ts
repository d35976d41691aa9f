import type { StoredCredential } from "../connections/connection_types.ts";

/**
 * What `GET /v1/token/{id}` hands out, in Nexus's generic shape: how to use
 * the credential (`strategy`) and the credential itself. `expires_at` is Unix
 * seconds, as Nexus sends it; null for a token without expiry.
 */
export interface ReleasePayload {
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

/**
 * The one place a stored credential becomes a released one. Only what using
 * the credential needs leaves: never the refresh token (the appliance keeps
 * refreshing; an app that held it could outlive a revoke), never the ID token,
 * never anything of the provider's client.
 */
export function releasePayload(credential: StoredCredential, now: number): ReleasePayload {
  const expiresAt = credential.expiresAt === null ? null : Math.floor(credential.expiresAt / 1000);
  return {
    strategy: {
      type: "oauth2",
      config: { header_name: "Authorization", value_prefix: "Bearer " },
    },
    credentials: {
      access_token: credential.accessToken,
      token_type: credential.tokenType,
      scopes: [...credential.scopes],
      expires_at: expiresAt,
    },
    expires_at: expiresAt,
    expires_in: credential.expiresAt === null
      ? null
      : Math.max(0, Math.floor((credential.expiresAt - now) / 1000)),
  };
}
