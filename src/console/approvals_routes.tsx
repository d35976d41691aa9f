import { type Context, Hono } from "hono";
import { listApps } from "../apps/app_store.ts";
import { approvalErrors } from "../approvals/approval_errors.ts";
import { findApproval, listApprovals } from "../approvals/approval_store.ts";
import { APPROVAL_STATUSES, type ApprovalStatus } from "../approvals/approval_types.ts";
import { adminActor } from "../audit/actor.ts";
import { decideApprovalCommand } from "../commands/decide_approval.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, formField, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { FilterForm, ListPage, SelectField } from "./list_page.tsx";
import { nextPageHref, readCursor, statusFilter } from "./list_query.ts";

const PAGE_SIZE = 50;

function ApprovalBadge(props: { status: ApprovalStatus }) {
  const kind = props.status === "pending"
    ? "warn"
    : props.status === "denied" || props.status === "expired"
    ? "bad"
    : "ok";
  return <span class={`badge ${kind}`}>{props.status}</span>;
}

/** `/console/approvals`: calls held for a person's decision; approve or deny one. */
export function approvalsRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;
  const ctx = (c: Context<ConsoleEnv>) => deps.commands(adminActor(c.get("admin").name));

  app.get("/console/approvals", async (c) => {
    const status = statusFilter(c.req.query("status"), APPROVAL_STATUSES, "pending");
    const rows = await listApprovals(db, {
      status: status === "all" ? undefined : status as ApprovalStatus,
      limit: PAGE_SIZE + 1,
      after: readCursor(c.req.query("cursor")),
    }, deps.now());
    const list = rows.slice(0, PAGE_SIZE);
    const last = list.at(-1);
    const next = rows.length > PAGE_SIZE && last
      ? { createdAt: last.createdAt, id: last.id }
      : null;
    const names = new Map((await listApps(db)).map((a) => [a.id, a.name]));
    return consolePage(
      c,
      { title: "Approvals", active: "approvals" },
      <ListPage
        filter={
          <FilterForm action="/console/approvals" submit="Show">
            <SelectField
              id="f-status"
              name="status"
              label="Status"
              value={status}
              options={[...APPROVAL_STATUSES, "all"]}
            />
          </FilterForm>
        }
        table={{
          rows: list,
          empty: "No approvals match.",
          columns: [
            {
              label: "Call",
              cell: (a) => <a href={`/console/approvals/${a.id}`}>{a.summary.text}</a>,
            },
            { label: "Status", cell: (a) => <ApprovalBadge status={a.status} /> },
            { label: "Entity", cell: (a) => a.entityId },
            {
              label: "App / agent",
              hideNarrow: true,
              cell: (a) => `${names.get(a.appId) ?? a.appId} / ${a.agentId}`,
            },
            { label: "Asked", hideNarrow: true, cell: (a) => when(a.createdAt) },
          ],
        }}
        next={nextPageHref("/console/approvals", { status }, next)}
      />,
    );
  });

  app.get("/console/approvals/:id", async (c) => {
    const a = await findApproval(db, c.req.param("id"), deps.now());
    if (!a) throw approvalErrors.notFound();
    const names = new Map((await listApps(db)).map((x) => [x.id, x.name]));
    const s = a.summary;
    return consolePage(
      c,
      { title: "Approval", active: "approvals" },
      (
        <section class="card">
          <p>{s.text}</p>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <ApprovalBadge status={a.status} />
            </dd>
            <dt>Call</dt>
            <dd>
              <code>{`${a.method} ${a.path}`}</code> (<code>{a.operation}</code>)
            </dd>
            {s.recipients
              ? (
                <>
                  <dt>Recipients</dt>
                  <dd>
                    {s.recipients.join(", ")}
                    {s.recipientCount ? ` (${s.recipientCount} in all)` : ""}
                  </dd>
                </>
              )
              : null}
            {s.subject
              ? (
                <>
                  <dt>Subject</dt>
                  <dd>{s.subject}</dd>
                </>
              )
              : null}
            <dt>Rule</dt>
            <dd>{a.rule}</dd>
            <dt>App / agent</dt>
            <dd>{`${names.get(a.appId) ?? a.appId} / ${a.agentId}`}</dd>
            <dt>Entity</dt>
            <dd>{a.entityId}</dd>
            <dt>Connection</dt>
            <dd>
              <a href={`/console/connections/${a.connectionId}`}>{a.connectionId}</a>
            </dd>
            <dt>Asked</dt>
            <dd>{when(a.createdAt)}</dd>
            <dt>{a.status === "pending" ? "Expires" : "Valid until"}</dt>
            <dd>{when(a.expiresAt)}</dd>
            {a.decidedAt
              ? (
                <>
                  <dt>Decided</dt>
                  <dd>{`${when(a.decidedAt)} by ${a.decidedBy ?? "—"}`}</dd>
                </>
              )
              : null}
          </dl>
          {a.status === "pending"
            ? (
              <div class="form-row">
                <PostForm action={`/console/approvals/${a.id}`} csrf={c.get("csrf")}>
                  <input type="hidden" name="decision" value="approve" />
                  <button type="submit">Approve</button>
                </PostForm>
                <PostForm action={`/console/approvals/${a.id}`} csrf={c.get("csrf")}>
                  <input type="hidden" name="decision" value="deny" />
                  <button type="submit" class="danger">Deny</button>
                </PostForm>
              </div>
            )
            : null}
        </section>
      ),
    );
  });

  app.post("/console/approvals/:id", async (c) => {
    const form = await c.req.parseBody();
    const decision = formField(form, "decision");
    if (decision !== "approve" && decision !== "deny") {
      return seeOther(`/console/approvals/${encodeURIComponent(c.req.param("id"))}`);
    }
    const decided = await decideApprovalCommand(ctx(c), {
      id: c.req.param("id"),
      decision,
      ttlMs: deps.config.security.approval_ttl,
    });
    return seeOther(
      `/console/approvals/${decided.id}?done=${
        decision === "approve" ? "approval_approved" : "approval_denied"
      }`,
    );
  });
  return app;
}
