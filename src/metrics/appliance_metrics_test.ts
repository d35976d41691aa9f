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

Deno.test("metrics: serving isolates' snapshots are summed into the exposition", async () => {
  const main = new ApplianceMetrics();
  const other = new ApplianceMetrics();
  main.proxyRequests.inc({ provider: "gmail", status: "200" }, 2);
  other.proxyRequests.inc({ provider: "gmail", status: "200" }, 3);
  other.proxyRequests.inc({ provider: "github", status: "403" });
  main.proxyLatency.observe({ provider: "gmail" }, 0.002);
  other.proxyLatency.observe({ provider: "gmail" }, 0.2);
  main.acceptedConnections.inc({ isolate: "0" });
  other.acceptedConnections.inc({ isolate: "1" }, 4);
  // What crosses the thread boundary: plain data.
  const snapshot = structuredClone(await other.snapshot());
  const text = await (await main.render(() => Promise.resolve([snapshot]))).text();
  const families = parsePrometheusTextFormat(text) as {
    name: string;
    metrics: {
      value?: string;
      buckets?: Record<string, string>;
      labels?: Record<string, string>;
    }[];
  }[];
  const family = (name: string) => families.find((f) => f.name === name)!.metrics;
  const requests = family("securix_proxy_requests_total");
  assert.equal(requests.find((m) => m.labels?.provider === "gmail")?.value, "5");
  assert.equal(requests.find((m) => m.labels?.provider === "github")?.value, "1");
  const latency = family("securix_proxy_duration_seconds")[0];
  assert.equal(latency.buckets?.["+Inf"], "2");
  assert.equal(latency.buckets?.["0.0025"], "1");
  const accepted = family("securix_http_accepted_connections_total");
  assert.deepEqual(
    accepted.map((m) => [m.labels?.isolate, m.value]).sort(),
    [["0", "1"], ["1", "4"]],
  );
});

Deno.test("metrics: provider 429s by provider, and by connection with a bounded number of label values", async () => {
  const metrics = new ApplianceMetrics();
  for (let i = 0; i < 150; i++) metrics.providerThrottled("gmail", `conn_${i}`);
  metrics.providerThrottled("gmail", "conn_0");
  metrics.providerThrottled("github", "conn_149");
  const text = await (await metrics.render()).text();
  assert.match(text, /^securix_provider_throttled_total\{provider="gmail"\} 151$/m);
  assert.match(text, /^securix_provider_throttled_total\{provider="github"\} 1$/m);
  const series = text.split("\n").filter((l) =>
    l.startsWith("securix_connection_throttled_total{")
  );
  assert.equal(series.length, 101, "100 connections of their own, the rest as other");
  assert.ok(series.includes('securix_connection_throttled_total{connection="conn_0"} 2'));
  assert.ok(series.includes('securix_connection_throttled_total{connection="other"} 51'));
});
