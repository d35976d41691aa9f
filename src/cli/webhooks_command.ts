import type { Command } from "commander";
import { requireApp } from "../apps/app_store.ts";
import { addWebhookCommand } from "../commands/add_webhook.ts";
import { redeliverWebhookCommand } from "../commands/redeliver_webhook.ts";
import { removeWebhookCommand } from "../commands/remove_webhook.ts";
import { rotateWebhookSecretCommand } from "../commands/rotate_webhook_secret.ts";
import { sendTestWebhookCommand } from "../commands/send_test_webhook.ts";
import { listDeliveries } from "../webhooks/delivery_store.ts";
import { eventsInput, listEndpoints } from "../webhooks/endpoint_store.ts";
import { dnsResolver, TargetRefused } from "../webhooks/target_policy.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";
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
      await context.withAppliance(async (appliance) => {
        const app = await requireApp(appliance.database.db, appRef);
        const { endpoint, secret } = await addWebhookCommand(
          context.commands(appliance),
          {
            allowPrivate: appliance.config.webhooks.allow_private_targets,
            resolve: dnsResolver,
          },
          app.id,
          { url, events: parseEvents(options.events) },
        ).catch((e) => {
          // The operator may see why; an app through the API sees one generic sentence.
          if (!(e instanceof TargetRefused)) throw e;
          throw new SecurixError(
            e.code,
            `Webhook target refused: ${e.reason}; set [webhooks] allow_private_targets = true for on-prem receivers`,
            { status: e.status },
          );
        });
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
        printList(context.io, options.json, {
          rows,
          columns: ["id", "url", "events", "createdAt", "rotatingUntil"],
          empty: `No webhooks for ${app.name}`,
        });
      });
    });
  webhooks.command("remove <endpointId>")
    .description("remove an endpoint and its secret")
    .action(async (id: string) => {
      await context.withAppliance(async (appliance) => {
        await removeWebhookCommand(context.commands(appliance), id);
        context.io.out(`Removed ${id}`);
      });
    });
  webhooks.command("rotate-secret <endpointId>")
    .description("new signing secret; the old one keeps signing for the grace period")
    .option(
      "--grace-hours <n>",
      "hours both secrets sign (0 while an earlier rotation's secret still signs)",
      "24",
    )
    .option("--json", "print JSON")
    .action(async (id: string, options: { graceHours: string; json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const { secret, oldValidUntil, rotatingUntil } = await rotateWebhookSecretCommand(
          context.commands(appliance),
          id,
          Number(options.graceHours) * 3_600_000,
        );
        if (options.json) {
          return printJson(context.io, {
            id,
            secret,
            oldValidUntil: isoTime(oldValidUntil),
            rotatingUntil: isoTime(rotatingUntil),
          });
        }
        context.io.out(`New signing secret (shown once): ${secret}`);
        if (rotatingUntil === null) {
          context.io.out("The previous secret no longer signs");
        } else if (rotatingUntil === oldValidUntil) {
          context.io.out(`The previous secret also signs until ${isoTime(oldValidUntil)}`);
        } else {
          context.io.out(
            `The replaced secret no longer signs; the one before it signs until ${
              isoTime(rotatingUntil)
            }`,
          );
        }
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
        printList(context.io, options.json, {
          rows,
          columns: [
            "id",
            "eventType",
            "status",
            "attempts",
            "lastStatus",
            "lastError",
            "createdAt",
          ],
          empty: "No deliveries yet",
        });
      });
    });
  webhooks.command("redeliver <deliveryId>")
    .description("send a delivery again (same webhook-id)")
    .action(async (id: string) => {
      await context.withAppliance(async (appliance) => {
        await redeliverWebhookCommand(context.commands(appliance), id);
        context.io.out(`Queued ${id} for delivery; a running appliance sends it within seconds`);
      });
    });
  webhooks.command("test <app>")
    .description("queue a webhook.test event to every endpoint of APP")
    .action(async (appRef: string) => {
      await context.withAppliance(async (appliance) => {
        const app = await requireApp(appliance.database.db, appRef);
        const queued = await sendTestWebhookCommand(context.commands(appliance), app.id);
        context.io.out(
          queued === 0
            ? `${app.name} has no endpoint for webhook.test`
            : `Queued a test event to ${queued} endpoint(s)`,
        );
      });
    });
}
