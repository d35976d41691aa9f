import type { Actor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Database } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { MAX_ORIGINS, type UpdateAppInput, updateAppInput } from "./app_input.ts";
import { type App, findApp, requireApp, saveApp } from "./app_store.ts";

function invalid(message: string): SecurixError {
  return new SecurixError("SX-INVALID-INPUT", message, { status: 400 });
}

/**
 * Renames an app, adds and removes allowed origins, and switches credential
 * release and API approvals, in one transaction
 * with its `admin.app.updated` record. The command behind `securix apps
 * update`, written for an admin API or console to call as well.
 */
export async function updateApp(
  database: Database,
  idOrName: string,
  input: UpdateAppInput,
  deps: { now: () => number; by: Actor },
): Promise<{ app: App; before: App }> {
  const parsed = updateAppInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`Invalid app ${issue.path.join(".")}: ${issue.message}`);
  }
  const { name, addOrigins, removeOrigins, credentialRelease, approvalsViaApi } = parsed.data;
  if (
    name === undefined && addOrigins.length === 0 && removeOrigins.length === 0 &&
    credentialRelease === undefined && approvalsViaApi === undefined
  ) {
    throw invalid(
      "Nothing to change: give --name NEW, --origin URL, --remove-origin URL, --[no-]allow-credential-release or --[no-]allow-api-approvals",
    );
  }
  return await database.transaction(async (tx) => {
    const before = await requireApp(tx, idOrName);
    const unknown = removeOrigins.filter((o) => !before.origins.includes(o));
    if (unknown.length > 0) {
      throw invalid(
        `${before.name} has no origin ${unknown.join(", ")}; its origins: ${
          before.origins.join(", ") || "none"
        }`,
      );
    }
    const removed = new Set(removeOrigins);
    const origins = [...new Set([...before.origins.filter((o) => !removed.has(o)), ...addOrigins])];
    if (origins.length > MAX_ORIGINS) {
      throw invalid(`An app has at most ${MAX_ORIGINS} origins; remove some with --remove-origin`);
    }
    if (name !== undefined && name !== before.name && await findApp(tx, name)) {
      throw new SecurixError("SX-APP-EXISTS", `An app named "${name}" already exists`, {
        status: 409,
      });
    }
    const app: App = {
      ...before,
      name: name ?? before.name,
      origins,
      credentialRelease: credentialRelease ?? before.credentialRelease,
      approvalsViaApi: approvalsViaApi ?? before.approvalsViaApi,
    };
    await saveApp(tx, app);
    await recordAdminEvent(tx, {
      kind: "admin.app.updated",
      by: deps.by,
      appId: app.id,
      data: {
        ...(app.name !== before.name ? { name: app.name, previousName: before.name } : {}),
        origins: app.origins,
        previousOrigins: before.origins,
        // Who switched credential release on or off, and when, is part of the trail.
        ...(app.credentialRelease !== before.credentialRelease
          ? { credentialRelease: app.credentialRelease }
          : {}),
        // So is who let the app key decide held calls (an agent holds that key).
        ...(app.approvalsViaApi !== before.approvalsViaApi
          ? { approvalsViaApi: app.approvalsViaApi }
          : {}),
      },
    }, deps.now());
    return { app, before };
  });
}
