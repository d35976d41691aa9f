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
import { DataTable, FilterForm, InputField, Pager } from "./list_page.tsx";

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
            <FilterForm
              action="/console/audit"
              submit="Filter"
              firstRow={
                <>
                  <InputField
                    id="a-since"
                    name="since"
                    label="From (UTC date)"
                    type="date"
                    value={q.since}
                  />
                  <InputField id="a-until" name="until" label="Until" type="date" value={q.until} />
                  <InputField
                    id="a-kind"
                    name="kind"
                    label="Kind (e.g. admin, connection.paused)"
                    value={q.kind}
                  />
                </>
              }
            >
              <InputField id="a-app" name="app" label="App id" value={q.app} />
              <InputField id="a-entity" name="entity" label="Entity" value={q.entity} />
              <InputField id="a-agent" name="agent" label="Agent" value={q.agent} />
            </FilterForm>
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
            <DataTable
              rows={records}
              empty="No records match."
              columns={[
                { label: "Time", cell: (r) => when(r.at) },
                { label: "Kind", cell: (r) => <code>{r.kind}</code> },
                { label: "Actor", cell: actorOf },
                {
                  label: "App / agent / entity",
                  hideNarrow: true,
                  cell: (r) => [r.appId, r.agentId, r.entityId].map((v) => v ?? "—").join(" / "),
                },
                { label: "Details", hideNarrow: true, cell: (r) => <code>{summary(r)}</code> },
              ]}
            />
            <Pager
              href={next ? `/console/audit?${params}&before=${next}` : null}
              label="Older records"
            />
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
