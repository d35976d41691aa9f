import { Hono } from "hono";
import { count, isNull } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apps, connections } from "../db/schema.ts";
import { CONSOLE_ASSETS } from "./console_assets.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { consolePage } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { recentValue } from "./recent_value.ts";

const CHARTS = [
  ["requests", "Requests per second"],
  ["errors", "Error rate (5xx, %)"],
  ["p50", "Latency p50 (ms)"],
  ["p99", "Latency p99 (ms)"],
  ["refreshes", "Token refreshes"],
  ["queue", "Webhook queue"],
] as const;

async function connectionCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.select({ status: connections.status, n: count() }).from(connections)
    .groupBy(connections.status);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** `/console`: traffic charts from the in-process history, and what the appliance holds. */
export function overviewRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  app.get("/console", async (c) => {
    const db = deps.database.db;
    const [appCount] = await db.select({ n: count() }).from(apps).where(isNull(apps.deletedAt));
    const byStatus = await connectionCounts(db);
    const samples = deps.history.samples();
    const now = deps.now();
    const rules = deps.rules();
    const queue = await deps.webhookQueueDepth();
    return consolePage(
      c,
      {
        title: "Overview",
        active: "overview",
        scripts: [CONSOLE_ASSETS.uplotJs, CONSOLE_ASSETS.overviewJs],
        styles: [CONSOLE_ASSETS.uplotCss],
      },
      (
        <>
          <p class="lede">
            The last two hours of this process, sampled every 10 s. Long-term history belongs in
            Prometheus (the metrics listener).
          </p>
          <div class="grid">
            <section class="card stat" aria-label="Requests per second">
              <div class="label">Requests/s, last minute</div>
              <div class="value">{recentValue(samples, "requestsPerS", now)}</div>
            </section>
            <section class="card stat" aria-label="Error rate">
              <div class="label">5xx share</div>
              <div class="value">{recentValue(samples, "errorRate", now)}</div>
            </section>
            <section class="card stat" aria-label="Latency">
              <div class="label">p50 / p99 ms</div>
              <div class="value">
                {recentValue(samples, "p50Ms", now)} / {recentValue(samples, "p99Ms", now)}
              </div>
            </section>
            <section class="card stat" aria-label="Webhook queue">
              <div class="label">Webhook queue</div>
              <div class="value">{queue}</div>
            </section>
          </div>
          <div class="grid">
            {CHARTS.map(([key, title]) => (
              <section class="card" aria-labelledby={`chart-${key}`}>
                <h2 id={`chart-${key}`}>{title}</h2>
                <div class="chart" data-chart={key}>
                  <span class="chart-note">Charts need JavaScript; the numbers above do not.</span>
                </div>
              </section>
            ))}
          </div>
          <div class="grid">
            <section class="card">
              <h2>Holding</h2>
              <dl class="facts">
                <dt>Apps</dt>
                <dd>{appCount?.n ?? 0}</dd>
                {["active", "paused", "needs_reauth", "pending", "revoked"].map((s) => (
                  <>
                    <dt>{`Connections ${s.replace("_", " ")}`}</dt>
                    <dd>{byStatus[s] ?? 0}</dd>
                  </>
                ))}
              </dl>
            </section>
            <section class="card">
              <h2>Rules in force</h2>
              <dl class="facts">
                <dt>Rules</dt>
                <dd>{rules.rules.length}</dd>
                <dt>Scopes</dt>
                <dd>{rules.scopes.length}</dd>
                <dt>Hash</dt>
                <dd>
                  <code>{rules.hash.slice(0, 16)}</code>
                </dd>
              </dl>
            </section>
          </div>
        </>
      ),
    );
  });
  app.get("/console/overview/metrics.json", (c) => {
    c.header("cache-control", "no-store");
    return c.json({ samples: deps.history.samples() });
  });
  return app;
}
