import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { SecurixError } from "../errors/securix_error.ts";
import { logSafeError } from "../errors/log_safe.ts";
import { renderPage } from "../../web/web_routes.ts";
import { anomaliesRoutes } from "./anomalies_routes.tsx";
import { approvalsRoutes } from "./approvals_routes.tsx";
import { appsRoutes } from "./apps_routes.tsx";
import { auditRoutes } from "./audit_routes.tsx";
import { connectionsRoutes } from "./connections_routes.tsx";
import { consoleAssetRoutes } from "./console_assets.ts";
import { requireCsrf } from "./console_csrf.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { AuthLayout } from "./console_layout.tsx";
import { consolePage } from "./console_page.tsx";
import { type ConsoleEnv, requireAdmin } from "./console_session.ts";
import { overviewRoutes } from "./overview_routes.tsx";
import { providersRoutes } from "./providers_routes.tsx";
import { rulesRoutes } from "./rules_routes.tsx";
import { sessionsRoutes } from "./sessions_routes.tsx";
import { type AddressEnv, signInRoutes } from "./sign_in_routes.tsx";
import { webhooksRoutes } from "./webhooks_routes.tsx";
import { requestIdHeader, requestIdOf } from "../http/request_id_header.ts";
import { isolateRequestIds } from "../identifiers/request_id.ts";

export type ConsoleHandler = (req: Request, address: string) => Promise<Response>;

/**
 * The admin console: served on its own listener (`[server] admin_listen`),
 * never on the public one. Every page but sign-in needs an admin session;
 * every POST a CSRF token; every change goes through the command layer with
 * `admin:<name>` as the actor.
 */
/** The largest console form (a rules file edited in place is the big one). */
const MAX_FORM_BYTES = 256 * 1024;

export function createConsole(deps: ConsoleDeps): ConsoleHandler {
  const app = new Hono<ConsoleEnv & AddressEnv>();
  app.use(requestIdHeader(deps.requestIds ?? isolateRequestIds()));
  app.use(async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set("x-content-type-options", "nosniff");
    // Same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts,
    // and the CSRF check wants to see the console's own origin.
    h.set("referrer-policy", "same-origin");
    h.set("x-frame-options", "DENY");
    h.set("cache-control", h.get("cache-control") ?? "no-store");
    if (!h.has("content-security-policy")) {
      h.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    }
  });
  app.use(bodyLimit({
    maxSize: MAX_FORM_BYTES,
    // Thrown, so the error page below answers it (Hono's own 413 became a 500 page).
    onError: () => {
      throw new SecurixError(
        "SX-BODY-TOO-LARGE",
        `The form is larger than ${MAX_FORM_BYTES / 1024} KiB; nothing was saved. ` +
          "Put a rules file that large in rules.d/rules.toml and reload (SIGHUP) instead.",
        { status: 413 },
      );
    },
  }));
  app.route("/", consoleAssetRoutes());
  app.get("/", (c) => c.redirect("/console", 303));
  app.route("/", signInRoutes(deps));

  const pages = new Hono<ConsoleEnv & AddressEnv>();
  pages.use("/console", requireAdmin(deps), requireCsrf(deps));
  pages.use("/console/*", requireAdmin(deps), requireCsrf(deps));
  for (
    const routes of [
      overviewRoutes,
      appsRoutes,
      connectionsRoutes,
      sessionsRoutes,
      rulesRoutes,
      anomaliesRoutes,
      approvalsRoutes,
      webhooksRoutes,
      auditRoutes,
      providersRoutes,
    ]
  ) {
    pages.route("/", routes(deps));
  }
  app.route("/", pages);

  app.onError((error, c) => {
    const requestId = requestIdOf(c);
    if (!(error instanceof SecurixError) || error.status >= 500) {
      deps.log(`console: ${requestId}: ${logSafeError(error)}`);
    }
    const status = error instanceof SecurixError ? error.status : 500;
    const text = error instanceof SecurixError
      ? `${error.code}: ${error.message}`
      : `Something went wrong; the appliance log says what under ${requestId}.`;
    if (c.get("admin")) {
      return consolePage(
        c as never,
        {
          title: "Not done",
          active: "overview",
          status,
          notice: { kind: "bad", text },
        },
        (
          <p>
            <a href="/console">Back to the overview</a>
          </p>
        ),
      );
    }
    return renderPage(
      <AuthLayout title="Not done">
        <p class="notice bad" role="alert">{text}</p>
      </AuthLayout>,
      { status },
    );
  });
  app.notFound((c) => c.text("Not found\n", 404));
  return (req, address) => Promise.resolve(app.fetch(req, { address }));
}
