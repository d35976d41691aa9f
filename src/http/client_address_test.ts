import assert from "node:assert/strict";
import { Hono } from "hono";
import {
  LOOPBACK_PROXIES,
  trustedProxies,
  trustedProxyEntries,
} from "../config/trusted_proxies.ts";
import { clientAddress, forwardedClient } from "./client_address.ts";

function appReading(entries: readonly string[]) {
  const read = clientAddress(trustedProxies(entries));
  return new Hono().get("/", (c) => c.text(read(c)));
}

const info = { remoteAddr: { transport: "tcp", hostname: "10.0.0.9", port: 4000 } };

Deno.test("client address: behind a trusted proxy, the hop it appended counts, not the client's", async () => {
  const app = appReading(["10.0.0.0/8"]);
  const spoofed = new Request("http://x/", {
    headers: { "x-forwarded-for": "1.2.3.4, 203.0.113.7" },
  });
  assert.equal(await (await app.fetch(spoofed, info)).text(), "203.0.113.7");
  const single = new Request("http://x/", { headers: { "x-forwarded-for": "203.0.113.8" } });
  assert.equal(await (await app.fetch(single, info)).text(), "203.0.113.8");
});

Deno.test("client address: without trust_proxy the socket peer counts, whatever the headers say", async () => {
  const app = appReading([]);
  const req = new Request("http://x/", { headers: { "x-forwarded-for": "1.2.3.4" } });
  assert.equal(await (await app.fetch(req, info)).text(), "10.0.0.9");
});

Deno.test("client address: X-Forwarded-For from a peer outside the trusted list is ignored", async () => {
  // trust_proxy = true means loopback only: a LAN peer cannot pick its own address.
  const app = appReading(trustedProxyEntries(true));
  const req = new Request("http://x/", { headers: { "x-forwarded-for": "198.51.100.1" } });
  assert.equal(await (await app.fetch(req, info)).text(), "10.0.0.9");
});

Deno.test("client address: hops are read from the right past every trusted proxy", () => {
  const trusted = trustedProxies(["127.0.0.1/32", "10.0.0.0/8", "2001:db8::/32"]);
  // client → 10.1.1.1 (edge LB) → 127.0.0.1 (local nginx) → appliance
  assert.equal(
    forwardedClient("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1", trusted),
    "203.0.113.9",
  );
  // IPv4-mapped peers are the same address.
  assert.equal(forwardedClient("::ffff:127.0.0.1", "203.0.113.9", trusted), "203.0.113.9");
  assert.equal(forwardedClient("2001:db8::5", "203.0.113.9", trusted), "203.0.113.9");
  // A hop that is not an address: the trusted hop that passed it on is the client we know.
  assert.equal(forwardedClient("127.0.0.1", "evil, 10.2.2.2", trusted), "10.2.2.2");
  assert.equal(forwardedClient("127.0.0.1", "not-an-ip", trusted), "127.0.0.1");
  // Only trusted hops: the leftmost one.
  assert.equal(forwardedClient("127.0.0.1", "10.3.3.3, 10.1.1.1", trusted), "10.3.3.3");
  // Untrusted peer: headers ignored.
  assert.equal(forwardedClient("192.0.2.1", "10.1.1.1", trusted), "192.0.2.1");
});

Deno.test("trusted proxies: true is loopback, false is nobody, entries are addresses or CIDRs", () => {
  assert.deepEqual(trustedProxyEntries(true), LOOPBACK_PROXIES);
  assert.deepEqual(trustedProxyEntries(false), []);
  const loopback = trustedProxies(trustedProxyEntries(true));
  assert.equal(loopback("127.0.0.1"), true);
  assert.equal(loopback("::1"), true);
  assert.equal(loopback("::ffff:127.0.0.1"), true);
  assert.equal(loopback("10.0.0.1"), false);
  const none = trustedProxies([]);
  assert.equal(none("127.0.0.1"), false);
  const some = trustedProxies(["192.0.2.7", "10.0.0.0/8", "::ffff:172.16.0.0/108"]);
  assert.equal(some("192.0.2.7"), true);
  assert.equal(some("192.0.2.8"), false);
  assert.equal(some("10.200.0.1"), true);
  assert.equal(some("172.16.0.1"), true);
  assert.equal(some("172.32.0.1"), false);
  assert.equal(some("unknown"), false);
});

Deno.test("client address: a forwarded hop counts in one canonical form (no zone id, no mapping)", () => {
  const trusted = trustedProxies(["127.0.0.1/32"]);
  const zoned = `fe80::1%${"a".repeat(5000)}`;
  assert.equal(forwardedClient("127.0.0.1", zoned, trusted), "fe80::1");
  assert.equal(forwardedClient("127.0.0.1", "::ffff:203.0.113.9", trusted), "203.0.113.9");
  assert.equal(forwardedClient("127.0.0.1", "2001:0db8:0:0:0:0:0:1", trusted), "2001:db8::1");
});
