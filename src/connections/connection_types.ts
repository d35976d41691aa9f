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

/** The token set kept in the vault for a connection. Never leaves the appliance. */
export interface StoredCredential {
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

export const CREDENTIAL_PURPOSE = "provider-credential";

/** A token set that can outlive its access token: a refresh token, or no expiry at all. */
export function isRefreshable(tokens: { refreshToken: string | null; expiresAt: number | null }) {
  return tokens.refreshToken !== null || tokens.expiresAt === null;
}
