import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { serialize } from "hono/utils/cookie";
import { bindingCookieName, hashBinding, newBinding } from "./browser_binding.ts";

/** Reads the browser-binding cookie, setting a fresh one when absent. */
export function ensureBinding(c: Context, secure: boolean): { binding: string; hash: string } {
  const name = bindingCookieName(secure);
  const issued = c.get("securixBinding" as never) as string | undefined;
  let binding = issued ?? getCookie(c, name);
  if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) {
    binding = newBinding();
    c.set("securixBinding" as never, binding as never);
    // Pages are returned as ready-made Responses, so the cookie is attached
    // by `attachBindingCookie` rather than through Hono's context headers.
    c.set(
      "securixSetCookie" as never,
      serialize(name, binding, {
        httpOnly: true,
        secure,
        sameSite: "Lax",
        path: "/",
        maxAge: 24 * 3600,
      }) as never,
    );
  }
  return { binding, hash: hashBinding(binding) };
}

export function readBinding(c: Context, secure: boolean): { binding: string; hash: string } | null {
  const binding = getCookie(c, bindingCookieName(secure));
  return binding ? { binding, hash: hashBinding(binding) } : null;
}

/** Middleware: adds a freshly issued binding cookie to whatever response the route returned. */
export async function attachBindingCookie(c: Context, next: () => Promise<void>): Promise<void> {
  await next();
  const cookie = c.get("securixSetCookie" as never) as string | undefined;
  if (cookie) {
    const headers = new Headers(c.res.headers);
    headers.append("set-cookie", cookie);
    c.res = new Response(c.res.body, {
      status: c.res.status,
      statusText: c.res.statusText,
      headers,
    });
  }
}
