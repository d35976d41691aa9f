import type { Db } from "../db/client.ts";
import { reasonCode } from "../flows/account_swap.ts";
import type { AuthSession } from "../flows/session_types.ts";
import { findBySession } from "./gateway_store.ts";

/**
 * Where a finished gateway consent sends the browser: the app's `return_url`
 * with `status=success&connection_id=…&provider=…&state=…` (plus
 * `connection_status=paused` when an agent's reconnect left the user's pause), or
 * `status=error&error=<reason>` (and `code=SX-…` for a reason that has
 * one). Null for sessions the gateway did not start,
 * and while the consent is still going on.
 */
export async function gatewayReturnUrl(db: Db, session: AuthSession): Promise<string | null> {
  if (session.status === "pending") return null;
  const request = await findBySession(db, session.id);
  if (!request) return null;
  const url = new URL(request.returnUrl);
  const ok = session.status === "completed";
  url.searchParams.set("status", ok ? "success" : "error");
  url.searchParams.set("connection_id", request.connectionId);
  url.searchParams.set("provider", request.provider);
  url.searchParams.set("state", request.state);
  // Consent done, connection still unusable (check-connection says `failed`): the app can tell.
  if (ok && session.providers[request.provider]?.stayedPaused) {
    url.searchParams.set("connection_status", "paused");
  }
  if (!ok) url.searchParams.set("error", session.reason ?? session.status);
  const code = ok ? null : reasonCode(session.reason);
  if (code) url.searchParams.set("code", code);
  return url.toString();
}
