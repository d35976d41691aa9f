import assert from "node:assert/strict";
import { Hono } from "hono";
import { clientAddress } from "./client_address.ts";

function appReading(trustProxy: boolean) {
  const read = clientAddress(trustProxy);
  return new Hono().get("/", (c) => c.text(read(c)));
}

const info = { remoteAddr: { transport: "tcp", hostname: "10.0.0.9", port: 4000 } };

Deno.test("client address: behind a trusted proxy, the hop it appended counts, not the client's", async () => {
  const app = appReading(true);
  const spoofed = new Request("http://x/", {
    headers: { "x-forwarded-for": "1.2.3.4, 203.0.113.7" },
  });
  assert.equal(await (await app.fetch(spoofed, info)).text(), "203.0.113.7");
  const single = new Request("http://x/", { headers: { "x-forwarded-for": "203.0.113.8" } });
  assert.equal(await (await app.fetch(single, info)).text(), "203.0.113.8");
});

Deno.test("client address: without trust_proxy the socket peer counts, whatever the headers say", async () => {
  const app = appReading(false);
  const req = new Request("http://x/", { headers: { "x-forwarded-for": "1.2.3.4" } });
  assert.equal(await (await app.fetch(req, info)).text(), "10.0.0.9");
});
