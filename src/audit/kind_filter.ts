import { eq, or, type SQL, sql } from "drizzle-orm";
import { auditLog } from "../db/schema.ts";

/**
 * `--kind session,admin.webhook,proxy.request`: each entry matches that kind
 * exactly or every kind under it (`admin.webhook` → `admin.webhook.added`, …).
 * Compared with substr, not LIKE, because kinds contain `_`.
 */
export function kindFilter(list: string | undefined): SQL | null {
  const entries = (list ?? "").split(",").map((s) => s.trim().replace(/\.$/, "")).filter(Boolean);
  if (entries.length === 0) return null;
  return or(
    ...entries.map((kind) =>
      or(
        eq(auditLog.kind, kind),
        sql`substr(${auditLog.kind}, 1, ${kind.length + 1}) = ${kind + "."}`,
      )
    ),
  )!;
}
