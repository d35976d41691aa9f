import { Hono } from "hono";
import { z } from "zod";
import { apiActor } from "../audit/actor.ts";
import { appendAudit } from "../audit/append.ts";
import type { Database } from "../db/client.ts";
import { entityIdSchema } from "../identifiers/identifier.ts";
import { portalErrors } from "../portal/portal_errors.ts";
import { createPortalLink } from "../portal/portal_link_store.ts";
import type { ApiEnv } from "./require_api_key.ts";
import { parseJsonBody } from "./parse_body.ts";

export interface PortalUrlRouteDeps {
  database: Database;
  now: () => number;
  publicUrl: string;
  random?: (bytes: Uint8Array) => Uint8Array;
}

const portalUrlInput = z.strictObject({
  entityId: entityIdSchema,
  returnUrl: z.string().max(2048).optional(),
});

/** True when `url` is an absolute http(s) URL on one of `origins`. */
export function onOrigins(url: string, origins: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return false;
  if (parsed.username || parsed.password) return false;
  return origins.some((o) => {
    try {
      return new URL(o).origin === parsed.origin;
    } catch {
      return false;
    }
  });
}

/**
 * POST /v1/portal/urls (`Securix.portal.getUrl`): a one-time, 10-minute link
 * that opens the Trust Portal for one of the app's entities. The URL is in
 * this answer only; the appliance keeps its SHA-256.
 */
export function portalUrlRoutes(deps: PortalUrlRouteDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, portalUrlInput);
    const owner = c.get("app");
    const returnUrl = input.returnUrl ?? null;
    if (returnUrl !== null && !onOrigins(returnUrl, owner.origins)) {
      throw portalErrors.returnUrlNotAllowed(returnUrl);
    }
    const now = deps.now();
    const link = await deps.database.transaction(async (tx) => {
      const made = await createPortalLink(
        tx,
        { appId: owner.id, entityId: input.entityId, returnUrl },
        now,
        deps.random,
      );
      await appendAudit(tx, [{
        kind: "portal.link.created",
        at: now,
        appId: owner.id,
        entityId: input.entityId,
        data: { linkId: made.id, expiresAt: made.expiresAt, ...apiActor(c.get("keyId")) },
      }]);
      return made;
    });
    const url = new URL("/portal/start", deps.publicUrl);
    url.searchParams.set("t", link.token);
    return c.json({ url: url.toString(), expiresAt: new Date(link.expiresAt).toISOString() }, 201);
  });
  return app;
}
