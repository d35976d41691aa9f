import type { AuthSession } from "../flows/session_types.ts";

/** The public shape of a session: status and accounts, never credential ids or hashes. */
export function sessionView(session: AuthSession) {
  return {
    sessionId: session.id,
    entityId: session.entityId,
    flow: session.flow,
    status: session.status,
    reason: session.reason,
    expiresAt: new Date(session.expiresAt).toISOString(),
    providers: Object.fromEntries(
      Object.entries(session.providers).map(([name, step]) => [name, {
        status: step.status,
        scopes: step.grantedScopes ?? step.scopes,
        account: step.account ?? null,
      }]),
    ),
  };
}
