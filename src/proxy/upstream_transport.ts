import type { HeaderPairs } from "./header_pairs.ts";

/** One request to a provider, already confined to its API and carrying the credential. */
export interface UpstreamRequest {
  method: string;
  url: URL;
  /**
   * Sent as given, lower-case names: the transport adds nothing but what
   * HTTP/1.1 needs (Host, connection).
   */
  headers: HeaderPairs;
  /** Framed by the `content-length` or `transfer-encoding` header in `headers`. */
  body: ReadableStream<Uint8Array> | null;
  /** Aborting ends the upstream request (timeout, client gone). */
  signal: AbortSignal;
}

export interface UpstreamResponse {
  status: number;
  statusText: string;
  /** As the provider sent them (names in its case); not yet validated as `Headers` would. */
  headers: HeaderPairs;
  /**
   * Null when the answer has no body (HEAD, 204, 304); bytes for a small
   * answer read whole (it has a Content-Length).
   */
  body: ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | null;
  /**
   * The transport undid a gzip/br coding on its own (fetch does), so the
   * provider's Content-Encoding and Content-Length no longer describe `body`.
   */
  decoded: boolean;
}

/** How the proxy reaches a provider; injectable so tests can stand in for the network. */
export interface UpstreamTransport {
  forward(request: UpstreamRequest): Promise<UpstreamResponse>;
  /** Drops pooled connections (at shutdown). */
  close?(): void;
}
