import { and, eq } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { portalSettings } from "../db/schema.ts";

/** `scope_off`: a `[scopes.<name>]`; `hide_label`: a Gmail label name; `hide_folder`: a Drive folder id. */
export type ChoiceKind = "scope_off" | "hide_label" | "hide_folder";

export interface Choice {
  appId: string;
  entityId: string;
  kind: ChoiceKind;
  value: string;
  /** What the user saw (a folder's name); null when the value says it. */
  label: string | null;
  createdAt: number;
}

export async function listChoices(
  db: Db,
  where?: { appId: string; entityId: string },
): Promise<Choice[]> {
  const rows = where
    ? await db.select().from(portalSettings).where(and(
      eq(portalSettings.appId, where.appId),
      eq(portalSettings.entityId, where.entityId),
    ))
    : await db.select().from(portalSettings);
  return rows as Choice[];
}

/** Sets (on = true) or clears one choice; true when something changed. */
export async function setChoice(
  db: Db | Tx,
  choice: Omit<Choice, "createdAt">,
  on: boolean,
  now: number,
): Promise<boolean> {
  if (on) {
    const inserted = await db.insert(portalSettings).values({ ...choice, createdAt: now })
      .onConflictDoNothing().returning();
    return inserted.length > 0;
  }
  const deleted = await db.delete(portalSettings).where(and(
    eq(portalSettings.appId, choice.appId),
    eq(portalSettings.entityId, choice.entityId),
    eq(portalSettings.kind, choice.kind),
    eq(portalSettings.value, choice.value),
  )).returning();
  return deleted.length > 0;
}
