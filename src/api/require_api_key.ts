import type { MiddlewareHandler } from "hono";
import type { App } from "../apps/app_store.ts";
import type { KeyAuthenticator } from "../apps/key_authenticator.ts";
import { SecurixError } from "../errors/securix_error.ts";

export type ApiEnv = { Variables: { app: App } };

/** Resolves the `securix-api-key` header to an app, or answers 401. */
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
    await next();
  };
}
