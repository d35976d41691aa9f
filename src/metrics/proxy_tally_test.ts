import assert from "node:assert/strict";
import { ApplianceMetrics } from "./appliance_metrics.ts";
import { readTotals } from "../console/metrics_totals.ts";

interface Call {
  provider: string;
  status: number;
  totalMs: number;
  upstreamMs: number | null;
}

/** A deterministic stream of calls: several providers and statuses, odd float times. */
function* calls(count: number, seed: number): Generator<Call> {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const providers = ["github", "gmail", "slack", "notion"];
  const statuses = [200, 200, 200, 404, 429, 502, 403, 201];
  for (let i = 0; i < count; i++) {
    const totalMs = next() ** 3 * 15_000; // Mostly small, some past the last bucket (10 s).
    yield {
      provider: providers[Math.floor(next() * providers.length)],
      status: statuses[Math.floor(next() * statuses.length)],
      totalMs,
      upstreamMs: next() < 0.2 ? null : totalMs * next(),
    };
  }
}

/** What the runtime did before the tally: prom-client updated on every call. */
function perCall(metrics: ApplianceMetrics, c: Call) {
  metrics.proxyRequests.inc({ provider: c.provider, status: String(c.status) });
  metrics.proxyLatency.observe({ provider: c.provider }, c.totalMs / 1000);
  if (c.upstreamMs !== null) {
    metrics.upstreamLatency.observe({ provider: c.provider }, c.upstreamMs / 1000);
  }
}

const text = async (metrics: ApplianceMetrics) => await (await metrics.render()).text();

Deno.test("proxy tally: /metrics is byte for byte what per-call updates give, across scrapes", async () => {
  const tallied = new ApplianceMetrics();
  const direct = new ApplianceMetrics();
  assert.equal(await text(tallied), await text(direct));
  let scrapes = 0;
  for (const round of [1, 7, 300, 2_000]) {
    for (const c of calls(round, round)) {
      tallied.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
      perCall(direct, c);
    }
    const expected = await text(direct);
    assert.equal(await text(tallied), expected);
    // A second scrape with nothing new changes nothing.
    assert.equal(await text(tallied), expected);
    scrapes++;
  }
  assert.equal(scrapes, 4);
  const exposition = await text(tallied);
  // The comparison is not vacuous: every provider, a 5xx and the +Inf-only range are there.
  for (const needle of ['provider="notion",status="502"', 'le="+Inf",provider="slack"']) {
    assert.ok(exposition.includes(needle), needle);
  }
  assert.match(exposition, /securix_upstream_duration_seconds_sum\{provider="gmail"\} \d+\.\d{6,}/);
});

Deno.test("proxy tally: snapshots and the console's totals match per-call updates", async () => {
  const tallied = new ApplianceMetrics();
  const direct = new ApplianceMetrics();
  for (const c of calls(500, 42)) {
    tallied.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
    perCall(direct, c);
  }
  // What a serving isolate hands the main one, and what the main one renders from it.
  assert.deepEqual(await tallied.snapshot(), await direct.snapshot());
  const main = new ApplianceMetrics();
  const merged = async (other: ApplianceMetrics) =>
    await (await main.render(async () => [structuredClone(await other.snapshot())])).text();
  assert.equal(await merged(tallied), await merged(direct));
  for (const c of calls(50, 7)) {
    tallied.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
    perCall(direct, c);
  }
  const totals = await readTotals(tallied);
  assert.deepEqual(totals, await readTotals(direct));
  assert.equal(totals.requests, 550);
});

/** Each sample line of an exposition: series (name and labels) → value. */
function samples(exposition: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of exposition.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

/** Same series and counts; sums equal to rounding (the series' sums are only added in another order). */
function assertSameCounts(actual: string, expected: string): void {
  const got = samples(actual);
  const want = samples(expected);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [series, value] of want) {
    if (/_sum[{ ]/.test(series + " ")) {
      const diff = Math.abs(Number(got.get(series)) - Number(value));
      assert.ok(
        diff <= 1e-9 * Math.max(1, Number(value)),
        `${series}: ${got.get(series)} ≠ ${value}`,
      );
    } else assert.equal(got.get(series), value, series);
  }
}

Deno.test("proxy tally: a direct inc/observe on the same metrics is counted, not overwritten at collect", async () => {
  const mixed = new ApplianceMetrics();
  const direct = new ApplianceMetrics();
  let i = 0;
  for (const round of [5, 40, 700]) {
    for (const c of calls(round, round + 1)) {
      // Every third call (never for notion) bypasses the tally, as other code could.
      if (i++ % 3 === 0 && c.provider !== "notion") perCall(mixed, c);
      else mixed.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
      perCall(direct, c);
    }
    assertSameCounts(await text(mixed), await text(direct));
  }
  // A direct observe between two scrapes, with nothing tallied in between, shows up too.
  mixed.proxyLatency.observe({ provider: "github" }, 42);
  direct.proxyLatency.observe({ provider: "github" }, 42);
  mixed.upstreamLatency.observe({ provider: "gmail" }, 0.003);
  direct.upstreamLatency.observe({ provider: "gmail" }, 0.003);
  const exposition = await text(mixed);
  assertSameCounts(exposition, await text(direct));
  // A series only the tally counted into keeps the exact sum per-call updates give.
  const sum = /^securix_proxy_duration_seconds_sum\{provider="notion"\} .*$/m;
  assert.equal(exposition.match(sum)?.[0], (await text(direct)).match(sum)?.[0]);
  assert.ok(exposition.match(sum));
});

Deno.test("proxy tally: after a reset of the registry, only what came later is counted", async () => {
  const tallied = new ApplianceMetrics();
  const direct = new ApplianceMetrics();
  for (const c of calls(300, 3)) {
    tallied.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
    perCall(direct, c);
  }
  await text(tallied); // Collected: nothing is pending at the reset.
  tallied.registry.resetMetrics();
  direct.registry.resetMetrics();
  for (const c of calls(200, 4)) {
    tallied.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
    perCall(direct, c);
  }
  assertSameCounts(await text(tallied), await text(direct));
  tallied.proxyLatency.zero({ provider: "slack" });
  direct.proxyLatency.zero({ provider: "slack" });
  for (const c of calls(100, 5)) {
    tallied.proxyRequest(c.provider, c.status, c.totalMs, c.upstreamMs);
    perCall(direct, c);
  }
  assertSameCounts(await text(tallied), await text(direct));
});

Deno.test("proxy tally: a time that is not a number is refused, as prom-client refuses it", () => {
  const metrics = new ApplianceMetrics();
  assert.throws(() => metrics.proxyRequest("github", 200, NaN, 1), TypeError);
  assert.throws(() => metrics.proxyLatency.observe({ provider: "github" }, NaN), TypeError);
});
