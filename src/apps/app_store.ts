import { eq } from "drizzle-orm";
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
}

type AppRow = typeof apps.$inferSelect;

function toApp(row: AppRow): App {
  return { id: row.id, name: row.name, origins: JSON.parse(row.origins), createdAt: row.createdAt };
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
  };
  await db.insert(apps).values(row);
  return toApp(row);
}

export async function listApps(db: Db): Promise<App[]> {
  const rows = await db.select().from(apps).orderBy(apps.createdAt);
  return rows.map(toApp);
}

/** Finds an app by id or by name, as operators type either. */
export async function findApp(db: Db | Tx, idOrName: string): Promise<App | null> {
  const column = idOrName.startsWith("app_") ? apps.id : apps.name;
  const [row] = await db.select().from(apps).where(eq(column, idOrName)).limit(1);
  return row ? toApp(row) : null;
}

export async function requireApp(db: Db, idOrName: string): Promise<App> {
  const app = await findApp(db, idOrName);
  if (!app) {
    throw new SecurixError("SX-APP-NOT-FOUND", `No app "${idOrName}"; see "securix apps list"`, {
      status: 404,
    });
  }
  return app;
}

export async function setAppOrigins(db: Db, appId: string, origins: string[]): Promise<void> {
  await db.update(apps).set({ origins: JSON.stringify(origins) }).where(eq(apps.id, appId));
}
