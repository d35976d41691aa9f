import type * as Prom from "prom-client";
import type { BridgeMetricsSink } from "./bridge.ts";

/** The bridge's metrics as prom-client objects, and the registry that holds them. */
export interface BridgeMetrics extends BridgeMetricsSink {
  readonly registry: Prom.Registry;
  /** 1 while the agent's socket to the provider is open. */
  readonly connected: Prom.Gauge<"agent_id">;
  readonly reconnects: Prom.Counter<"agent_id">;
  /** Messages the agent sent (`out`) and received (`in`). */
  readonly messages: Prom.Counter<"agent_id" | "direction">;
}

/**
 * The bridge's Prometheus metrics, in a registry the agent mounts on its own
 * `/metrics` (`registry.metrics()`), as Nexus's bridge offers. Pass the
 * agent's registry to add them to it; one set serves every bridge of the
 * process, told apart by `agent_id`. prom-client is passed in, not imported:
 * the SDK bundle served at /sdk/securix.js stays small and dependency-free,
 * and an agent that wants metrics brings its own prom-client.
 */
export function createBridgeMetrics(
  client: Pick<typeof Prom, "Registry" | "Gauge" | "Counter">,
  registry: Prom.Registry = new client.Registry(),
): BridgeMetrics {
  return {
    registry,
    connected: new client.Gauge({
      name: "securix_bridge_connected",
      help: "1 while the bridged WebSocket is open",
      labelNames: ["agent_id"],
      registers: [registry],
    }),
    reconnects: new client.Counter({
      name: "securix_bridge_reconnects_total",
      help: "Reconnections after a drop, a failed attempt or a token refresh",
      labelNames: ["agent_id"],
      registers: [registry],
    }),
    messages: new client.Counter({
      name: "securix_bridge_messages_total",
      help: "Messages through the bridge, by direction (in: from the provider, out: to it)",
      labelNames: ["agent_id", "direction"],
      registers: [registry],
    }),
  };
}
