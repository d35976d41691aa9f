import { Hono } from "hono";
import { z } from "zod";
import { cancelSession } from "../flows/cancel_session.ts";
import { confirmSession, requireOwnSession } from "../flows/confirm_session.ts";
import { createSession, createSessionInput } from "../flows/create_session.ts";
import { flowErrors } from "../flows/flow_errors.ts";
import type { FlowDeps } from "../flows/flow_deps.ts";
import { updateSession } from "../flows/session_store.ts";
import type { ApiEnv } from "./require_api_key.ts";
import { parseJsonBody } from "./parse_body.ts";
import { sessionView } from "./session_view.ts";

const confirmInput = z.strictObject({ sxc: z.string().min(1).max(256) });

/** POST/GET /v1/auth/sessions, the sxc confirm and the sxc cancel. */
export function sessionRoutes(deps: FlowDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.post("/", async (c) => {
    const input = await parseJsonBody(c, createSessionInput);
    const { session, authUrl, deviceCode } = await createSession(deps, c.get("app"), input);
    return c.json({
      sessionId: session.id,
      flow: session.flow,
      authUrl,
      expiresAt: new Date(session.expiresAt).toISOString(),
      ...(deviceCode ? { deviceAuthCode: deviceCode, interval: session.pollIntervalS } : {}),
    }, 201);
  });
  app.get("/:id", async (c) => {
    const session = await requireOwnSession(deps, c.get("app"), c.req.param("id"));
    if (session.flow === "device" && session.status === "pending") {
      // RFC 8628 slow_down: a poller faster than `interval` is told to back off.
      const now = deps.now();
      const interval = session.pollIntervalS ?? deps.deviceIntervalS;
      if (session.lastPolledAt !== null && now - session.lastPolledAt < interval * 1000) {
        const error = flowErrors.slowDown(interval);
        throw error;
      }
      await updateSession(deps.database.db, session.id, { lastPolledAt: now });
    }
    return c.json(sessionView(session));
  });
  app.post("/:id/confirm", async (c) => {
    const { sxc } = await parseJsonBody(c, confirmInput);
    const session = await confirmSession(deps, c.get("app"), c.req.param("id"), sxc);
    return c.json({ ...sessionView(session), status: "AUTH_SUCCESS" });
  });
  app.post("/:id/cancel", async (c) => {
    const { sxc } = await parseJsonBody(c, confirmInput);
    const session = await cancelSession(deps, c.get("app"), c.req.param("id"), sxc);
    return c.json(sessionView(session));
  });
  return app;
}
