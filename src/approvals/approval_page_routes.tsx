import { foreignPost } from "../http/same_origin.ts";
import { type Context, Hono } from "hono";
import { findApp } from "../apps/app_store.ts";
import type { Database } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { attachBindingCookie, ensureBinding, readBinding } from "../flows/binding_cookie.ts";
import { csrfToken, verifyCsrf } from "../flows/csrf.ts";
import { ApprovalPage } from "../../web/approval_page.tsx";
import { ErrorPage } from "../../web/error_page.tsx";
import { ResultPage } from "../../web/result_page.tsx";
import { renderPage } from "../../web/web_routes.ts";
import { decideApproval } from "./approval_decide.ts";
import { linkKind } from "./approval_link.ts";
import { approvalFromRow, findApprovalRow } from "./approval_store.ts";
import type { Approval } from "./approval_types.ts";

export interface ApprovalPageDeps {
  database: Database;
  now: () => number;
  csrfKey: Uint8Array;
  /** Cookies get `Secure` when the public URL is https. */
  secure: boolean;
  /** `[server] public_url`'s origin: a post from there is ours behind a reverse proxy too. */
  publicOrigin: string;
  /** `[security] approval_ttl`. */
  ttlMs: number;
  onDecided?: (approval: Approval) => void;
}

function invalidLink(): Response {
  return renderPage(
    <ErrorPage
      title="Link not valid"
      message="This approval link is not valid. Use the link exactly as you received it."
      code="SX-APPROVAL-LINK-INVALID"
    />,
    { status: 404 },
  );
}

const CLOSED_TEXT: Record<string, { title: string; message: string }> = {
  approved: { title: "Already approved", message: "This request was already approved." },
  denied: { title: "Already denied", message: "This request was already denied." },
  used: { title: "Already done", message: "This request was approved and has been carried out." },
  expired: {
    title: "Request expired",
    message: "This request expired before anyone decided. The agent has to ask again.",
  },
};

/** A link that no longer acts: a clear page saying why (who decided is in the audit trail). */
function closedPage(approval: Approval): Response {
  const text = CLOSED_TEXT[approval.status] ?? CLOSED_TEXT.expired;
  return renderPage(
    <ErrorPage title={text.title} message={text.message} code={`approval ${approval.status}`} />,
    { status: 410 },
  );
}

/**
 * `/approvals/:id?t=<token>` on the public listener: the page the webhook's
 * approve and deny links open. GET shows the summary and decides nothing
 * (mail scanners open links); the POST decides, with the link token and a
 * CSRF token bound to this browser. Either link's token can decide either
 * way: both went to the same person.
 */
export function approvalPageRoutes(deps: ApprovalPageDeps): Hono {
  const app = new Hono();
  app.use("/approvals/*", attachBindingCookie);

  const load = async (c: Context, token: string) => {
    const row = await findApprovalRow(deps.database.db, c.req.param("id") ?? "");
    const link = row ? linkKind(row, token) : null;
    if (!row || !link) return invalidLink();
    return { row, link, approval: approvalFromRow(row, deps.now()) };
  };

  app.get("/approvals/:id", async (c) => {
    const loaded = await load(c, c.req.query("t") ?? "");
    if (loaded instanceof Response) return loaded;
    const { approval, link } = loaded;
    if (approval.status !== "pending") return closedPage(approval);
    const { binding } = ensureBinding(c, deps.secure);
    const owner = await findApp(deps.database.db, approval.appId);
    const s = approval.summary;
    return renderPage(
      <ApprovalPage
        approvalId={approval.id}
        appName={owner?.name ?? approval.appId}
        agentId={approval.agentId}
        entityId={approval.entityId}
        provider={approval.provider}
        operation={approval.operation}
        summary={s.text}
        recipients={s.recipients}
        recipientCount={s.recipientCount}
        subject={s.subject}
        resource={s.resource}
        expiresAt={new Date(approval.expiresAt).toISOString()}
        csrfToken={csrfToken(deps.csrfKey, binding, `approval:${approval.id}`)}
        linkToken={c.req.query("t") ?? ""}
        link={link}
        now={deps.now()}
      />,
    );
  });

  app.post("/approvals/:id", async (c) => {
    // Another site's form never decides, whatever it carries (the CSRF token is the second lock).
    const own = { nullOrigin: "ours", publicOrigin: deps.publicOrigin } as const;
    if (foreignPost((name) => c.req.header(name), c.req.url, own)) {
      return renderPage(
        <ErrorPage
          title="Form refused"
          message="This form was sent from another site. Open the approval link again and choose there."
          code="SX-CSRF"
        />,
        { status: 403 },
      );
    }
    const form = await c.req.parseBody();
    const field = (name: string) => typeof form[name] === "string" ? form[name] as string : "";
    const loaded = await load(c, field("t"));
    if (loaded instanceof Response) return loaded;
    const { approval } = loaded;
    if (approval.status !== "pending") return closedPage(approval);
    const bound = readBinding(c, deps.secure);
    if (
      !bound || !verifyCsrf(deps.csrfKey, bound.binding, `approval:${approval.id}`, field("csrf"))
    ) {
      return renderPage(
        <ErrorPage
          title="Form expired"
          message="This form is no longer valid. Open the link again and choose once more."
          code="SX-CSRF"
        />,
        { status: 403 },
      );
    }
    const decision = field("decision");
    if (decision !== "approve" && decision !== "deny") {
      return renderPage(
        <ErrorPage title="Choose Approve or Deny" message="No decision was sent." />,
        { status: 400 },
      );
    }
    try {
      const decided = await decideApproval(deps, {
        id: approval.id,
        decision,
        by: { actor: "link" },
      });
      const approved = decided.status === "approved";
      return renderPage(
        <ResultPage
          title={approved ? "Approved" : "Denied"}
          message={approved
            ? `${decided.agentId} may now make this call, once.`
            : `${decided.agentId} will be told you said no.`}
          status={approved ? "success" : "failure"}
        />,
      );
    } catch (error) {
      if (error instanceof SecurixError && error.code === "SX-APPROVAL-CLOSED") {
        const row = await findApprovalRow(deps.database.db, approval.id);
        return closedPage(approvalFromRow(row!, deps.now()));
      }
      throw error;
    }
  });
  return app;
}
