/**
 * Reaching `<provider>.api.localhost:PORT` from unmodified SDKs in tests.
 *
 * The proxy routes by the Host header, so a client must both connect to the
 * appliance on 127.0.0.1 and send `Host: gmail.api.localhost:PORT`. Neither
 * happens by default here: glibc does not resolve `*.localhost` (RFC 6761
 * §6.3 says it should, browsers do, libc does not), and Deno's fetch replaces
 * a Host header set by the caller. Editing /etc/hosts or running a DNS server
 * would touch the machine; instead each SDK is configured through an option
 * it documents for exactly this (choosing its HTTP transport), and the SDK
 * code itself is left alone:
 *
 * - googleapis (gaxios) runs on node-fetch over `node:http` under Deno, and
 *   accepts an `agent`: `localhostAgent()` is a plain `http.Agent` whose DNS
 *   `lookup` maps `*.localhost` to 127.0.0.1 and defers to the system
 *   resolver for every other name.
 * - Octokit uses the global fetch and accepts `request: { fetch }`:
 *   `localhostFetch()` is Deno's own fetch, where requests to `*.localhost`
 *   go through a `Deno.HttpClient` whose transport connects to 127.0.0.1 on
 *   the URL's port. The URL, and so the Host header, stay as the SDK built them.
 */
import { Agent } from "node:http";
import { lookup as systemLookup, type LookupAddress, type LookupOptions } from "node:dns";

/** `localhost` and any name under it: the loopback names of RFC 6761. */
export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return name === "localhost" || name.endsWith(".localhost");
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `dns.lookup`-compatible function: `*.localhost` → 127.0.0.1, else the system resolver. */
export function localhostLookup(
  hostname: string,
  options: LookupOptions | number,
  callback: LookupCallback,
): void {
  const all = typeof options === "object" && options.all === true;
  if (isLocalhostName(hostname)) {
    if (all) callback(null, [{ address: "127.0.0.1", family: 4 }]);
    else callback(null, "127.0.0.1", 4);
    return;
  }
  systemLookup(hostname, typeof options === "number" ? { family: options } : options, callback);
}

/** An `http.Agent` for node:http based clients (gaxios/node-fetch). */
export function localhostAgent(): Agent {
  // The lookup signature node:net expects has several overloads; ours covers them.
  return new Agent({ keepAlive: false, lookup: localhostLookup as never });
}

/**
 * A standard fetch that connects `*.localhost` URLs to 127.0.0.1 (same port)
 * and leaves every other URL to the global fetch. `close()` releases the
 * HTTP clients it made.
 */
export function localhostFetch(): { fetch: typeof fetch; close(): void } {
  const clients = new Map<number, Deno.HttpClient>();
  const clientFor = (port: number) => {
    let client = clients.get(port);
    if (!client) {
      client = Deno.createHttpClient({ proxy: { transport: "tcp", hostname: "127.0.0.1", port } });
      clients.set(port, client);
    }
    return client;
  };
  const pinned: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input);
    if (!isLocalhostName(url.hostname)) return fetch(input, init);
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    return fetch(input, { ...init, client: clientFor(port) });
  };
  return {
    fetch: pinned,
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
