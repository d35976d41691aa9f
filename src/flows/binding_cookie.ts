import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { bindingCookieName, hashBinding, newBinding } from "./browser_binding.ts";

/** Reads the browser-binding cookie, setting a fresh one when absent. */
export function ensureBinding(c: Context, secure: boolean): { binding: string; hash: string } {
  const name = bindingCookieName(secure);
  let binding = getCookie(c, name);
  if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) {
    binding = newBinding();
    setCookie(c, name, binding, {
      httpOnly: true,
      secure,
      sameSite: "Lax",
      path: "/",
      maxAge: 24 * 3600,
    });
  }
  return { binding, hash: hashBinding(binding) };
}

export function readBinding(c: Context, secure: boolean): { binding: string; hash: string } | null {
  const binding = getCookie(c, bindingCookieName(secure));
  return binding ? { binding, hash: hashBinding(binding) } : null;
}
