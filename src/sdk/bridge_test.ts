import assert from "node:assert/strict";
import { maintainWebSocket, proxyUrl } from "./bridge.ts";
import client from "prom-client";
import { createBridgeMetrics } from "./bridge_metrics.ts";

Deno.test("bridge: the provider URL's path and query go to the appliance's proxy for the provider", () => {
  assert.equal(
    proxyUrl("https://securix.example.com", "slack", "wss://wss.slack.com/link/?ticket=1"),
    "wss://securix.example.com/proxy/slack/link/?ticket=1",
  );
  assert.equal(
    proxyUrl("http://127.0.0.1:8080/", "feed", "/v1/feed"),
    "ws://127.0.0.1:8080/proxy/feed/v1/feed",
  );
});

Deno.test("bridge: selector headers, refresh-triggered reconnect at once, jittered growing backoff on refusals, abort stops", async () => {
  const handshakes: Headers[] = [];
  let refuse = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    handshakes.push(new Headers(req.headers));
    if (refuse) return new Response("no", { status: 401 });
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => socket.send("hi");
    return response;
  });
  let expiresAt = "2030-01-01T00:00:00.000Z";
  const disconnects: (number | null)[] = [];
  const stop = new AbortController();
  let greetings = 0;
  const metrics = createBridgeMetrics(client);
  const done = maintainWebSocket({
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    apiKey: "sx_key",
    lookup: () => Promise.resolve({ provider: "feed", status: "active", expiresAt }),
  }, {
    connectionId: "con_abc",
    url: "/feed",
    agentId: "agent-7",
    signal: stop.signal,
    metrics,
    watchIntervalMs: 20,
    backoff: { initialMs: 10, maxMs: 80 },
    random: () => 0.999,
    now: () => Date.parse("2029-01-01T00:00:00Z"),
    handler: {
      onMessage: () => void greetings++,
      onDisconnect: (info) => disconnects.push(info.retryInMs),
    },
  });
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(check());
  };
  await until(() => greetings === 1);
  assert.equal(handshakes[0].get("securix-api-key"), "sx_key");
  assert.equal(handshakes[0].get("securix-agent-id"), "agent-7");
  assert.equal(handshakes[0].get("securix-connection-id"), "con_abc");
  assert.equal(handshakes[0].has("securix-entity-id"), false);
  // The appliance refreshed the token: the bridge reconnects without waiting.
  expiresAt = "2030-01-01T01:00:00.000Z";
  await until(() => greetings === 2);
  assert.equal(disconnects[0], 0);
  // Refusals: the delay ceiling doubles up to maxMs.
  refuse = true;
  expiresAt = "2030-01-01T02:00:00.000Z";
  await until(() => disconnects.length >= 6);
  assert.deepEqual(disconnects.slice(1, 6), [0, 9, 19, 39, 79]);
  // The provider takes the agent back; stopping then closes the open socket for good.
  refuse = false;
  await until(() => greetings === 3);
  stop.abort();
  await done;
  assert.equal(disconnects.at(-1), null);
  const text = await metrics.registry.metrics();
  assert.match(text, /securix_bridge_connected\{agent_id="agent-7"\} 0/);
  assert.match(text, /securix_bridge_messages_total\{agent_id="agent-7",direction="in"\} 3/);
  await server.shutdown();
});

Deno.test("bridge: connectionId, or entityId with provider; never both", async () => {
  const deps = {
    baseUrl: "http://127.0.0.1:1",
    apiKey: "k",
    lookup: () => Promise.reject(new Error("x")),
  };
  const handler = { onMessage() {} };
  await assert.rejects(
    () =>
      maintainWebSocket(deps, {
        connectionId: "con_a",
        entityId: "u",
        provider: "p",
        url: "/",
        agentId: "a",
        handler,
      }),
    TypeError,
  );
  await assert.rejects(
    () => maintainWebSocket(deps, { entityId: "u", url: "/", agentId: "a", handler }),
    TypeError,
  );
});

Deno.test("bridge: a handshake that never completes times out and is retried with backoff", async () => {
  // Accepts TCP, reads the upgrade request, never answers it.
  const hole = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  let eofs = 0;
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of hole) {
      accepted++;
      held.push(conn);
      (async () => {
        const buf = new Uint8Array(4096);
        while (await conn.read(buf) !== null) { /* never answered */ }
        eofs++;
      })().catch(() => {});
    }
  })().catch(() => {});
  const disconnects: { code: number; reason: string; retryInMs: number | null }[] = [];
  const stop = new AbortController();
  const done = maintainWebSocket({
    baseUrl: `http://127.0.0.1:${hole.addr.port}`,
    apiKey: "sx_key",
    lookup: () => Promise.resolve({ provider: "feed", status: "active" }),
  }, {
    connectionId: "con_abc",
    url: "/feed",
    agentId: "agent-7",
    signal: stop.signal,
    handshakeTimeoutMs: 200,
    backoff: { initialMs: 10, maxMs: 20 },
    handler: { onMessage() {}, onDisconnect: (info) => void disconnects.push(info) },
  });
  try {
    for (let i = 0; i < 300 && disconnects.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(disconnects.length >= 2, `${disconnects.length} disconnects after 3 s`);
    assert.equal(disconnects[0].code, 1006);
    assert.match(disconnects[0].reason, /handshake within 200 ms/);
    assert.notEqual(disconnects[0].retryInMs, null, "a timed-out handshake is retried");
    assert.ok(accepted >= 2, "the bridge connected again");
    // The abandoned attempt's TCP connection was closed, not left open.
    for (let i = 0; i < 300 && eofs < 1; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(eofs >= 1, "the timed-out handshake's connection is still open");
  } finally {
    stop.abort();
    await done;
    for (const c of held) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    hole.close();
  }
});
