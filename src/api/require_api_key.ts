import type { MiddlewareHandler } from "hono";
import type { App } from "../apps/app_store.ts";
import type { KeyAuthenticator } from "../apps/key_authenticator.ts";
import { SecurixError } from "../errors/securix_error.ts";

/** The calling app, and the id of the key it presented (the actor of its changes). */
export type ApiEnv = { Variables: { app: App; keyId: string } };

/** Resolves the `securix-api-key` header to an app and key, or answers 401. */
export function requireApiKey(authenticator: KeyAuthenticator): MiddlewareHandler<ApiEnv> {
  return async function apiKeyAuth(c, next) {
    const presented = c.req.header("securix-api-key");
    if (!presented) {
      throw new SecurixError(
        "SX-API-KEY-MISSING",
        "Send your app's API key in the securix-api-key header",
        {
          status: 401,
        },
      );
    }
    const found = await authenticator.authenticate(presented);
    if (!found) {
      throw new SecurixError("SX-API-KEY-INVALID", "The API key is unknown or revoked", {
        status: 401,
      });
    }
    c.set("app", found.app);
    c.set("keyId", found.keyId);
    await next();
  };
}
