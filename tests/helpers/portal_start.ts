import assert from "node:assert/strict";

export interface PortalStarted {
  /** The `sx_portal=…` pair to send as a cookie. */
  cookie: string;
  /** The whole Set-Cookie header of the session cookie, attributes included. */
  setCookie: string;
  /** The start page's response to the POST. */
  response: Response;
}

/**
 * Opens a portal link as a browser would: GET the start page (which uses
 * nothing), then press its button (POST with the link token, the CSRF token
 * and the browser-binding cookie the page set). `fetcher` is `fetch` or an
 * in-process `app.fetch`.
 */
export async function startPortal(
  startUrl: string,
  options: {
    fetcher?: (request: Request) => Promise<Response>;
    headers?: Record<string, string>;
    /** Cookies this browser already has (an open portal session, say). */
    cookie?: string;
  } = {},
): Promise<PortalStarted> {
  const fetcher = options.fetcher ?? ((r: Request) => fetch(r));
  const shown = await fetcher(
    new Request(startUrl, {
      headers: { ...options.headers, ...(options.cookie ? { cookie: options.cookie } : {}) },
    }),
  );
  const page = await shown.text();
  assert.equal(shown.status, 200, page);
  const binding = (shown.headers.get("set-cookie") ?? "").split(";")[0];
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  const t = /name="t" value="([^"]+)"/.exec(page)?.[1];
  assert.ok(csrf && t, "the start page carries the link and a CSRF token");
  const url = new URL(startUrl);
  const response = await fetcher(
    new Request(`${url.origin}/portal/start`, {
      method: "POST",
      headers: {
        ...options.headers,
        cookie: [binding, options.cookie].filter(Boolean).join("; "),
        "content-type": "application/x-www-form-urlencoded",
        origin: url.origin,
      },
      body: new URLSearchParams({ t, csrf }),
      redirect: "manual",
    }),
  );
  await response.body?.cancel();
  const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("sx_portal=")) ?? "";
  return { cookie: setCookie.split(";")[0], setCookie, response };
}
