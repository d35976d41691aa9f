import type { Context, MiddlewareHandler } from "hono";
import type { App } from "../apps/app_store.ts";
import type { KeyAuthenticator } from "../apps/key_authenticator.ts";
import type { KeyRole } from "../apps/key_role.ts";
import { lockedOut } from "../apps/key_errors.ts";
import { SecurixError } from "../errors/securix_error.ts";

/**
 * The calling app, the id of the key it presented (the actor of its changes),
 * that key's role (what key_role_guard.ts lets it call) and the agent it is
 * bound to (null: any agent; see proxy/acting_agent.ts).
 */
export type ApiEnv = {
  Variables: { app: App; keyId: string; role: KeyRole; keyAgentId: string | null };
};

/**
 * Resolves the `securix-api-key` header to an app and key, or answers 401
 * (429 SX-AUTH-LOCKOUT once the client address failed too often).
 */
export function requireApiKey(
  authenticator: KeyAuthenticator,
  clientAddress: (c: Context) => string,
): MiddlewareHandler<ApiEnv> {
  return async function apiKeyAuth(c, next) {
    const checked = await authenticator.check(c.req.header("securix-api-key"), clientAddress(c));
    if (!checked.ok && checked.retryAfterS !== undefined) throw lockedOut(checked.retryAfterS);
    if (!checked.ok && checked.reason === "missing_key") {
      throw new SecurixError(
        "SX-API-KEY-MISSING",
        "Send your app's API key in the securix-api-key header",
        {
          status: 401,
        },
      );
    }
    if (!checked.ok) {
      throw new SecurixError("SX-API-KEY-INVALID", "The API key is unknown or revoked", {
        status: 401,
      });
    }
    c.set("app", checked.auth.app);
    c.set("keyId", checked.auth.keyId);
    c.set("role", checked.auth.role);
    c.set("keyAgentId", checked.auth.agentId);
    await next();
  };
}
