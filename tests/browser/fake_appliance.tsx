/**
 * A tiny in-memory stand-in for the appliance, for browser tests of the SDK: the
 * real /sdk/client.js and /assets routes, the real consent and result pages, and
 * just enough of the /v1 API (sessions, confirm and cancel with the sxc check).
 */
import { Hono } from "hono";
import { sxcHash } from "../../src/flows/sxc.ts";
import { sdkRoutes } from "../../src/sdk/sdk_routes.ts";
import { ConsentPage } from "../../web/consent_page.tsx";
import { ResultPage } from "../../web/result_page.tsx";
import { assetRoutes, renderPage } from "../../web/web_routes.ts";

export interface FakeSession {
  id: string;
  entityId: string;
  status: "pending" | "awaiting_confirmation" | "completed" | "failed";
  reason: string | null;
  sxcHash: string;
  targetOrigin: string;
  confirmCalls: number;
}

const envelope = (code: string, message: string, status: number) =>
  Response.json({ error: { code, message } }, { status });

export function fakeAppliance(options: { publicUrl: () => string; appOrigin: string }) {
  const sessions = new Map<string, FakeSession>();
  const view = (s: FakeSession) => ({
    sessionId: s.id,
    entityId: s.entityId,
    flow: "popup",
    status: s.status,
    reason: s.reason,
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
    providers: { gmail: { status: "connected", scopes: ["gmail.readonly"], account: { id: "1" } } },
  });
  const app = new Hono();
  app.route("/", sdkRoutes());
  app.route("/", assetRoutes());

  app.post("/v1/auth/sessions", async (c) => {
    const body = await c.req.json();
    const id = `ses_${sessions.size + 1}`;
    sessions.set(id, {
      id,
      entityId: body.entityId,
      status: "pending",
      reason: null,
      sxcHash: body.sxcHash,
      targetOrigin: body.origin ?? options.appOrigin,
      confirmCalls: 0,
    });
    return c.json({
      sessionId: id,
      authUrl: `${options.publicUrl()}/connect/${id}`,
      expiresAt: new Date(Date.now() + 600_000).toISOString(),
      flow: "popup",
    }, 201);
  });
  app.get("/v1/auth/sessions/:id", (c) => {
    const s = sessions.get(c.req.param("id"));
    return s ? c.json(view(s)) : envelope("SX-SESSION-NOT-FOUND", "No such auth session", 404);
  });
  app.post("/v1/auth/sessions/:id/confirm", async (c) => {
    const s = sessions.get(c.req.param("id"));
    if (!s) return envelope("SX-SESSION-NOT-FOUND", "No such auth session", 404);
    s.confirmCalls++;
    if (s.status === "failed" || s.status === "completed") {
      return envelope("SX-SESSION-ENDED", `The auth session has ended (${s.status})`, 409);
    }
    if (s.status !== "awaiting_confirmation") {
      return envelope("SX-SESSION-NOT-READY", "The user has not finished consenting", 409);
    }
    const { sxc } = await c.req.json();
    if (sxcHash(sxc) !== s.sxcHash) return envelope("SX-SXC-MISMATCH", "sxc does not match", 403);
    s.status = "completed";
    return c.json({ ...view(s), status: "AUTH_SUCCESS" });
  });

  app.post("/v1/auth/sessions/:id/cancel", async (c) => {
    const s = sessions.get(c.req.param("id"));
    if (!s) return envelope("SX-SESSION-NOT-FOUND", "No such auth session", 404);
    const { sxc } = await c.req.json();
    if (sxcHash(sxc) !== s.sxcHash) return envelope("SX-SXC-MISMATCH", "sxc does not match", 403);
    if (s.status === "completed") return envelope("SX-SESSION-ENDED", "ended (completed)", 409);
    if (s.status !== "failed") [s.status, s.reason] = ["failed", "user_cancelled"];
    return c.json(view(s));
  });

  app.get("/connect/:id", (c) => {
    const s = sessions.get(c.req.param("id"));
    if (!s) return c.notFound();
    return renderPage(
      <ConsentPage
        appName="Browser Test App"
        appOrigin={s.targetOrigin}
        providers={[{
          name: "gmail",
          displayName: "Gmail",
          scopes: [{ scope: "gmail.readonly", description: "Read your email" }],
          status: "pending",
        }]}
        csrfToken="test"
        formAction={`/connect/${s.id}`}
        flow="popup"
        expiresAt={new Date(Date.now() + 600_000).toISOString()}
      />,
    );
  });
  const finish = (id: string, allow: boolean) => {
    const s = sessions.get(id)!;
    // As the appliance does: a session that already ended (cancelled) stays as it is.
    if (s.status === "pending") {
      s.status = allow ? "awaiting_confirmation" : "failed";
      s.reason = allow ? null : "user_cancelled";
    }
    const ok = s.status !== "failed";
    return renderPage(
      <ResultPage
        title={ok ? "All set" : "Not connected"}
        message={ok ? "You're connected." : "You cancelled, so nothing was connected."}
        status={ok ? "success" : "failure"}
        sessionId={s.id}
        targetOrigin={s.targetOrigin}
        reason={s.reason ?? undefined}
      />,
    );
  };
  app.post("/connect/:id/continue", (c) => finish(c.req.param("id"), true));
  app.post("/connect/:id/cancel", (c) => finish(c.req.param("id"), false));
  return { app, sessions };
}
