import { and, eq, isNull } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { apps } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { type CreateAppInput, createAppInput } from "./app_input.ts";

export interface App {
  id: string;
  name: string;
  origins: string[];
  createdAt: number;
  /** `GET /v1/token` may release its users' credentials; off unless an operator allowed it. */
  credentialRelease: boolean;
  /**
   * Its API key may decide its held calls (`POST /v1/approvals/{id}`); off unless an
   * operator allowed it, since the agent whose call is held holds that key too.
   */
  approvalsViaApi: boolean;
}

type AppRow = typeof apps.$inferSelect;

export function toApp(row: AppRow): App {
  return {
    id: row.id,
    name: row.name,
    origins: JSON.parse(row.origins),
    createdAt: row.createdAt,
    credentialRelease: row.credentialRelease,
    approvalsViaApi: row.approvalsViaApi,
  };
}

export async function createApp(
  db: Db | Tx,
  input: CreateAppInput,
  deps: { now: () => number },
): Promise<App> {
  const parsed = createAppInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SecurixError(
      "SX-INVALID-INPUT",
      `Invalid app ${issue.path.join(".")}: ${issue.message}`,
      {
        status: 400,
      },
    );
  }
  if (await findApp(db, parsed.data.name)) {
    throw new SecurixError("SX-APP-EXISTS", `An app named "${parsed.data.name}" already exists`, {
      status: 409,
    });
  }
  const row: AppRow = {
    id: newId("app"),
    name: parsed.data.name,
    origins: JSON.stringify(parsed.data.origins),
    createdAt: deps.now(),
    deletedAt: null,
    credentialRelease: false,
    approvalsViaApi: false,
  };
  await db.insert(apps).values(row);
  return toApp(row);
}

export async function listApps(db: Db): Promise<App[]> {
  const rows = await db.select().from(apps).where(isNull(apps.deletedAt)).orderBy(apps.createdAt);
  return rows.map(toApp);
}

/** Finds a live (not deleted) app by id or by name, as operators type either. */
export async function findApp(db: Db | Tx, idOrName: string): Promise<App | null> {
  const column = idOrName.startsWith("app_") ? apps.id : apps.name;
  const [row] = await db.select().from(apps).where(
    and(eq(column, idOrName), isNull(apps.deletedAt)),
  ).limit(1);
  return row ? toApp(row) : null;
}

export async function requireApp(db: Db | Tx, idOrName: string): Promise<App> {
  const app = await findApp(db, idOrName);
  if (!app) {
    throw new SecurixError("SX-APP-NOT-FOUND", `No app "${idOrName}"; see "securix apps list"`, {
      status: 404,
    });
  }
  return app;
}

/** Writes a new name, origin list, release and API-approval settings (validated by the caller). */
export async function saveApp(db: Db | Tx, app: App): Promise<void> {
  await db.update(apps).set({
    name: app.name,
    origins: JSON.stringify(app.origins),
    credentialRelease: app.credentialRelease,
    approvalsViaApi: app.approvalsViaApi,
  }).where(
    eq(apps.id, app.id),
  );
}

/**
 * Marks the app deleted. Its name is rewritten to one `appName` never accepts,
 * so the tombstone neither answers to the old name nor blocks a new app taking it.
 */
export async function markAppDeleted(db: Db | Tx, app: App, at: number): Promise<void> {
  await db.update(apps).set({ deletedAt: at, name: `${app.name}~deleted~${app.id}` }).where(
    eq(apps.id, app.id),
  );
}
