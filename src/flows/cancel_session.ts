import type { App } from "../apps/app_store.ts";
import { requirePopupSession } from "./confirm_session.ts";
import { flowErrors } from "./flow_errors.ts";
import type { FlowDeps } from "./flow_deps.ts";
import { discardSessionLeftovers } from "./session_leftovers.ts";
import { endSession, loadSession } from "./session_store.ts";
import type { AuthSession } from "./session_types.ts";
import { verifySxc } from "./sxc.ts";

/**
 * Ends a popup session the browser has given up on (the user started again after the
 * window looked closed), so a consent still going on in that window can never complete
 * or be confirmed later. Only the holder of `sxc` may do it, as for the confirm: a wrong
 * one changes nothing (and is not counted, since cancelling is what five failures do
 * anyway). A session that already failed or expired answers as it is; a completed one is
 * `SX-SESSION-ENDED`.
 */
export async function cancelSession(
  deps: FlowDeps,
  app: App,
  sessionId: string,
  sxc: string,
): Promise<AuthSession> {
  const session = await requirePopupSession(deps, app, sessionId, "cancelled");
  if (!verifySxc(sxc, session.sxcHash)) throw flowErrors.sxcMismatch();
  if (session.status === "failed" || session.status === "expired") return session;
  if (session.status === "completed") throw flowErrors.sessionEnded(session.status, null);
  if (!await endSession(deps.database, session, "failed", "user_cancelled", deps.now())) {
    // It ended meanwhile (completed, or failed by the popup's own cancel).
    const now = await loadSession(deps.database, session.id, deps.now());
    if (now?.status === "completed") throw flowErrors.sessionEnded(now.status, now.reason);
    return now ?? session;
  }
  const ended: AuthSession = {
    ...session,
    status: "failed",
    reason: "user_cancelled",
    endedAt: deps.now(),
  };
  // Tokens obtained before the cancel were for a consent the browser disowned.
  await discardSessionLeftovers(deps, ended);
  return ended;
}
