/**
 * Mounts a Securix fetch handler as a Next.js App Router catch-all route.
 *
 * ```ts
 * // app/api/securix/[[...path]]/route.ts
 * // lib/securix.js: downloaded from the appliance (https://<appliance>/sdk/securix.js)
 * import { Securix, toNextJsHandler } from "@/lib/securix.js";
 * import { auth } from "@/auth"; // your own session
 *
 * const securix = new Securix({
 *   baseUrl: process.env.SECURIX_URL!,
 *   apiKey: process.env.SECURIX_API_KEY!,
 * });
 * export const { GET, POST } = toNextJsHandler(securix.toFetchHandler({
 *   getEntityId: async () => (await auth())?.user?.id ?? null,
 *   providers: { gmail: { scopes: ["gmail.readonly"] } },
 * }));
 * ```
 *
 * The default `basePath` (`/api/securix`) matches that file location.
 */
export type FetchHandler = (req: Request) => Promise<Response>;

export interface NextJsRouteHandlers {
  GET: (req: Request) => Promise<Response>;
  POST: (req: Request) => Promise<Response>;
}

export function toNextJsHandler(handler: FetchHandler): NextJsRouteHandlers {
  // Next.js passes a second `{ params }` argument; the handler routes on the URL alone.
  const route = (req: Request) => handler(req);
  return { GET: route, POST: route };
}
