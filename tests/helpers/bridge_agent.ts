/**
 * An agent process for bridge tests: keeps one provider WebSocket open with
 * `Securix.bridge.maintainWebSocket`, mounts the bridge metrics on its own
 * /metrics, and reports events as JSON lines on stdout. It is given the
 * appliance URL, the app's key and a connection id — never a provider token.
 *
 * deno run -A bridge_agent.ts <baseUrl> <apiKey> <connectionId> <metricsPort>
 */
import { Securix } from "../../src/sdk/server_client.ts";
import client from "prom-client";
import { createBridgeMetrics } from "../../src/sdk/bridge_metrics.ts";

const [baseUrl, apiKey, connectionId, metricsPort] = Deno.args;
const metrics = createBridgeMetrics(client);
const metricsServer = Deno.serve(
  { hostname: "127.0.0.1", port: Number(metricsPort), onListen() {} },
  async () =>
    new Response(await metrics.registry.metrics(), { headers: { "content-type": "text/plain" } }),
);
const say = (event: Record<string, unknown>) => console.log(JSON.stringify(event));
// What the provider sent, kept in this process's memory (the tests' positive control).
const received: string[] = [];
const stop = new AbortController();
Deno.addSignalListener("SIGTERM", () => stop.abort());
const securix = new Securix({ baseUrl, apiKey });
await securix.bridge.maintainWebSocket({
  connectionId,
  url: "wss://stream.provider.example/feed?channel=ticker",
  agentId: "agent-1",
  signal: stop.signal,
  metrics,
  backoff: { initialMs: 50, maxMs: 400 },
  heartbeat: { intervalMs: 200, message: "heartbeat" },
  watchIntervalMs: 150,
  handler: {
    onConnect(send) {
      say({ event: "connect" });
      send("subscribe");
    },
    onMessage(data) {
      const text = typeof data === "string" ? data : new TextDecoder().decode(data);
      received.push(text);
      if (received.length > 1000) received.splice(0, 500);
      say({ event: "message", data: text });
    },
    onDisconnect(info) {
      say({ event: "disconnect", code: info.code, retryInMs: info.retryInMs });
    },
  },
});
say({ event: "stopped", received: received.length });
await metricsServer.shutdown();
