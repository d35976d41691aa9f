import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { ApplianceMetrics } from "./appliance_metrics.ts";

Deno.test("metrics: exposition parses with a Prometheus text parser and counters move", async () => {
  const metrics = new ApplianceMetrics({
    webhookQueueDepth: () => Promise.resolve(3),
    auditPending: () => 7,
  });
  metrics.proxyRequests.inc({ provider: "gmail", status: "200" });
  metrics.proxyRequests.inc({ provider: "gmail", status: "200" });
  metrics.proxyLatency.observe({ provider: "gmail" }, 0.002);
  metrics.refreshes.inc({ outcome: "success" });
  metrics.openConnections.set({ listener: "public" }, 5);
  metrics.shedConnections.inc({ listener: "public" });
  const text = await (await metrics.render()).text();
  const families = parsePrometheusTextFormat(text) as {
    name: string;
    type: string;
    metrics: { value?: string; labels?: Record<string, string> }[];
  }[];
  const byName = new Map(families.map((f) => [f.name, f]));
  for (
    const name of [
      "securix_proxy_requests_total",
      "securix_proxy_duration_seconds",
      "securix_upstream_duration_seconds",
      "securix_token_refreshes_total",
      "securix_webhook_deliveries_total",
      "securix_webhook_queue_depth",
      "securix_auth_sessions_total",
      "securix_audit_batch_lag_seconds",
      "securix_http_open_connections",
      "securix_http_shed_connections_total",
    ]
  ) assert.ok(byName.has(name), `missing ${name}`);
  const requests = byName.get("securix_proxy_requests_total")!;
  assert.equal(requests.metrics[0].value, "2");
  assert.deepEqual(requests.metrics[0].labels, { provider: "gmail", status: "200" });
  assert.equal(byName.get("securix_webhook_queue_depth")!.metrics[0].value, "3");
  assert.equal(byName.get("securix_proxy_duration_seconds")!.type, "HISTOGRAM");
  assert.equal(byName.get("securix_http_open_connections")!.metrics[0].value, "5");
  assert.equal(byName.get("securix_http_shed_connections_total")!.metrics[0].value, "1");
});
