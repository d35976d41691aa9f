import type { Command } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { listDeliveries, redeliver } from "../webhooks/delivery_store.ts";
import {
  addEndpoint,
  eventsInput,
  listEndpoints,
  removeEndpoint,
  rotateEndpointSecret,
} from "../webhooks/endpoint_store.ts";
import { queueTestEvent } from "../webhooks/test_event.ts";
import { checkWebhookTarget, dnsResolver, TargetRefused } from "../webhooks/target_policy.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson, printTable } from "./io.ts";
import { SecurixError } from "../errors/securix_error.ts";

function parseEvents(raw: string | undefined): string[] {
  const parsed = eventsInput.safeParse(raw ? raw.split(",").map((s) => s.trim()) : undefined);
  if (!parsed.success) {
    throw new SecurixError("SX-INVALID-INPUT", `--events: ${parsed.error.issues[0].message}`, {
      status: 400,
    });
  }
  return parsed.data;
}

export function registerWebhooks(program: Command, context: CliContext): void {
  const webhooks = program.command("webhooks").description("signed webhooks an app receives");
  webhooks.command("add <app> <url>")
    .description("add an endpoint; its signing secret is shown once")
    .option("--events <list>", "comma-separated event types (default: all)")
    .option("--json", "print JSON")
    .action(async (appRef: string, url: string, options: { events?: string; json?: boolean }) => {
      await context.withAppliance(async ({ database, vault, now, config }) => {
        const app = await requireApp(database.db, appRef);
        await checkWebhookTarget(url, {
          allowPrivate: config.webhooks.allow_private_targets,
          resolve: dnsResolver,
        }).catch((e) => {
          // The operator may see why; an app through the API sees one generic sentence.
          if (!(e instanceof TargetRefused)) throw e;
          throw new SecurixError(
            e.code,
            `Webhook target refused: ${e.reason}; set [webhooks] allow_private_targets = true for on-prem receivers`,
            { status: e.status },
          );
        });
        const { endpoint, secret } = await addEndpoint(
          { db: database.db, vault, now },
          app.id,
          url,
          parseEvents(options.events),
          context.actor(),
        );
        if (options.json) {
          return printJson(context.io, {
            ...endpoint,
            createdAt: isoTime(endpoint.createdAt),
            secret,
          });
        }
        context.io.out(
          `Added webhook ${endpoint.id} → ${endpoint.url} (${endpoint.events.join(", ")})`,
        );
        context.io.out(`Signing secret (shown once): ${secret}`);
      });
    });
  webhooks.command("list <app>")
    .description("list an app's webhook endpoints")
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const app = await requireApp(database.db, appRef);
        const rows = (await listEndpoints(database.db, app.id)).map((e) => ({
          ...e,
          createdAt: isoTime(e.createdAt),
          rotatingUntil: isoTime(e.rotatingUntil),
        }));
        if (options.json) return printJson(context.io, rows);
        printTable(
          context.io,
          rows,
          ["id", "url", "events", "createdAt", "rotatingUntil"],
          `No webhooks for ${app.name}`,
        );
      });
    });
  webhooks.command("remove <endpointId>")
    .description("remove an endpoint and its secret")
    .action(async (id: string) => {
      await context.withAppliance(async ({ database, vault, now }) => {
        await removeEndpoint({ db: database.db, vault, now }, id, null, context.actor());
        context.io.out(`Removed ${id}`);
      });
    });
  webhooks.command("rotate-secret <endpointId>")
    .description("new signing secret; the old one keeps signing for the grace period")
    .option("--grace-hours <n>", "hours both secrets sign", "24")
    .option("--json", "print JSON")
    .action(async (id: string, options: { graceHours: string; json?: boolean }) => {
      await context.withAppliance(async ({ database, vault, now }) => {
        const { secret, oldValidUntil } = await rotateEndpointSecret(
          { db: database.db, vault, now },
          id,
          Number(options.graceHours) * 3_600_000,
          null,
          context.actor(),
        );
        if (options.json) {
          return printJson(context.io, { id, secret, oldValidUntil: isoTime(oldValidUntil) });
        }
        context.io.out(`New signing secret (shown once): ${secret}`);
        context.io.out(`The previous secret also signs until ${isoTime(oldValidUntil)}`);
      });
    });
  webhooks.command("deliveries <app>")
    .description("recent deliveries and their state")
    .option("--json", "print JSON")
    .action(async (appRef: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const app = await requireApp(database.db, appRef);
        const rows = (await listDeliveries(database.db, app.id)).map((d) => ({
          ...d,
          createdAt: isoTime(d.createdAt),
          nextAttemptAt: isoTime(d.nextAttemptAt),
          deliveredAt: isoTime(d.deliveredAt),
        }));
        if (options.json) return printJson(context.io, rows);
        printTable(context.io, rows, [
          "id",
          "eventType",
          "status",
          "attempts",
          "lastStatus",
          "lastError",
          "createdAt",
        ], "No deliveries yet");
      });
    });
  webhooks.command("redeliver <deliveryId>")
    .description("send a delivery again (same webhook-id)")
    .action(async (id: string) => {
      await context.withAppliance(async ({ database, now }) => {
        await redeliver(database, id, now(), context.actor());
        context.io.out(`Queued ${id} for delivery; a running appliance sends it within seconds`);
      });
    });
  webhooks.command("test <app>")
    .description("queue a webhook.test event to every endpoint of APP")
    .action(async (appRef: string) => {
      await context.withAppliance(async ({ database, now }) => {
        const app = await requireApp(database.db, appRef);
        const queued = await queueTestEvent(database, app.id, context.actor(), now());
        context.io.out(
          queued === 0
            ? `${app.name} has no endpoint for webhook.test`
            : `Queued a test event to ${queued} endpoint(s)`,
        );
      });
    });
}
