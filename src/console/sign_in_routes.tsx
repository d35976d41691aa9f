import { type Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import { encodeBase32NoPadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import {
  acceptTotpStep,
  type Admin,
  findAdmin,
  getAdmin,
  matchTotpCode,
  readTotpKey,
} from "../admins/admin_store.ts";
import { endAdminSession, startAdminSession } from "../admins/admin_session_store.ts";
import { redeemLoginLink } from "../admins/login_link_store.ts";
import { hashPassword, verifyPassword } from "../admins/password_hash.ts";
import { qrSvg } from "../admins/qr_code.ts";
import { totpUri } from "../admins/totp.ts";
import { adminActor } from "../audit/actor.ts";
import { recordAdminEventNow } from "../audit/admin_event.ts";
import { csrfToken, verifyCsrf } from "../flows/csrf.ts";
import { renderPage } from "../../web/web_routes.ts";
import { requireCsrf } from "./console_csrf.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { AuthLayout } from "./console_layout.tsx";
import {
  clearedCookie,
  consoleCookie,
  type ConsoleEnv,
  PRE_SESSION_COOKIE,
  requireAdmin,
  SESSION_COOKIE,
  sessionCookie,
} from "./console_session.ts";
import { raw } from "hono/html";

/** The client address the listener determined (peer, or X-Forwarded-For from a trusted proxy). */
export type AddressEnv = { Bindings: { address: string } };

// Compared against when the name is unknown, so timing does not tell names apart.
let decoyHash: Promise<string> | null = null;

function preSession(c: Context): { value: string; cookie: string | null } {
  const existing = getCookie(c, PRE_SESSION_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { value: existing, cookie: null };
  const value = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
  return { value, cookie: consoleCookie(c, PRE_SESSION_COOKIE, value, 3600) };
}

function withCookies(response: Response, cookies: (string | null)[]): Response {
  for (const cookie of cookies) if (cookie) response.headers.append("set-cookie", cookie);
  return response;
}

function redirect(to: string, cookies: (string | null)[] = []): Response {
  return withCookies(new Response(null, { status: 303, headers: { location: to } }), cookies);
}

function SignInForm(props: { csrf: string; error?: string; name?: string }) {
  return (
    <AuthLayout title="Sign in">
      {props.error ? <p class="notice bad" role="alert">{props.error}</p> : null}
      <form method="post" action="/console/sign-in">
        <input type="hidden" name="_csrf" value={props.csrf} />
        <div class="field">
          <label for="name">Admin name</label>
          <input id="name" name="name" autocomplete="username" required value={props.name ?? ""} />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
          />
        </div>
        <div class="field">
          <label for="code">Authenticator code</label>
          <input
            id="code"
            name="code"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
            aria-describedby="code-help"
          />
          <small id="code-help" class="chart-note">
            Leave empty the first time: you will set up your authenticator next.
          </small>
        </div>
        <button type="submit">Sign in</button>
      </form>
    </AuthLayout>
  );
}

/** Sign-in (password + TOTP), TOTP enrolment, one-time login links, sign-out. */
export function signInRoutes(deps: ConsoleDeps): Hono<ConsoleEnv & AddressEnv> {
  const app = new Hono<ConsoleEnv & AddressEnv>();
  const db = deps.database.db;
  const audit = (kind: Parameters<typeof recordAdminEventNow>[1]["kind"], by: string, data = {}) =>
    recordAdminEventNow(deps.database, { kind, by: adminActor(by), data }, deps.now());

  app.get("/console/sign-in", (c) => {
    const pre = preSession(c);
    const csrf = csrfToken(deps.csrfKey, pre.value, "sign-in");
    return withCookies(renderPage(<SignInForm csrf={csrf} />), [pre.cookie]);
  });

  app.post("/console/sign-in", async (c) => {
    const pre = preSession(c);
    const form = await c.req.parseBody();
    const field = (k: string) => typeof form[k] === "string" ? (form[k] as string) : "";
    const csrf = csrfToken(deps.csrfKey, pre.value, "sign-in");
    if (!verifyCsrf(deps.csrfKey, pre.value, "sign-in", field("_csrf"))) {
      return withCookies(
        renderPage(<SignInForm csrf={csrf} error="The form expired; please try again." />, {
          status: 403,
        }),
        [pre.cookie],
      );
    }
    const name = field("name").trim().slice(0, 63);
    const address = c.env?.address ?? "unknown";
    const now = deps.now();
    // Counted as failed before the (slow) check, so concurrent guesses cannot outrun the lockout.
    const reservation = await deps.lockout.reserve(name, address, now);
    const retry = reservation.retryAfterS;
    if (retry !== null) {
      return withCookies(
        renderPage(
          <SignInForm
            csrf={csrf}
            name={name}
            error={`Too many failed sign-ins. Try again in ${Math.ceil(retry / 60)} min.`}
          />,
          { status: 429, headers: { "retry-after": String(retry) } },
        ),
        [pre.cookie],
      );
    }
    const admin = name ? await findAdmin(db, name) : null;
    decoyHash ??= hashPassword(crypto.randomUUID());
    const passwordOk = await verifyPassword(
      field("password"),
      admin?.passwordHash ?? await decoyHash,
    );
    let outcome: "signed_in" | "enrol" | "failed" = "failed";
    let counter: number | null = null;
    if (admin && passwordOk) {
      if (admin.totpConfirmedAt === null) outcome = "enrol";
      else {
        counter = await matchTotpCode(deps.vault, admin, field("code").trim(), now);
        if (counter !== null && await acceptTotpStep(db, admin, counter, now)) {
          outcome = "signed_in";
        }
      }
    }
    if (outcome === "failed") {
      await audit("admin.console.sign_in_failed", name || "-", { address });
      return withCookies(
        renderPage(
          <SignInForm csrf={csrf} name={name} error="Wrong name, password or code." />,
          { status: 401 },
        ),
        [pre.cookie],
      );
    }
    await deps.lockout.succeeded(reservation);
    const { token } = await startAdminSession(
      db,
      admin!.id,
      outcome === "enrol" ? "enrol" : "password",
      now,
    );
    if (outcome === "signed_in") {
      await audit("admin.console.signed_in", admin!.name, { via: "password", address });
    }
    return redirect(outcome === "enrol" ? "/console/enrol" : "/console", [
      sessionCookie(c, token),
      clearedCookie(c, PRE_SESSION_COOKIE),
    ]);
  });

  const enrol = new Hono<ConsoleEnv & AddressEnv>();
  enrol.use("/console/enrol", requireAdmin(deps), requireCsrf(deps));
  const enrolPage = async (admin: Admin, csrf: string, error?: string, status = 200) => {
    const key = await readTotpKey(deps.vault, admin);
    const uri = totpUri(admin.name, key);
    const svg = await qrSvg(uri);
    return renderPage(
      <AuthLayout title="Set up your authenticator">
        <p>
          Scan this code with an authenticator app (any TOTP app), then type the 6-digit code it
          shows. Every later sign-in asks for a fresh code.
        </p>
        <div class="qr" role="img" aria-label="QR code of the authenticator key">{raw(svg)}</div>
        <p>
          Or type this key: <code class="secret" data-totp-key>{encodeBase32NoPadding(key)}</code>
        </p>
        {error ? <p class="notice bad" role="alert">{error}</p> : null}
        <form method="post" action="/console/enrol">
          <input type="hidden" name="_csrf" value={csrf} />
          <div class="field">
            <label for="code">Code from the app</label>
            <input
              id="code"
              name="code"
              inputmode="numeric"
              autocomplete="one-time-code"
              pattern="[0-9]{6}"
              required
            />
          </div>
          <button type="submit">Confirm and sign in</button>
        </form>
      </AuthLayout>,
      { status },
    );
  };
  enrol.get("/console/enrol", (c) => enrolPage(c.get("admin"), c.get("csrf")));
  enrol.post("/console/enrol", async (c) => {
    const admin = c.get("admin");
    const form = await c.req.parseBody();
    const code = typeof form.code === "string" ? form.code.trim() : "";
    const now = deps.now();
    const address = c.env?.address ?? "unknown";
    const reservation = await deps.lockout.reserve(admin.name, address, now);
    if (reservation.retryAfterS !== null) {
      return await enrolPage(admin, c.get("csrf"), "Too many wrong codes; try again later.", 429);
    }
    const counter = await (deps.checkEnrolmentCode ?? matchTotpCode)(deps.vault, admin, code, now);
    if (counter === null || !await acceptTotpStep(db, admin, counter, now)) {
      return await enrolPage(
        admin,
        c.get("csrf"),
        "That code does not match; try the next one.",
        401,
      );
    }
    await deps.lockout.succeeded(reservation);
    await endAdminSession(db, getCookie(c, SESSION_COOKIE)!);
    const { token } = await startAdminSession(db, admin.id, "password", now);
    await audit("admin.console.signed_in", admin.name, { via: "enrolment", address });
    return redirect("/console", [sessionCookie(c, token)]);
  });
  app.route("/", enrol);

  // A GET only shows a button: link previews and prefetchers must not use the link up.
  app.get("/console/link/:token", (c) => {
    const pre = preSession(c);
    const csrf = csrfToken(deps.csrfKey, pre.value, "login-link");
    return withCookies(
      renderPage(
        <AuthLayout title="One-time sign-in">
          <p>This link signs you in once, within 10 minutes of its creation.</p>
          <form method="post" action={`/console/link/${c.req.param("token")}`}>
            <input type="hidden" name="_csrf" value={csrf} />
            <button type="submit">Sign in</button>
          </form>
        </AuthLayout>,
      ),
      [pre.cookie],
    );
  });
  app.post("/console/link/:token", async (c) => {
    const pre = preSession(c);
    const form = await c.req.parseBody();
    const presented = typeof form._csrf === "string" ? form._csrf : "";
    const now = deps.now();
    const address = c.env?.address ?? "unknown";
    const refused = (status: number, text: string) =>
      renderPage(
        <AuthLayout title="Link not valid">
          <p class="notice bad" role="alert">{text}</p>
          <p>
            Ask for a new one on the appliance with <code>securix admin login-link NAME</code>
            {", or "}
            <a href="/console/sign-in">sign in</a>.
          </p>
        </AuthLayout>,
        { status },
      );
    if (!verifyCsrf(deps.csrfKey, pre.value, "login-link", presented)) {
      return refused(403, "The form expired; open the link again.");
    }
    // Per address only (no admin name): bad links lock out their sender, not every admin's links.
    const reservation = await deps.lockout.reserve(null, address, now);
    if (reservation.retryAfterS !== null) {
      return refused(429, "Too many failed sign-ins from this address; try again later.");
    }
    const adminId = await (deps.redeemLoginLink ?? redeemLoginLink)(db, c.req.param("token"), now);
    const admin = adminId ? await getAdmin(db, adminId) : null;
    if (!admin) {
      return refused(401, "This login link is unknown, used or expired.");
    }
    await deps.lockout.succeeded(reservation);
    const { token } = await startAdminSession(db, admin.id, "link", now);
    await audit("admin.console.signed_in", admin.name, { via: "login_link", address });
    return redirect("/console", [sessionCookie(c, token), clearedCookie(c, PRE_SESSION_COOKIE)]);
  });

  const out = new Hono<ConsoleEnv & AddressEnv>();
  out.use("/console/sign-out", requireAdmin(deps), requireCsrf(deps));
  out.post("/console/sign-out", async (c) => {
    await endAdminSession(db, getCookie(c, SESSION_COOKIE)!);
    await audit("admin.console.signed_out", c.get("admin").name);
    return redirect("/console/sign-in", [clearedCookie(c, SESSION_COOKIE)]);
  });
  app.route("/", out);
  return app;
}
