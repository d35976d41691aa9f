import client from "prom-client";

/**
 * The bridge's Prometheus metrics, in a registry the agent mounts on its own
 * `/metrics` (`registry.metrics()`), as Nexus's bridge offers. Pass the
 * agent's registry to add them to it; one set serves every bridge of the
 * process, told apart by `agent_id`.
 */
export class BridgeMetrics {
  readonly registry: client.Registry;
  /** 1 while the agent's socket to the provider is open. */
  readonly connected: client.Gauge<"agent_id">;
  readonly reconnects: client.Counter<"agent_id">;
  /** Messages the agent sent (`out`) and received (`in`). */
  readonly messages: client.Counter<"agent_id" | "direction">;

  constructor(registry: client.Registry = new client.Registry()) {
    this.registry = registry;
    this.connected = new client.Gauge({
      name: "securix_bridge_connected",
      help: "1 while the bridged WebSocket is open",
      labelNames: ["agent_id"],
      registers: [registry],
    });
    this.reconnects = new client.Counter({
      name: "securix_bridge_reconnects_total",
      help: "Reconnections after a drop, a failed attempt or a token refresh",
      labelNames: ["agent_id"],
      registers: [registry],
    });
    this.messages = new client.Counter({
      name: "securix_bridge_messages_total",
      help: "Messages through the bridge, by direction (in: from the provider, out: to it)",
      labelNames: ["agent_id", "direction"],
      registers: [registry],
    });
  }
}
