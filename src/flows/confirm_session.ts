import type { App } from "../apps/app_store.ts";
import { activateSession } from "./activate_session.ts";
import { flowErrors } from "./flow_errors.ts";
import type { FlowDeps } from "./flow_deps.ts";
import { discardSessionLeftovers } from "./session_leftovers.ts";
import { endSession, loadSession, recordSxcFailure } from "./session_store.ts";
import type { AuthSession } from "./session_types.ts";
import { verifySxc } from "./sxc.ts";

/** Wrong reveals allowed before the session is failed for good. */
export const MAX_SXC_FAILURES = 5;

/** Loads a session of this app; another app's session is "not found", never "forbidden". */
export async function requireOwnSession(
  deps: FlowDeps,
  app: App,
  sessionId: string,
): Promise<AuthSession> {
  const session = await loadSession(deps.database, sessionId, deps.now());
  if (!session || session.appId !== app.id) throw flowErrors.sessionNotFound();
  return session;
}

/** A popup session of this app, the only kind that holds an sxc; `act` names the step refused. */
export async function requirePopupSession(
  deps: FlowDeps,
  app: App,
  sessionId: string,
  act: "confirmed" | "cancelled",
): Promise<AuthSession & { sxcHash: string }> {
  const session = await requireOwnSession(deps, app, sessionId);
  if (session.flow !== "popup" || !session.sxcHash) {
    throw flowErrors.invalidInput(`Only popup sessions are ${act} with an sxc`);
  }
  return session as AuthSession & { sxcHash: string };
}

/**
 * The popup handshake's last step: only the browser that committed to
 * sha256(sxc) can reveal sxc, and only then do the connections become active.
 */
export async function confirmSession(
  deps: FlowDeps,
  app: App,
  sessionId: string,
  sxc: string,
): Promise<AuthSession> {
  const session = await requirePopupSession(deps, app, sessionId, "confirmed");
  if (
    session.status === "completed" || session.status === "failed" || session.status === "expired"
  ) {
    throw flowErrors.sessionEnded(session.status, session.reason);
  }
  if (session.status !== "awaiting_confirmation") throw flowErrors.notAwaitingConfirmation();
  if (!verifySxc(sxc, session.sxcHash)) {
    const failures = await recordSxcFailure(deps.database, session, deps.now());
    if (failures >= MAX_SXC_FAILURES) {
      await endSession(deps.database, session, "failed", "sxc_mismatch", deps.now());
      // The tokens were obtained for a browser that could not prove itself: never usable.
      await discardSessionLeftovers(deps, { ...session, status: "failed" });
    }
    throw flowErrors.sxcMismatch();
  }
  if (!await activateSession(deps, session, "awaiting_confirmation")) {
    const now = await loadSession(deps.database, session.id, deps.now());
    throw flowErrors.sessionEnded(now?.status ?? "failed", now?.reason ?? null);
  }
  return { ...session, status: "completed", endedAt: deps.now() };
}
