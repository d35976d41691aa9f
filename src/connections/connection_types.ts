import type { Account } from "../flows/session_types.ts";

export const CONNECTION_STATUSES = [
  "pending",
  "active",
  "paused",
  "needs_reauth",
  "revoked",
] as const;

export type ConnectionStatus = typeof CONNECTION_STATUSES[number];

export interface Connection {
  id: string;
  appId: string;
  entityId: string;
  provider: string;
  status: ConnectionStatus;
  scopes: string[];
  account: Account | null;
  credentialId: string | null;
  credentialExpiresAt: number | null;
  /**
   * False when the access token expires and no refresh token came with it:
   * the connection stops working at `credentialExpiresAt`. Null when unknown
   * (made before this was recorded) or not consented yet.
   */
  refreshable?: boolean | null;
  sessionId: string | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** The version written into every credential record; records without one are version 1. */
export const CREDENTIAL_FORMAT_VERSION = 1;

/** The token set kept in the vault for an OAuth connection. Never leaves the appliance. */
export interface OAuthCredential {
  /** Absent in records written before credentials became a tagged union. */
  kind?: "oauth2";
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  expiresAt: number | null;
  /** When the access token was obtained (epoch ms), which makes its lifetime known.
   * Absent in records written before this field existed. */
  obtainedAt?: number | null;
  scopes: string[];
  idToken?: string | null;
}

/** An API key (or several named fields, e.g. a key and an account id) typed into the credential form. */
export interface ApiKeyCredential extends NoTokens {
  kind: "api_key";
  fields: Record<string, string>;
}

export interface BasicCredential extends NoTokens {
  kind: "basic";
  username: string;
  password: string;
}

/** AWS SigV4 keys; the region and service come from the provider's config. */
export interface SigV4Credential extends NoTokens {
  kind: "aws_sigv4";
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | null;
}

/**
 * Kinds other than oauth2 have no token fields: declared absent, so code (and
 * tests) reading `accessToken` off any credential gets `undefined`, not a
 * type error, while writing one is still refused.
 */
interface NoTokens {
  accessToken?: undefined;
  refreshToken?: undefined;
  expiresAt?: undefined;
  scopes?: undefined;
}

/** What the vault keeps for a connection, by kind. Never leaves the appliance. */
export type StoredCredential =
  | OAuthCredential
  | ApiKeyCredential
  | BasicCredential
  | SigV4Credential;

export type CredentialKind = NonNullable<StoredCredential["kind"]>;

/** The OAuth token set, or null for kinds that have no token (nothing to refresh or revoke). */
export function oauthTokens(credential: StoredCredential): OAuthCredential | null {
  return credential.kind === undefined || credential.kind === "oauth2" ? credential : null;
}

export const CREDENTIAL_PURPOSE = "provider-credential";

/** A token set that can outlive its access token: a refresh token, or no expiry at all. */
export function isRefreshable(tokens: { refreshToken: string | null; expiresAt: number | null }) {
  return tokens.refreshToken !== null || tokens.expiresAt === null;
}
