import type { KeyRole } from "../apps/key_role.ts";

export type Flow = "popup" | "device";
export type SessionStatus =
  | "pending"
  | "awaiting_confirmation"
  | "completed"
  | "failed"
  | "expired";
export type ProviderStepStatus = "pending" | "connected" | "failed";

export interface Account {
  id: string;
  email?: string | null;
  name?: string | null;
}

export interface SessionProvider {
  scopes: string[];
  status: ProviderStepStatus;
  account?: Account | null;
  /** Vault record of the tokens obtained in this session, until they are activated. */
  credentialId?: string | null;
  credentialExpiresAt?: number | null;
  /** See `Connection.refreshable`. */
  refreshable?: boolean;
  grantedScopes?: string[];
  error?: string | null;
  /**
   * The role of the API key that asked for this consent, when the gateway
   * started it (request-connection): an agent's consent may only reconnect
   * the account already connected (see account_swap.ts). Absent: the app's
   * backend, which may add or replace accounts.
   */
  startedBy?: KeyRole;
  /**
   * An agent's consent found the connection paused: its tokens were renewed
   * but it stays paused until the user resumes it (Trust Portal).
   */
  stayedPaused?: boolean;
}

export interface AuthSession {
  id: string;
  appId: string;
  entityId: string;
  flow: Flow;
  status: SessionStatus;
  reason: string | null;
  providers: Record<string, SessionProvider>;
  sxcHash: string | null;
  sxcFailures: number;
  targetOrigin: string | null;
  returnUrl: string | null;
  deviceCodeHash: string | null;
  deviceCodeUsedAt: number | null;
  pollIntervalS: number | null;
  lastPolledAt: number | null;
  browserBinding: string | null;
  createdAt: number;
  expiresAt: number;
  endedAt: number | null;
}

export function isOpen(session: AuthSession): boolean {
  return session.status === "pending" || session.status === "awaiting_confirmation";
}
