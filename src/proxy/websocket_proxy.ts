import type { StoredCredential } from "../connections/connection_types.ts";
import { EMPTY_PAYLOAD_HASH } from "../providers/credential_injection.ts";
import type { HeaderPairs } from "./header_pairs.ts";
import type { ProxyRoute } from "./proxy_route.ts";

type Payload = string | ArrayBuffer | Blob;

/**
 * Bridges a client WebSocket to the provider's: the upstream handshake
 * carries the injected credential (the client never sees it); messages flow
 * both ways; either side closing closes the other. Client messages sent
 * before the upstream is open are queued, bounded.
 */
export function bridgeWebSocket(options: {
  req: Request;
  route: ProxyRoute;
  upstreamUrl: URL;
  credential: StoredCredential;
  protocols: string[];
  maxQueued?: number;
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
  const limit = options.maxQueued ?? 1000;
  const closeBoth = (code = 1011, reason = "") => {
    for (const ws of [client, upstream]) {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
        try {
          ws.close(
            code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : 1011,
            reason,
          );
        } catch { /* already closing */ }
      }
    }
  };
  client.onmessage = (e) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(e.data);
    else if (queue.length < limit) queue.push(e.data);
    else closeBoth(1008, "too many messages before the provider answered");
  };
  upstream.onopen = () => {
    for (const message of queue.splice(0)) upstream.send(message);
  };
  upstream.onmessage = (e) => {
    if (client.readyState === WebSocket.OPEN) client.send(e.data);
  };
  client.onclose = (e) => closeBoth(e.code, e.reason);
  upstream.onclose = (e) => closeBoth(e.code, e.reason);
  upstream.onerror = () => closeBoth(1011, "provider connection failed");
  client.onerror = () => closeBoth(1011);
  return response;
}
