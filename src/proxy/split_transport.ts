import { pairValue } from "./header_pairs.ts";
import type { UpstreamRequest, UpstreamTransport } from "./upstream_transport.ts";

/**
 * Requests that carry a body (or declare one with Content-Length) go through
 * `withBody`, the node:http transport that keeps the caller's framing: fetch
 * re-sends a streamed body chunked, and some APIs refuse chunked uploads.
 * Bodyless requests go through `bodyless`, fetch, whose answers stream from
 * socket to caller natively: node:http hands every chunk of a large download
 * to JavaScript, and the garbage grew a 200 MB download by 17–102 MB
 * (tests/proxy_streaming_test.ts allows 32). An own HTTP/1.1 client reading
 * into reused buffers (issue #16) replaces both.
 */
export function splitTransport(
  withBody: UpstreamTransport,
  bodyless: UpstreamTransport,
): UpstreamTransport {
  return {
    forward(request: UpstreamRequest) {
      const hasBody = request.body !== null ||
        pairValue(request.headers, "content-length") !== null;
      return (hasBody ? withBody : bodyless).forward(request);
    },
    close() {
      withBody.close?.();
      bodyless.close?.();
    },
  };
}
