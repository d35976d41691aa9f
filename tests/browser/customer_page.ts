/**
 * A customer's web app as the browser tests need it: a page with the SDK's
 * <securix-button>, and the SDK's fetch handler mounted at /api/securix on
 * the customer's own server, recording every answer it gave the page (so a
 * test can show no token or key ever reached the customer).
 */
import type { Page } from "playwright-core";
import { Securix } from "../../src/sdk/server_client.ts";

export interface CustomerPage {
  origin: string;
  /** The SDK's client for the app (the customer's backend). */
  securix: Securix;
  /** Every body the customer's /api/securix answered its page. */
  seen: string[];
  shutdown(): Promise<void>;
}

export function serveCustomerPage(options: {
  port: number;
  publicUrl: string;
  apiKey: string;
  provider: string;
  label: string;
}): CustomerPage {
  const securix = new Securix({ baseUrl: options.publicUrl, apiKey: options.apiKey });
  const handler = securix.toFetchHandler({
    getEntityId: () => "browser-user",
    basePath: "/api/securix",
  });
  const seen: string[] = [];
  const page = `<!doctype html><html><head><title>Customer</title>
<script type="module" src="${options.publicUrl}/sdk/client.js"></script></head>
<body><h1>Customer app</h1>
<securix-button endpoint="/api/securix" providers="${options.provider}" label="${options.label}"></securix-button>
</body></html>`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port, onListen() {} },
    async (req) => {
      if (new URL(req.url).pathname.startsWith("/api/securix")) {
        const res = await handler(req);
        seen.push(await res.clone().text());
        return res;
      }
      return new Response(page, { headers: { "content-type": "text/html" } });
    },
  );
  return {
    origin: `http://127.0.0.1:${options.port}`,
    securix,
    seen,
    shutdown: () => server.shutdown(),
  };
}

/**
 * Opens the customer's page, keeps the button's `securix-result` as
 * `window.result`, clicks the button and answers the consent popup it opened.
 */
export async function clickConnect(page: Page, origin: string): Promise<Page> {
  await page.goto(origin);
  await page.evaluate(
    `document.querySelector("securix-button").addEventListener("securix-result", (e) => { window.result = e.detail; })`,
  );
  const [popup] = await Promise.all([
    page.waitForEvent("popup"),
    page.locator("securix-button").getByRole("button").click(),
  ]);
  return popup;
}
