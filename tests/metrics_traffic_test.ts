/**
 * /metrics of a real `securix serve` process: it parses with a Prometheus
 * text parser, it is served only on the metrics listener, and its counters
 * move by exactly the traffic the test drives (consent sessions, proxied
 * requests, a refresh, webhook deliveries, audit batches).
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { sxcHash } from "../src/flows/sxc.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { openDeviceConsent, startDeviceConsent } from "./helpers/flow_env.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { freePort, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

/** Access token lifetime at the provider: short, so one refresh costs a few seconds. */
const TOKEN_TTL_S = 4;

interface Sample {
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
  labels?: Record<string, string>;
}

interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

/** `name{a="x",b="y"} value` lines of the exposition, labels parsed. */
function sampleLines(
  text: string,
  name: string,
): { labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

/** One scrape, parsed with parse-prometheus-text-format. */
class Scrape {
  readonly families: Map<string, Family>;
  constructor(readonly text: string) {
    const parsed = parsePrometheusTextFormat(text) as Family[];
    this.families = new Map(parsed.map((f) => [f.name, f]));
  }
  #family(name: string): Family {
    const family = this.families.get(name);
    assert.ok(family, `no metric family ${name}`);
    return family;
  }
  /** A counter's or gauge's value; 0 for a label set not seen yet. */
  value(name: string, labels: Record<string, string> = {}): number {
    const sample = this.#family(name).metrics.find((m) => sameLabels(m.labels ?? {}, labels));
    return Number(sample?.value ?? 0);
  }
  /** An unlabelled histogram's observation count and sum. */
  histogram(name: string): { count: number; sum: number } {
    const [sample] = this.#family(name).metrics;
    return { count: Number(sample?.count ?? 0), sum: Number(sample?.sum ?? 0) };
  }
  /**
   * A labelled histogram's observation count; 0 for a label set not seen yet.
   * The parser merges the buckets of every label set and drops their _count
   * and _sum (yunyu/parse-prometheus-text-format#13), so this reads the
   * `_count{…}` line, and checks it against the parsed +Inf bucket when there
   * is one label set.
   */
  labelledCount(name: string, labels: Record<string, string>): number {
    const family = this.#family(name);
    assert.equal(family.type, "HISTOGRAM");
    const counts = sampleLines(this.text, `${name}_count`);
    const count = counts.find((c) => sameLabels(c.labels, labels))?.value ?? 0;
    if (counts.length === 1) assert.equal(Number(family.metrics[0]?.buckets?.["+Inf"]), count);
    return count;
  }
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}

async function until<T>(what: string, check: () => Promise<T | null | false>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("metrics: /metrics parses, is not on the public listener, and its counters move by the traffic driven", async () => {
  const port = freePort();
  const metricsPort = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const oidc = await startOidcServer({
    clients: [applianceClient(publicUrl)],
    accessTokenTtl: TOKEN_TTL_S,
  });
  // A fake Gmail API: /fail answers 503, anything else 200 with JSON.
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      new URL(req.url).pathname.endsWith("/fail")
        ? Response.json({ error: "unavailable" }, { status: 503 })
        : Response.json({ messages: [{ id: "m1" }] }),
  );
  // The app's webhook receiver: the first delivery is refused, so one retry shows.
  const hooks: { id: string; status: number }[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    const status = hooks.length === 0 ? 500 : 204;
    hooks.push({ id: req.headers.get("webhook-id")!, status });
    return new Response(null, { status });
  });
  const temp = await openTempAppliance({
    raw: {
      server: { public_url: publicUrl, base_domain: "localhost" },
      providers: {
        gmail: providerAt(oidc, `http://127.0.0.1:${upstream.addr.port}`),
      },
      webhooks: { allow_private_targets: true, retry_delays_ms: [200, 200, 200, 200, 200] },
    },
  });
  let serve: ServerProcess | null = null;
  try {
    const { database, vault } = temp.appliance;
    const { app, apiKey } = await seedApp(temp.appliance, {
      name: "metrics",
      origins: ["http://127.0.0.1:3000"],
    });
    await addEndpoint(
      { db: database.db, vault, now: temp.appliance.now },
      app.id,
      `http://127.0.0.1:${receiver.addr.port}/hook`,
      ["webhook.test"],
    );

    serve = await startServeProcess({
      cwd: temp.dir,
      port,
      env: { SECURIX_SERVER_METRICS_LISTEN: `127.0.0.1:${metricsPort}` },
      timeoutMs: 60_000,
    });
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    assert.ok(serve.output().includes(`Metrics on ${metricsUrl}`), serve.output());

    // Metrics only on their own listener: the public one answers 404.
    const onPublic = await fetch(`${publicUrl}/metrics`);
    assert.equal(onPublic.status, 404);
    assert.equal((await onPublic.text()).includes("securix_"), false);
    const otherPath = await fetch(`http://127.0.0.1:${metricsPort}/v1/webhooks`);
    assert.equal(otherPath.status, 404, "the metrics listener serves nothing else");
    await otherPath.body?.cancel();

    const before = await scrape(metricsUrl);
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
      ]
    ) assert.ok(before.families.has(name), `missing ${name}`);
    assert.equal(before.families.get("securix_proxy_duration_seconds")!.type, "HISTOGRAM");

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${publicUrl}${path}`, {
        ...init,
        headers: { "securix-api-key": apiKey, "content-type": "application/json" },
      });

    // Sessions: a device consent completed, a device consent cancelled, a popup session created.
    const consent = await startDeviceConsent({ api, publicUrl }, "alice");
    const callback = await oidc.loginAndConsent(consent.providerUrl, { accountId: "alice" });
    await (await consent.browser.go(callback)).body?.cancel();
    const done = await (await api(`/v1/auth/sessions/${consent.sessionId}`)).json();
    assert.equal(done.status, "completed");
    const consentedAt = Date.now();

    const cancelled = await openDeviceConsent({ api, publicUrl }, "bob");
    const cancel = await cancelled.browser.form(`${cancelled.connectUrl}/cancel`, {
      csrf: cancelled.csrf,
    });
    await cancel.body?.cancel();
    const bob = await (await api(`/v1/auth/sessions/${cancelled.sessionId}`)).json();
    assert.equal(bob.status, "failed");

    const popup = await api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({
        entityId: "carol",
        flow: "popup",
        providers: { gmail: {} },
        sxcHash: sxcHash("a-secret-the-browser-keeps"),
      }),
    });
    assert.equal(popup.status, 201);
    await popup.body?.cancel();

    // Proxied requests: three answered 200, one upstream 503, one refused (no connection).
    const proxied = async (entity: string, path = "/gmail/v1/users/me/messages") => {
      const res = await fetch(`${publicUrl}/proxy/gmail${path}`, {
        headers: {
          "securix-api-key": apiKey,
          "securix-entity-id": entity,
          "securix-agent-id": "agent-1",
        },
      });
      await res.body?.cancel();
      return res.status;
    };
    for (let i = 0; i < 3; i++) assert.equal(await proxied("alice"), 200);
    assert.equal(await proxied("alice", "/gmail/v1/fail"), 503);
    const refused = await proxied("nobody");
    assert.ok(refused >= 400 && refused < 500, `no connection answered ${refused}`);

    // Past the token's expiry, the next request refreshes it first.
    const wait = consentedAt + TOKEN_TTL_S * 1000 + 300 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    assert.equal(await proxied("alice"), 200);
    const refreshCalls = oidc.stats.tokenCalls.refresh_token ?? 0;
    assert.ok(refreshCalls >= 1, "the provider saw a refresh");

    // Webhooks: two test events; the first attempt is refused and retried.
    for (let i = 0; i < 2; i++) {
      const res = await api("/v1/webhooks/test", { method: "POST", body: "{}" });
      assert.equal(res.status, 202);
      await res.body?.cancel();
    }

    // The counters settle once the deliveries are recorded and an audit batch is written.
    const after = await until("deliveries and audit batches in /metrics", async () => {
      const s = await scrape(metricsUrl);
      const delivered = s.value("securix_webhook_deliveries_total", { outcome: "delivered" }) -
        before.value("securix_webhook_deliveries_total", { outcome: "delivered" });
      const flushed = s.histogram("securix_audit_batch_lag_seconds").count >
        before.histogram("securix_audit_batch_lag_seconds").count;
      // The queue gauge counts pending rows: a delivery is counted a moment before its row is.
      return delivered >= 2 && flushed && s.value("securix_audit_pending_events") === 0 &&
        s.value("securix_webhook_queue_depth") === 0 && s;
    }, 30_000);

    const delta = (name: string, labels: Record<string, string> = {}) =>
      after.value(name, labels) - before.value(name, labels);
    const countDelta = (name: string, labels: Record<string, string>) =>
      after.labelledCount(name, labels) - before.labelledCount(name, labels);
    const gmail = { provider: "gmail" };

    assert.equal(delta("securix_proxy_requests_total", { ...gmail, status: "200" }), 4);
    assert.equal(delta("securix_proxy_requests_total", { ...gmail, status: "503" }), 1);
    assert.equal(delta("securix_proxy_requests_total", { ...gmail, status: String(refused) }), 1);
    assert.equal(countDelta("securix_proxy_duration_seconds", gmail), 6);
    assert.equal(countDelta("securix_upstream_duration_seconds", gmail), 5, "not the refused one");
    assert.equal(delta("securix_token_refreshes_total", { outcome: "success" }), refreshCalls);
    assert.equal(delta("securix_token_refreshes_total", { outcome: "failure" }), 0);

    assert.equal(delta("securix_auth_sessions_total", { flow: "device", outcome: "created" }), 2);
    assert.equal(delta("securix_auth_sessions_total", { flow: "device", outcome: "completed" }), 1);
    assert.equal(delta("securix_auth_sessions_total", { flow: "device", outcome: "failed" }), 1);
    assert.equal(delta("securix_auth_sessions_total", { flow: "popup", outcome: "created" }), 1);
    assert.equal(delta("securix_auth_sessions_total", { flow: "popup", outcome: "completed" }), 0);

    assert.equal(hooks.filter((h) => h.status === 204).length, 2);
    assert.equal(delta("securix_webhook_deliveries_total", { outcome: "delivered" }), 2);
    assert.equal(delta("securix_webhook_deliveries_total", { outcome: "retry" }), 1);
    assert.equal(delta("securix_webhook_deliveries_total", { outcome: "dead" }), 0);
    assert.equal(after.value("securix_webhook_queue_depth"), 0);

    const lag = after.histogram("securix_audit_batch_lag_seconds");
    const batches = lag.count - before.histogram("securix_audit_batch_lag_seconds").count;
    assert.ok(batches >= 1, "an audit batch was written");
    assert.ok(lag.sum >= 0 && lag.sum < 60, `lag sum ${lag.sum}`);
    console.log(
      `  +${countDelta("securix_proxy_duration_seconds", gmail)} proxied, ` +
        `+${batches} audit batches (lag sum ${
          lag.sum.toFixed(3)
        } s), ${refreshCalls} refresh(es), ` +
        `${hooks.length} webhook attempts`,
    );
  } finally {
    await serve?.stop();
    await receiver.shutdown();
    await upstream.shutdown();
    await oidc.close();
    await temp.cleanup();
  }
});
