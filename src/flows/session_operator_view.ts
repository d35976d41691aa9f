import type { AuthSession } from "./session_types.ts";
import { reasonText } from "./session_reason.ts";

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString();

/**
 * A session as the operator sees it (CLI and console). Built field by field,
 * never by spreading the row: the sxc hash, device code hash, browser
 * binding and vault credential ids stay out, and the PKCE verifier and
 * `state` live in other tables this never reads.
 */
export function sessionOperatorView(session: AuthSession, appName: string | null) {
  return {
    id: session.id,
    app: appName ?? session.appId,
    appId: session.appId,
    entity: session.entityId,
    flow: session.flow,
    status: session.status,
    reason: session.reason,
    reasonText: reasonText(session.reason),
    providers: Object.fromEntries(
      Object.entries(session.providers).map(([name, step]) => [name, {
        status: step.status,
        scopes: step.grantedScopes ?? step.scopes,
        account: step.account ?? null,
        error: step.error ?? null,
        startedBy: step.startedBy ?? "backend",
      }]),
    ),
    sxcFailures: session.sxcFailures,
    targetOrigin: session.targetOrigin,
    returnUrl: session.returnUrl,
    deviceCodeUsed: iso(session.deviceCodeUsedAt),
    lastPolled: iso(session.lastPolledAt),
    browserBound: session.browserBinding !== null,
    created: iso(session.createdAt),
    expires: iso(session.expiresAt),
    ended: iso(session.endedAt),
  };
}

export type SessionOperatorView = ReturnType<typeof sessionOperatorView>;
