import { type Context, Hono } from "hono";
import { type App, listApps, requireApp } from "../apps/app_store.ts";
import { adminActor } from "../audit/actor.ts";
import { addWebhookCommand } from "../commands/add_webhook.ts";
import { redeliverWebhookCommand } from "../commands/redeliver_webhook.ts";
import { removeWebhookCommand } from "../commands/remove_webhook.ts";
import { rotateWebhookSecretCommand } from "../commands/rotate_webhook_secret.ts";
import { sendTestWebhookCommand } from "../commands/send_test_webhook.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { listDeliveries } from "../webhooks/delivery_store.ts";
import { eventsInput, listEndpoints } from "../webhooks/endpoint_store.ts";
import { TargetRefused } from "../webhooks/target_policy.ts";
import type { ConsoleDeps } from "./console_deps.ts";
import { PostForm, when } from "./console_layout.tsx";
import { consolePage, formField, seeOther } from "./console_page.tsx";
import type { ConsoleEnv } from "./console_session.ts";
import { DataTable, FilterForm, SelectField } from "./list_page.tsx";

function DeliveryBadge(props: { status: string }) {
  const kind = props.status === "delivered" ? "ok" : props.status === "pending" ? "warn" : "bad";
  return <span class={`badge ${kind}`}>{props.status}</span>;
}

const ROTATE_GRACE_MS = 24 * 3_600_000;

/** `/console/webhooks?app=`: an app's endpoints and deliveries; rotate a secret, redeliver, send a test. */
export function webhooksRoutes(deps: ConsoleDeps): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>();
  const db = deps.database.db;
  const ctx = (c: Context<ConsoleEnv>) => deps.commands(adminActor(c.get("admin").name));

  const page = async (
    c: Context<ConsoleEnv>,
    appRef: string,
    shown: { id: string; secret: string; oldValidUntil?: number } | null = null,
    error: string | null = null,
  ) => {
    const apps = await listApps(db);
    const selected: App | undefined = apps.find((a) => a.id === appRef) ?? apps[0];
    const endpoints = selected ? await listEndpoints(db, selected.id) : [];
    const deliveries = selected ? await listDeliveries(db, selected.id, 50) : [];
    const csrf = c.get("csrf");
    const base = selected ? `/console/webhooks/${selected.id}` : "";
    return consolePage(
      c,
      {
        title: "Webhooks",
        active: "webhooks",
        status: error ? 400 : 200,
        notice: error ? { kind: "bad", text: error } : shown
          ? {
            kind: "warn",
            text: shown.oldValidUntil === undefined
              ? "Copy the signing secret now: it is shown only once."
              : `Copy the new signing secret now: it is shown only once. The old one signs beside it until ${
                new Date(shown.oldValidUntil).toISOString()
              }; put the new one in your receiver before then.`,
          }
          : null,
      },
      (
        <>
          <section class="card">
            <FilterForm action="/console/webhooks" submit="Show" search={false}>
              <SelectField
                id="w-app"
                name="app"
                label="App"
                value={selected?.id ?? ""}
                options={apps.map((a) => ({ value: a.id, text: a.name }))}
              />
            </FilterForm>
          </section>
          {!selected ? <p class="empty">No apps yet.</p> : (
            <>
              {shown
                ? (
                  <section class="card" aria-label="New signing secret">
                    <h2>{`Signing secret of ${shown.id}`}</h2>
                    <code class="secret">{shown.secret}</code>
                  </section>
                )
                : null}
              <section class="card">
                <h2>Endpoints</h2>
                <DataTable
                  rows={endpoints}
                  empty="No endpoints."
                  columns={[
                    { label: "URL", cell: (e) => <code>{e.url}</code> },
                    { label: "Events", cell: (e) => e.events.join(", ") },
                    { label: "Added", hideNarrow: true, cell: (e) => when(e.createdAt) },
                    {
                      label: "Actions",
                      hiddenLabel: true,
                      cell: (e) => (
                        <>
                          <PostForm action={`${base}/endpoints/${e.id}/rotate`} csrf={csrf}>
                            <button type="submit" class="secondary small">Rotate secret</button>
                          </PostForm>
                          <PostForm action={`${base}/endpoints/${e.id}/remove`} csrf={csrf}>
                            <button type="submit" class="danger small">Remove</button>
                          </PostForm>
                        </>
                      ),
                    },
                  ]}
                />
                <PostForm action={`${base}/endpoints`} csrf={csrf}>
                  <div class="form-row">
                    <div class="field">
                      <label for="w-url">Endpoint URL</label>
                      <input
                        id="w-url"
                        name="url"
                        required
                        placeholder="https://app.example.com/hooks"
                      />
                    </div>
                    <div class="field">
                      <label for="w-events">Events (comma separated, * for all)</label>
                      <input id="w-events" name="events" value="*" />
                    </div>
                    <button type="submit" class="secondary">Add endpoint</button>
                  </div>
                </PostForm>
                <PostForm action={`${base}/test`} csrf={csrf}>
                  <p>
                    <button type="submit" class="secondary">Send a test event</button>
                  </p>
                </PostForm>
              </section>
              <section class="card">
                <h2>Recent deliveries</h2>
                <DataTable
                  rows={deliveries}
                  empty="No deliveries yet."
                  rowAttributes={(d) => ({ "data-delivery": d.id })}
                  columns={[
                    { label: "Event", cell: (d) => d.eventType },
                    { label: "Status", cell: (d) => <DeliveryBadge status={d.status} /> },
                    {
                      label: "Response",
                      cellClass: "num",
                      cell: (d) => d.lastStatus ?? d.lastError ?? "—",
                    },
                    {
                      label: "Attempts",
                      cellClass: "num",
                      hideNarrow: true,
                      cell: (d) => d.attempts,
                    },
                    { label: "Created", hideNarrow: true, cell: (d) => when(d.createdAt) },
                    {
                      label: "Actions",
                      hiddenLabel: true,
                      cell: (d) => (
                        <PostForm action={`${base}/deliveries/${d.id}/redeliver`} csrf={csrf}>
                          <button type="submit" class="secondary small">Redeliver</button>
                        </PostForm>
                      ),
                    },
                  ]}
                />
              </section>
            </>
          )}
        </>
      ),
    );
  };

  app.get("/console/webhooks", (c) => page(c, c.req.query("app") ?? ""));
  app.post("/console/webhooks/:app/endpoints", async (c) => {
    const a = await requireApp(db, c.req.param("app"));
    const form = await c.req.parseBody();
    const events = eventsInput.safeParse(
      formField(form, "events").split(",").map((s) => s.trim()).filter(Boolean),
    );
    if (!events.success) return await page(c, a.id, null, "Unknown event type in the list.");
    try {
      const { endpoint, secret } = await addWebhookCommand(
        ctx(c),
        {
          allowPrivate: deps.config.webhooks.allow_private_targets,
          resolve: deps.webhookResolve,
        },
        a.id,
        { url: formField(form, "url"), events: events.data },
      );
      return await page(c, a.id, { id: endpoint.id, secret });
    } catch (error) {
      if (error instanceof TargetRefused) {
        return await page(
          c,
          a.id,
          null,
          `Webhook target refused: ${error.reason}; [webhooks] allow_private_targets = true allows on-prem receivers`,
        );
      }
      if (error instanceof SecurixError) return await page(c, a.id, null, error.message);
      throw error;
    }
  });
  app.post("/console/webhooks/:app/endpoints/:id/remove", async (c) => {
    const a = await requireApp(db, c.req.param("app"));
    await removeWebhookCommand(ctx(c), c.req.param("id"), a.id);
    return seeOther(`/console/webhooks?app=${a.id}&done=webhook_removed`);
  });
  // The old secret keeps signing for 24 h (the API's default), so receivers can switch over.
  app.post("/console/webhooks/:app/endpoints/:id/rotate", async (c) => {
    const a = await requireApp(db, c.req.param("app"));
    const id = c.req.param("id");
    try {
      const rotated = await rotateWebhookSecretCommand(ctx(c), id, ROTATE_GRACE_MS, a.id);
      return await page(c, a.id, {
        id,
        secret: rotated.secret,
        oldValidUntil: rotated.oldValidUntil,
      });
    } catch (error) {
      if (error instanceof SecurixError) return await page(c, a.id, null, error.message);
      throw error;
    }
  });
  app.post("/console/webhooks/:app/deliveries/:id/redeliver", async (c) => {
    const a = await requireApp(db, c.req.param("app"));
    await redeliverWebhookCommand(ctx(c), c.req.param("id"), a.id);
    return seeOther(`/console/webhooks?app=${a.id}&done=redelivered`);
  });
  app.post("/console/webhooks/:app/test", async (c) => {
    const a = await requireApp(db, c.req.param("app"));
    await sendTestWebhookCommand(ctx(c), a.id);
    return seeOther(`/console/webhooks?app=${a.id}&done=tested`);
  });
  return app;
}
