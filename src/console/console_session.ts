import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { serialize } from "hono/utils/cookie";
import { type Admin, getAdmin } from "../admins/admin_store.ts";
import {
  type AdminSession,
  resumeAdminSession,
  SESSION_TTL_MS,
} from "../admins/admin_session_store.ts";
import { csrfToken } from "../flows/csrf.ts";
import type { ConsoleDeps } from "./console_deps.ts";

export const SESSION_COOKIE = "sx_console";
/** Only for the sign-in form's CSRF token, before there is a session. */
export const PRE_SESSION_COOKIE = "sx_console_pre";

export type ConsoleEnv = {
  Variables: { admin: Admin; session: AdminSession; csrf: string };
};

/** Secure cookies when the browser reached the console over https (directly or via its proxy). */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" ||
    c.req.header("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

/** HttpOnly, SameSite=Strict: another site can neither read the cookie nor make the browser send it. */
export function consoleCookie(c: Context, name: string, value: string, maxAgeS: number): string {
  return serialize(name, value, {
    httpOnly: true,
    secure: isHttps(c),
    sameSite: "Strict",
    path: "/",
    maxAge: maxAgeS,
  });
}

export function sessionCookie(c: Context, token: string): string {
  return consoleCookie(c, SESSION_COOKIE, token, SESSION_TTL_MS / 1000);
}

export function clearedCookie(c: Context, name: string): string {
  return consoleCookie(c, name, "", 0);
}

export function sessionCsrf(deps: ConsoleDeps, session: AdminSession): string {
  return csrfToken(deps.csrfKey, session.id, "console");
}

/**
 * The signed-in admin from the session cookie, or a redirect to sign-in
 * (a page) / 401 (anything else). A session in enrolment (`via: enrol`)
 * reaches only the enrolment page.
 */
export function requireAdmin(deps: ConsoleDeps): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSession(c, next) {
    const token = getCookie(c, SESSION_COOKIE);
    const session = token && /^[A-Za-z0-9_-]{43}$/.test(token)
      ? await resumeAdminSession(deps.database.db, token, deps.now())
      : null;
    const admin = session ? await getAdmin(deps.database.db, session.adminId) : null;
    const enrolling = session?.via === "enrol";
    // The path as routed (percent-decoded): `/console/%65nrol` is the enrol page too.
    const onEnrolPage = c.req.path === "/console/enrol";
    if (!session || !admin || enrolling !== onEnrolPage) {
      if (c.req.method === "GET" || c.req.method === "HEAD") {
        const to = enrolling
          ? "/console/enrol"
          : session && admin
          ? "/console"
          : "/console/sign-in";
        return c.redirect(to, 303);
      }
      return c.text("Sign in first\n", 401);
    }
    c.set("admin", admin);
    c.set("session", session);
    c.set("csrf", sessionCsrf(deps, session));
    await next();
  };
}
