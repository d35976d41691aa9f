import type { StoredCredential } from "../connections/connection_types.ts";
import { EMPTY_PAYLOAD_HASH } from "../providers/credential_injection.ts";
import type { HeaderPairs } from "./header_pairs.ts";
import type { ProxyRoute } from "./proxy_route.ts";

type Payload = string | ArrayBuffer | Blob;

/** Close codes the bridge sends on its own account (RFC 6455 §7.4.1). */
export const WS_CLOSE = {
  /** The provider failed the handshake or the connection. */
  upstreamFailed: 1011,
  /** The provider did not answer the handshake within `proxy.upstream_timeout_ms`. */
  upstreamTimeout: 1013,
  /** More than `maxQueuedBytes` sent before the provider answered. */
  queueTooLarge: 1009,
  /** The receiving side is over `maxBufferedBytes` behind: the bridge does not buffer more. */
  backpressure: 1013,
} as const;

/** Bytes of client messages held while the provider has not answered the handshake. */
export const DEFAULT_WS_MAX_QUEUED_BYTES = 1024 * 1024;
/** Bytes either side may have waiting to be sent before the bridge closes both (1013). */
export const DEFAULT_WS_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

const sizeOf = (data: Payload) =>
  typeof data === "string"
    ? data.length * 2 // as held in memory (UTF-16)
    : data instanceof ArrayBuffer
    ? data.byteLength
    : data.size;

/**
 * Bridges a client WebSocket to the provider's: the upstream handshake
 * carries the injected credential (the client never sees it); messages flow
 * both ways; either side closing closes the other. Client messages sent
 * before the upstream is open are queued, bounded in count and bytes (1009
 * past either); a provider that has not opened within `upstreamTimeoutMs`
 * closes the client with 1013 and abandons the handshake. Once both are
 * open, a side whose unsent backlog exceeds `maxBufferedBytes` closes both
 * with 1013 (the WebSocket API cannot pause reading).
 */
export function bridgeWebSocket(options: {
  req: Request;
  route: ProxyRoute;
  upstreamUrl: URL;
  credential: StoredCredential;
  protocols: string[];
  /** How long the provider gets to complete the handshake (`proxy.upstream_timeout_ms`). */
  upstreamTimeoutMs: number;
  maxQueued?: number;
  maxQueuedBytes?: number;
  maxBufferedBytes?: number;
}): Response {
  const headers: HeaderPairs = [];
  const upstreamUrl = new URL(options.upstreamUrl);
  upstreamUrl.protocol = upstreamUrl.protocol === "http:" ? "ws:" : "wss:";
  const url = options.route.inject(options.credential, headers, upstreamUrl, {
    method: "GET",
    payloadHash: EMPTY_PAYLOAD_HASH,
  });
  const { socket: client, response } = Deno.upgradeWebSocket(options.req, {
    protocol: options.protocols[0],
  });
  const upstream = new WebSocket(url, {
    headers: Object.fromEntries(headers),
    protocols: options.protocols,
  } as unknown as string[]);
  upstream.binaryType = "arraybuffer";
  client.binaryType = "arraybuffer";
  const queue: Payload[] = [];
  let queuedBytes = 0;
  const limit = options.maxQueued ?? 1000;
  const byteLimit = options.maxQueuedBytes ?? DEFAULT_WS_MAX_QUEUED_BYTES;
  const bufferLimit = options.maxBufferedBytes ?? DEFAULT_WS_MAX_BUFFERED_BYTES;
  let closed = false;
  const closeBoth = (code = 1011, reason = "") => {
    closed = true;
    clearTimeout(deadline);
    queue.length = 0;
    queuedBytes = 0;
    const valid = code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1011;
    // The WebSocket API lets a client send only 1000 or 3000-4999 (anything else throws,
    // which left the upstream open): the provider gets 1000 for a protocol-level code.
    const upstreamCode = valid === 1000 || valid >= 3000 ? valid : 1000;
    for (const [ws, wsCode] of [[client, valid], [upstream, upstreamCode]] as const) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        try {
          ws.close(wsCode, reason);
        } catch { /* already closing */ }
      }
    }
  };
  // Closing a CONNECTING upstream cancels its handshake and its TCP connection.
  const deadline = setTimeout(() => {
    if (upstream.readyState === WebSocket.CONNECTING) {
      closeBoth(WS_CLOSE.upstreamTimeout, "provider did not answer in time");
    }
  }, options.upstreamTimeoutMs);
  const relay = (to: WebSocket, data: Payload) => {
    if (to.bufferedAmount > bufferLimit) {
      closeBoth(WS_CLOSE.backpressure, "peer is not reading fast enough");
    } else to.send(data);
  };
  client.onmessage = (e) => {
    if (closed) return;
    if (upstream.readyState === WebSocket.OPEN) return relay(upstream, e.data);
    if (upstream.readyState !== WebSocket.CONNECTING) return;
    queuedBytes += sizeOf(e.data);
    if (queuedBytes > byteLimit) {
      closeBoth(WS_CLOSE.queueTooLarge, "too much sent before the provider answered");
    } else if (queue.length < limit) queue.push(e.data);
    else closeBoth(1008, "too many messages before the provider answered");
  };
  upstream.onopen = () => {
    clearTimeout(deadline);
    for (const message of queue.splice(0)) upstream.send(message);
    queuedBytes = 0;
  };
  upstream.onmessage = (e) => {
    if (!closed && client.readyState === WebSocket.OPEN) relay(client, e.data);
  };
  client.onclose = (e) => closeBoth(e.code, e.reason);
  upstream.onclose = (e) => closeBoth(e.code, e.reason);
  upstream.onerror = () => closeBoth(WS_CLOSE.upstreamFailed, "provider connection failed");
  client.onerror = () => closeBoth(1011);
  return response;
}
