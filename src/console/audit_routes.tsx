import { type Context, Hono } from "hono";
import { readRecords } from "../audit/read_records.ts";
import {
  lastSeq,
  type RecentFilter,
  recentRecords,
  recordsAfter,
} from "../audit/recent_records.ts";
import type { StoredRecord } from "../audit/stored_records.ts";
import { verifyChain } from "../audit/verify_chain.ts";
import { recordJson } from "../cli/audit_record_line.ts";
import { CONSOLE_ASSETS } from "./console_assets.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { when } from "./console_layout.tsx";
import { consolePage } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";

const FIELDS = ["since", "until", "app", "entity", "agent", "kind"] as const;
type Query = Record<typeof FIELDS[number], string>;

function readQuery(c: Context): Query {
  return Object.fromEntries(
    FIELDS.map((f) => [f, (c.req.query(f) ?? "").trim().slice(0, 256)]),
  ) as Query;
}

/** A date (YYYY-MM-DD, UTC) or a full ISO time; null when empty or unreadable. */
function parseTime(value: string, endOfDay: boolean): number | null {
  if (!value) return null;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? Date.parse(`${value}T${endOfDay ? "23:59:59.999" : "00:00:00"}Z`)
    : Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

function toFilter(q: Query): RecentFilter {
  return {
    since: parseTime(q.since, false),
    until: parseTime(q.until, true),
    appId: q.app || null,
    entityId: q.entity || null,
    agentId: q.agent || null,
    kinds: q.kind || undefined,
  };
}

function actorOf(r: StoredRecord): string {
  const actor = r.data.actor;
  return typeof actor === "string" ? actor : "—";
}

function summary(r: StoredRecord): string {
  const d = r.data;
  const parts: string[] = [];
  for (const key of ["method", "path", "status", "decision", "connectionId", "keyId", "name"]) {
    if (d[key] !== undefined && d[key] !== null) parts.push(`${key}=${String(d[key])}`);
  }
  return parts.join(" ").slice(0, 160);
}

/** `/console/audit`: filtered records newest first, `verify`, JSON Lines export, live tail. */
export function auditRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;

  const page = async (c: Context<ConsoleEnv>, verified: string | null, ok: boolean) => {
    const q = readQuery(c);
    const before = Number(c.req.query("before") ?? "") || null;
    const { records, before: next } = await recentRecords(db, toFilter(q), { before, limit: 50 });
    const params = new URLSearchParams(q);
    const newest = await lastSeq(db);
    return consolePage(
      c,
      {
        title: "Audit",
        active: "audit",
        scripts: [CONSOLE_ASSETS.auditTailJs],
        notice: verified ? { kind: ok ? "ok" : "bad", text: verified } : null,
      },
      (
        <>
          <section class="card">
            <form method="get" action="/console/audit" role="search">
              <div class="form-row">
                <div class="field">
                  <label for="a-since">From (UTC date)</label>
                  <input id="a-since" name="since" type="date" value={q.since} />
                </div>
                <div class="field">
                  <label for="a-until">Until</label>
                  <input id="a-until" name="until" type="date" value={q.until} />
                </div>
                <div class="field">
                  <label for="a-kind">Kind (e.g. admin, connection.paused)</label>
                  <input id="a-kind" name="kind" value={q.kind} />
                </div>
              </div>
              <div class="form-row">
                <div class="field">
                  <label for="a-app">App id</label>
                  <input id="a-app" name="app" value={q.app} />
                </div>
                <div class="field">
                  <label for="a-entity">Entity</label>
                  <input id="a-entity" name="entity" value={q.entity} />
                </div>
                <div class="field">
                  <label for="a-agent">Agent</label>
                  <input id="a-agent" name="agent" value={q.agent} />
                </div>
                <button type="submit" class="secondary">Filter</button>
              </div>
            </form>
            <div class="actions">
              <a class="button secondary" href="/console/audit/verify">Verify the chain</a>
              <a class="button secondary" href={`/console/audit/export.jsonl?${params}`}>
                Export JSON Lines
              </a>
            </div>
          </section>
          <section class="card" aria-labelledby="tail-title">
            <h2 id="tail-title">Live</h2>
            <p class="chart-note" data-tail-status>
              New records appear here while this page is open (needs JavaScript).
            </p>
            <ul class="tail" data-audit-tail data-after={String(newest)}></ul>
          </section>
          <section class="card">
            <div class="table-wrap">
              {records.length === 0 ? <p class="empty">No records match.</p> : (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Time</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Actor</th>
                      <th scope="col" class="hide-narrow">App / agent / entity</th>
                      <th scope="col" class="hide-narrow">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {records.map((r) => (
                      <tr>
                        <td>{when(r.at)}</td>
                        <td>
                          <code>{r.kind}</code>
                        </td>
                        <td>{actorOf(r)}</td>
                        <td class="hide-narrow">
                          {[r.appId, r.agentId, r.entityId].map((v) => v ?? "—").join(" / ")}
                        </td>
                        <td class="hide-narrow">
                          <code>{summary(r)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            {next
              ? (
                <nav class="pager" aria-label="Pages">
                  <a class="button secondary" href={`/console/audit?${params}&before=${next}`}>
                    Older records
                  </a>
                </nav>
              )
              : null}
          </section>
        </>
      ),
    );
  };

  app.get("/console/audit", (c) => page(c, null, true));
  app.get("/console/audit/verify", async (c) => {
    const result = await verifyChain(db);
    return await page(
      c,
      result.ok
        ? `Chain verified: ${result.checked} records intact${
          result.pruned ? `, ${result.pruned} pruned by retention` : ""
        }.`
        : `Chain broken: ${result.problem} (${result.breaks.length} break(s)); run securix audit verify.`,
      result.ok,
    );
  });
  app.get("/console/audit/export.jsonl", (c) => {
    const filter = toFilter(readQuery(c));
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          for await (const records of readRecords(db, filter)) {
            controller.enqueue(encoder.encode(records.map(recordJson).join("\n") + "\n"));
          }
          controller.close();
        } catch (error) {
          controller.error(error);
        }
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "application/x-ndjson; charset=utf-8",
        "content-disposition": 'attachment; filename="securix-audit.jsonl"',
        "cache-control": "no-store",
      },
    });
  });
  app.get("/console/audit/tail.json", async (c) => {
    const after = Math.max(0, Number(c.req.query("after") ?? "0") || 0);
    const records = await recordsAfter(db, after);
    c.header("cache-control", "no-store");
    return c.json({
      after: records.at(-1)?.seq ?? after,
      records: records.map((r) => ({
        at: new Date(r.at).toISOString(),
        kind: r.kind,
        actor: actorOf(r),
        appId: r.appId,
        entityId: r.entityId,
      })),
    });
  });
  return app;
}
