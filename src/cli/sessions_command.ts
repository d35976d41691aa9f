import { type Command, Option } from "commander";
import { listApps, requireApp } from "../apps/app_store.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { flowErrors } from "../flows/flow_errors.ts";
import { listSessionsPage, readSession, SESSION_STATUSES } from "../flows/session_listing.ts";
import { sessionOperatorView } from "../flows/session_operator_view.ts";
import type { SessionStatus } from "../flows/session_types.ts";
import { parseDuration } from "../security/duration.ts";
import type { CliContext } from "./context.ts";
import { printJson } from "./io.ts";
import { pageAfter, pagedListOptions, pageLimit, printList } from "./list_output.ts";

interface ListOptions {
  entity?: string;
  provider?: string;
  status?: SessionStatus;
  since?: string;
  json?: boolean;
  limit: string;
  cursor?: string;
}

/** `--since 1h`: how far back, as durations are written in securix.toml. */
function sinceMs(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const ms = parseDuration(raw);
  if (ms === null) {
    throw new SecurixError("SX-INVALID-INPUT", "--since: expected a duration like 90s, 1h or 7d", {
      status: 400,
    });
  }
  return ms;
}

/**
 * `securix sessions`: the consent sessions apps started, with their status
 * and why one failed, so "my user's consent failed" has an answer. Reads only;
 * never the sxc, PKCE verifier, state or any token.
 */
export function registerSessions(program: Command, context: CliContext): void {
  const sessions = program.command("sessions").description(
    "list users' consent sessions with status and failure reason; show one",
  );
  const list = sessions.command("list [app]")
    .description("list consent sessions, newest first (app: name or id)")
    .option("--entity <entityId>", "only this entity (the app's user id)")
    .option("--provider <name>", "only sessions asking for this provider")
    .addOption(new Option("--status <status>", "only this status").choices(SESSION_STATUSES))
    .option("--since <duration>", "only sessions created in the last 90s, 1h, 7d…");
  pagedListOptions(list).action(async (appRef: string | undefined, options: ListOptions) => {
    const limit = pageLimit(options.limit);
    const since = sinceMs(options.since);
    await context.withAppliance(async ({ database, now }) => {
      const app = appRef ? await requireApp(database.db, appRef) : null;
      const names = new Map((await listApps(database.db)).map((a) => [a.id, a.name]));
      const at = now();
      const page = await listSessionsPage(database.db, {
        appId: app?.id,
        entityId: options.entity,
        provider: options.provider,
        status: options.status,
        since: since === null ? undefined : at - since,
      }, { limit, after: pageAfter(options.cursor), now: at });
      const views = page.sessions.map((s) => sessionOperatorView(s, names.get(s.appId) ?? null));
      printList(context.io, options.json, {
        // The table gives the reason in words; --json keeps the stored code beside them.
        rows: views.map((v) => ({
          ...v,
          providers: Object.keys(v.providers).join(" "),
          reason: v.reasonText,
        })),
        json: views,
        columns: [
          "id",
          "created",
          "app",
          "entity",
          "providers",
          "flow",
          "status",
          "reasonText",
          "expires",
        ],
        empty: "No sessions",
        more: { what: "sessions", next: page.next },
      });
    });
  });
  sessions.command("show <sessionId>")
    .description("one session: status, reason, providers and accounts; never a secret")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      await context.withAppliance(async ({ database, now }) => {
        const session = await readSession(database.db, id, now());
        if (!session) throw flowErrors.sessionNotFound();
        const names = new Map((await listApps(database.db)).map((a) => [a.id, a.name]));
        const view = sessionOperatorView(session, names.get(session.appId) ?? null);
        if (options.json) return printJson(context.io, view);
        printShow(context, view);
      });
    });
}

function printShow(
  context: CliContext,
  view: ReturnType<typeof sessionOperatorView>,
): void {
  const { providers, ...facts } = view;
  for (const [key, value] of Object.entries(facts)) {
    context.io.out(`${key}: ${value ?? "—"}`);
  }
  for (const [name, step] of Object.entries(providers)) {
    const account = step.account?.email ?? step.account?.name ?? step.account?.id ?? "—";
    context.io.out(
      `provider ${name}: ${step.status}; account ${account}; scopes ${
        step.scopes.join(" ") || "—"
      }${step.error ? `; error ${step.error}` : ""}`,
    );
  }
}
