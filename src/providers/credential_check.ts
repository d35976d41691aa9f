import type { StoredCredential } from "../connections/connection_types.ts";
import type { HeaderPairs } from "../proxy/header_pairs.ts";
import type { ProxyRoute } from "../proxy/proxy_route.ts";
import { upstreamUrl } from "../proxy/upstream_url.ts";
import type { UpstreamTransport } from "../proxy/upstream_transport.ts";
import { EMPTY_PAYLOAD_HASH } from "./credential_injection.ts";
import type { TestRequest } from "./provider_definition.ts";

/** What the provider said to a credential typed into the form. */
export type CredentialCheck =
  | { ok: true; status: number }
  /** `status` null: the provider could not be reached. `reason` never quotes the provider. */
  | { ok: false; status: number | null; reason: string };

export interface CredentialCheckDeps {
  upstream: UpstreamTransport;
  timeoutMs: number;
}

const PHRASES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * Makes the provider's `test_request` with `credential`, through the route's
 * own injection and the proxy's transport, so a credential is stored only if
 * the call the proxy would make with it succeeds. The answer's body is
 * discarded unread: what the provider writes there may quote the key.
 */
export async function checkCredential(
  deps: CredentialCheckDeps,
  route: ProxyRoute,
  test: TestRequest,
  credential: StoredCredential,
): Promise<CredentialCheck> {
  const q = test.path.indexOf("?");
  const url = upstreamUrl(
    route.baseUrl,
    q === -1 ? test.path : test.path.slice(0, q),
    q === -1 ? "" : test.path.slice(q),
  );
  const headers: HeaderPairs = [["accept", "application/json"], ["accept-encoding", "identity"]];
  if (test.method === "POST") headers.push(["content-length", "0"]);
  const target = route.inject(credential, headers, url, {
    method: test.method,
    payloadHash: EMPTY_PAYLOAD_HASH,
  });
  let status: number;
  try {
    const response = await deps.upstream.forward({
      method: test.method,
      url: target,
      headers,
      body: null,
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    status = response.status;
    if (response.body instanceof ReadableStream) await response.body.cancel().catch(() => {});
  } catch {
    return { ok: false, status: null, reason: "the provider could not be reached" };
  }
  if (status === test.expectStatus) return { ok: true, status };
  const phrase = PHRASES[status];
  const said = phrase ? `${status} ${phrase}` : String(status);
  const reason = status === 401 || status === 403
    ? `the provider refused this credential (${said})`
    : `the provider answered ${said} instead of ${test.expectStatus}`;
  return { ok: false, status, reason };
}
