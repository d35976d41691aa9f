import { decodedByFetch } from "./header_hygiene.ts";
import type { UpstreamTransport } from "./upstream_transport.ts";

/**
 * A `fetch` as the upstream transport: for test doubles. Deno's fetch sends a
 * streamed body chunked whatever its declared length and adds accept,
 * accept-language, accept-encoding and user-agent, so the proxy itself uses
 * the node:http transport (http_transport.ts).
 */
export function fetchTransport(fetchImpl: typeof fetch): UpstreamTransport {
  return {
    async forward({ method, url, headers, body, signal }) {
      const response = await fetchImpl(url, {
        method,
        headers,
        body,
        redirect: "manual",
        signal,
        // @ts-ignore: Deno and undici need duplex for streamed request bodies
        duplex: body ? "half" : undefined,
      });
      return {
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers],
        body: response.body,
        decoded: response.body !== null && method !== "HEAD" && decodedByFetch(response.headers),
      };
    },
  };
}
