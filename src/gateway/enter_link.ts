import type { FlowDeps } from "../flows/flow_deps.ts";
import { bindBrowser, loadSession } from "../flows/session_store.ts";
import type { AuthSession } from "../flows/session_types.ts";
import { gatewayErrors } from "./gateway_errors.ts";
import { hashLinkToken, LINK_TOKEN_PATTERN } from "./gateway_link.ts";
import { claimLink, findByLinkHash } from "./gateway_store.ts";

/**
 * A browser opens a gateway `authUrl`. The first one claims the link and the
 * session is bound to its cookie; the same browser may open it again (a
 * reload), any other gets SX-LINK-USED. Returns the session (maybe ended:
 * the caller sends the browser back to the app with the outcome).
 */
export async function enterLink(
  deps: FlowDeps,
  token: string,
  bindingHash: string,
): Promise<AuthSession> {
  if (!LINK_TOKEN_PATTERN.test(token)) throw gatewayErrors.linkNotFound();
  const db = deps.database.db;
  const request = await findByLinkHash(db, hashLinkToken(token));
  if (!request) throw gatewayErrors.linkNotFound();
  const session = await loadSession(deps.database, request.sessionId, deps.now());
  if (!session) throw gatewayErrors.linkNotFound();
  if (request.linkUsedAt !== null) {
    // Claimed: only its browser goes on, even once the consent has ended.
    if (session.browserBinding !== bindingHash) throw gatewayErrors.linkUsed();
    return session;
  }
  if (session.status !== "pending") return session;
  if (await claimLink(db, session.id, deps.now())) {
    // Bound in the same breath as the claim: the consent pages refuse an unbound device session.
    await bindBrowser(db, session.id, bindingHash);
  }
  const now = await loadSession(deps.database, session.id, deps.now());
  if (!now || now.browserBinding !== bindingHash) throw gatewayErrors.linkUsed();
  return now;
}
