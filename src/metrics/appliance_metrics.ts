import client from "prom-client";
import { ProxyTally } from "./proxy_tally.ts";

/** One registry's metrics as `getMetricsAsJSON` gives them: what serving isolates hand over. */
export type MetricsSnapshot = Awaited<ReturnType<client.Registry["getMetricsAsJSON"]>>;

/**
 * The appliance's Prometheus metrics (prom-client). Domains never import
 * this: they expose callbacks, and the HTTP wiring connects them here.
 */
export class ApplianceMetrics {
  readonly registry = new client.Registry();
  readonly proxyRequests: client.Counter<"provider" | "status">;
  readonly proxyLatency: client.Histogram<"provider">;
  readonly upstreamLatency: client.Histogram<"provider">;
  readonly refreshes: client.Counter<"outcome">;
  readonly webhookDeliveries: client.Counter<"outcome">;
  readonly webhookQueueDepth: client.Gauge;
  readonly sessions: client.Counter<"flow" | "outcome">;
  readonly auditBatchLag: client.Histogram;
  readonly auditPending: client.Gauge;
  readonly authFailures: client.Counter<"reason">;
  readonly openConnections: client.Gauge<"listener">;
  readonly shedConnections: client.Counter<"listener">;
  readonly acceptedConnections: client.Counter<"isolate">;
  readonly backupLastSuccess: client.Gauge;
  readonly providerThrottles: client.Counter<"provider">;
  readonly connectionThrottles: client.Counter<"connection">;
  /** Connections with a label of their own in `connectionThrottles`; the rest count as "other". */
  readonly #throttledConnections = new Set<string>();
  readonly anomalies: client.Counter<"detector" | "action">;
  /** The three proxy metrics above, counted per request and added into them on collect. */
  readonly #proxyTally: ProxyTally;

  constructor(
    sources: { webhookQueueDepth?: () => Promise<number>; auditPending?: () => number } = {},
  ) {
    const registers = [this.registry];
    const buckets = [
      0.0005,
      0.001,
      0.0025,
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
    ];
    // Any of the three collected first hands over all three (the tally is set below).
    const flushProxy = () => this.#proxyTally.flush();
    this.proxyRequests = new client.Counter({
      name: "securix_proxy_requests_total",
      help: "Proxied requests by provider and response status",
      labelNames: ["provider", "status"],
      registers,
      collect: flushProxy,
    });
    this.proxyLatency = new client.Histogram({
      name: "securix_proxy_duration_seconds",
      help: "Time from request to response headers through the proxy",
      labelNames: ["provider"],
      buckets,
      registers,
      collect: flushProxy,
    });
    this.upstreamLatency = new client.Histogram({
      name: "securix_upstream_duration_seconds",
      help: "Time the upstream API took to answer with headers",
      labelNames: ["provider"],
      buckets,
      registers,
      collect: flushProxy,
    });
    this.#proxyTally = new ProxyTally(
      this.proxyRequests,
      this.proxyLatency,
      this.upstreamLatency,
      buckets,
    );
    this.refreshes = new client.Counter({
      name: "securix_token_refreshes_total",
      help: "Token refreshes by outcome (success, failure, invalid_grant, reused)",
      labelNames: ["outcome"],
      registers,
    });
    this.webhookDeliveries = new client.Counter({
      name: "securix_webhook_deliveries_total",
      help: "Webhook delivery attempts by outcome (delivered, retry, dead)",
      labelNames: ["outcome"],
      registers,
    });
    const depth = sources.webhookQueueDepth;
    this.webhookQueueDepth = new client.Gauge({
      name: "securix_webhook_queue_depth",
      help: "Webhook deliveries waiting to be sent",
      registers,
      async collect() {
        if (depth) this.set(await depth());
      },
    });
    this.sessions = new client.Counter({
      name: "securix_auth_sessions_total",
      help: "Auth sessions by flow and outcome (created, completed, failed, expired)",
      labelNames: ["flow", "outcome"],
      registers,
    });
    this.auditBatchLag = new client.Histogram({
      name: "securix_audit_batch_lag_seconds",
      help: "Age of the oldest event in each audit batch when it was written",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.authFailures = new client.Counter({
      name: "securix_auth_failures_total",
      help:
        "Requests refused before an app was known, by reason (missing_key, invalid_key, locked_out; on the proxy also bad_request_target, headers_too_large, body_too_large)",
      labelNames: ["reason"],
      registers,
    });
    const pending = sources.auditPending;
    this.auditPending = new client.Gauge({
      name: "securix_audit_pending_events",
      help: "Audit events buffered and not yet written",
      registers,
      collect() {
        if (pending) this.set(pending());
      },
    });
    this.openConnections = new client.Gauge({
      name: "securix_http_open_connections",
      help: "Client connections open now, by listener (public, metrics)",
      labelNames: ["listener"],
      registers,
    });
    this.shedConnections = new client.Counter({
      name: "securix_http_shed_connections_total",
      help: "Client connections refused with 503 SX-OVERLOADED at the connection cap",
      labelNames: ["listener"],
      registers,
    });
    this.acceptedConnections = new client.Counter({
      name: "securix_http_accepted_connections_total",
      help:
        "Client connections accepted on the public listener, by serving isolate (0 = the main one; [server] workers)",
      labelNames: ["isolate"],
      registers,
    });
    this.providerThrottles = new client.Counter({
      name: "securix_provider_throttled_total",
      help:
        "Provider answers with status 429 (the provider's rate limit, passed through), by provider",
      labelNames: ["provider"],
      registers,
    });
    this.connectionThrottles = new client.Counter({
      name: "securix_connection_throttled_total",
      help:
        'Provider 429 answers by connection id (the first 100 connections throttled; later ones as "other")',
      labelNames: ["connection"],
      registers,
    });
    this.backupLastSuccess = new client.Gauge({
      name: "securix_backup_last_success_timestamp",
      help: "Unix time (seconds) of the newest scheduled backup ([backup] schedule); 0 for none",
      registers,
    });
    this.anomalies = new client.Counter({
      name: "securix_anomalies_total",
      help:
        "Anomalies the security engine detected, by detector and action (block, alert); counted by the process that recorded it",
      labelNames: ["detector", "action"],
      registers,
    });
  }

  /**
   * One proxied request: `proxyRequests`, `proxyLatency` and, when the
   * provider was asked, `upstreamLatency`, as `inc`/`observe` would count
   * them, without prom-client's per-call label hashing (see ProxyTally).
   * The proxy's way in; a direct `inc`/`observe` on those metrics still
   * counts (the tally adds to prom-client's series, it does not set them),
   * it only costs prom-client's per-call price.
   */
  proxyRequest(provider: string, status: number, totalMs: number, upstreamMs: number | null): void {
    this.#proxyTally.record(
      provider,
      status,
      totalMs / 1000,
      upstreamMs === null ? null : upstreamMs / 1000,
    );
  }

  /**
   * A provider answered 429 (its own rate limit, passed through). Per
   * provider, and per connection for the first THROTTLED_CONNECTIONS_MAX
   * connections that hit one (later ones as connection="other"): a
   * connection id per label value would grow without bound.
   */
  providerThrottled(provider: string, connectionId: string): void {
    this.providerThrottles.inc({ provider });
    const known = this.#throttledConnections;
    if (!known.has(connectionId) && known.size < THROTTLED_CONNECTIONS_MAX) known.add(connectionId);
    this.connectionThrottles.inc({ connection: known.has(connectionId) ? connectionId : "other" });
  }

  /** This registry's metrics as plain data, for the main isolate to sum. */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /**
   * The exposition; with `others`, the serving isolates' snapshots are summed
   * in (counters, histograms and gauges alike: every gauge here is either a
   * count over isolates or set in one isolate only).
   */
  async render(others?: () => Promise<MetricsSnapshot[]>): Promise<Response> {
    const text = others
      ? await client.AggregatorRegistry.aggregate([await this.snapshot(), ...await others()])
        .metrics()
      : await this.registry.metrics();
    return new Response(text, { headers: { "content-type": this.registry.contentType } });
  }
}

/** Distinct connection label values of `securix_connection_throttled_total` per process. */
const THROTTLED_CONNECTIONS_MAX = 100;
