import { and, desc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import { auditReason, recordAuthEvent } from "../audit/auth_event.ts";
import type { Database, Db, Tx } from "../db/client.ts";
import { authSessions } from "../db/schema.ts";
import type { AuthSession, SessionProvider, SessionStatus } from "./session_types.ts";
import { reportSession } from "./session_outcomes.ts";
import { reasonCode } from "./account_swap.ts";

type Row = typeof authSessions.$inferSelect;

function toSession(row: Row): AuthSession {
  return {
    ...row,
    flow: row.flow as AuthSession["flow"],
    status: row.status as SessionStatus,
    providers: JSON.parse(row.providers) as Record<string, SessionProvider>,
  };
}

export interface NewSession {
  id: string;
  appId: string;
  entityId: string;
  flow: AuthSession["flow"];
  providers: Record<string, SessionProvider>;
  sxcHash: string | null;
  targetOrigin: string | null;
  returnUrl: string | null;
  deviceCodeHash: string | null;
  pollIntervalS: number | null;
  createdAt: number;
  expiresAt: number;
}

export async function insertSession(db: Db | Tx, input: NewSession): Promise<AuthSession> {
  const row: Row = {
    ...input,
    status: "pending",
    reason: null,
    providers: JSON.stringify(input.providers),
    sxcFailures: 0,
    deviceCodeUsedAt: null,
    lastPolledAt: null,
    browserBinding: null,
    endedAt: null,
  };
  await db.insert(authSessions).values(row);
  return toSession(row);
}

/**
 * Reads a session; an open session past its expiry is marked expired on the
 * way out, so every reader sees the same answer without a sweeper.
 */
export async function loadSession(
  database: Database,
  id: string,
  now: number,
): Promise<AuthSession | null> {
  const [row] = await database.db.select().from(authSessions).where(eq(authSessions.id, id)).limit(
    1,
  );
  if (!row) return null;
  const session = toSession(row);
  if (
    (session.status === "pending" || session.status === "awaiting_confirmation") &&
    session.expiresAt <= now
  ) {
    await endSession(database, session, "expired", "session_expired", now);
    return { ...session, status: "expired", reason: "session_expired", endedAt: now };
  }
  return session;
}

export async function findSessionByDeviceCode(
  db: Db,
  codeHash: string,
): Promise<AuthSession | null> {
  const [row] = await db.select().from(authSessions).where(
    eq(authSessions.deviceCodeHash, codeHash),
  ).limit(1);
  return row ? toSession(row) : null;
}

export type SessionPatch = Partial<
  Pick<
    AuthSession,
    | "status"
    | "reason"
    | "providers"
    | "sxcFailures"
    | "browserBinding"
    | "deviceCodeUsedAt"
    | "lastPolledAt"
    | "endedAt"
  >
>;

export async function updateSession(db: Db, id: string, patch: SessionPatch): Promise<void> {
  const { providers, ...rest } = patch;
  await db.update(authSessions).set({
    ...rest,
    ...(providers ? { providers: JSON.stringify(providers) } : {}),
  }).where(eq(authSessions.id, id));
}

/**
 * Records a provider step as connected, and the session's status with it,
 * only while the session is pending and no other sign-in of the same
 * consent connected that provider first (a browser may hold several states
 * of one step, and two callbacks may race). False when another came first.
 */
export async function claimStep(
  db: Db,
  id: string,
  provider: string,
  providers: Record<string, SessionProvider>,
  status: "pending" | "awaiting_confirmation",
): Promise<boolean> {
  const stepStatus = `$."${provider}".status`;
  const claimed = await db.update(authSessions)
    .set({ providers: JSON.stringify(providers), status })
    .where(and(
      eq(authSessions.id, id),
      eq(authSessions.status, "pending"),
      sql`coalesce(json_extract(${authSessions.providers}, ${stepStatus}), '') <> 'connected'`,
    ));
  return claimed.rowsAffected === 1;
}

/**
 * Counts one wrong sxc reveal and records it in the audit log, in one
 * transaction. The count is incremented in SQL so concurrent guesses cannot
 * share a slot under the limit. Returns the new count.
 */
export async function recordSxcFailure(
  database: Database,
  session: AuthSession,
  now: number,
): Promise<number> {
  return await database.transaction(async (tx) => {
    const [row] = await tx.update(authSessions)
      .set({ sxcFailures: sql`${authSessions.sxcFailures} + 1` })
      .where(eq(authSessions.id, session.id))
      .returning({ failures: authSessions.sxcFailures });
    await recordAuthEvent(tx, {
      kind: "session.sxc_mismatch",
      appId: session.appId,
      entityId: session.entityId,
      data: { sessionId: session.id, flow: session.flow, failures: row.failures },
      webhook: null,
    }, now);
    return row.failures;
  });
}

/**
 * Ends an open session and records its audit and webhook events in the same
 * transaction; a session that already ended keeps its outcome.
 */
export async function endSession(
  database: Database,
  session: Pick<AuthSession, "id" | "appId" | "entityId" | "flow">,
  status: Extract<SessionStatus, "failed" | "expired">,
  reason: string | null,
  now: number,
): Promise<boolean> {
  // The stable SX code apps get beside the reason, for reasons that have one.
  const code = reasonCode(reason);
  const ended = await database.transaction(async (tx) => {
    const result = await tx.update(authSessions).set({ status, reason, endedAt: now }).where(
      and(
        eq(authSessions.id, session.id),
        inArray(authSessions.status, ["pending", "awaiting_confirmation"]),
      ),
    );
    if (result.rowsAffected === 0) return false;
    const type = status === "expired" ? "session.expired" : "session.failed";
    await recordAuthEvent(tx, {
      kind: type,
      appId: session.appId,
      entityId: session.entityId,
      data: {
        sessionId: session.id,
        flow: session.flow,
        reason: auditReason(reason),
        ...(code ? { code } : {}),
      },
      webhook: {
        type,
        data: {
          sessionId: session.id,
          entityId: session.entityId,
          flow: session.flow,
          reason,
          ...(code ? { code } : {}),
        },
        orderingKey: `session:${session.id}`,
      },
    }, now);
    return true;
  });
  if (ended) reportSession(database, session.flow, status);
  return ended;
}

/** Marks every open session past its expiry as expired; returns their ids. */
export async function expireSessions(database: Database, now: number): Promise<string[]> {
  const rows = await database.db.select().from(authSessions).where(
    and(
      inArray(authSessions.status, ["pending", "awaiting_confirmation"]),
      lte(authSessions.expiresAt, now),
    ),
  );
  for (const row of rows) {
    await endSession(
      database,
      { ...row, flow: row.flow as AuthSession["flow"] },
      "expired",
      "session_expired",
      now,
    );
  }
  return rows.map((r) => r.id);
}

export async function latestSessionForEntity(
  db: Db,
  appId: string,
  entityId: string,
): Promise<AuthSession | null> {
  const [row] = await db.select().from(authSessions).where(
    and(eq(authSessions.appId, appId), eq(authSessions.entityId, entityId)),
  ).orderBy(desc(authSessions.createdAt)).limit(1);
  return row ? toSession(row) : null;
}

/**
 * Binds a popup session to the browser that proved its opener; only the first
 * browser wins, so a forwarded link cannot re-bind a session already in use.
 */
export async function bindBrowser(db: Db, id: string, bindingHash: string): Promise<boolean> {
  const result = await db.update(authSessions).set({ browserBinding: bindingHash }).where(
    and(eq(authSessions.id, id), isNull(authSessions.browserBinding)),
  );
  return result.rowsAffected > 0;
}

/** Claims a device code for one browser; false when another browser claimed it first. */
export async function claimDeviceCode(
  db: Db,
  id: string,
  bindingHash: string,
  now: number,
): Promise<boolean> {
  const result = await db.update(authSessions).set({
    deviceCodeUsedAt: now,
    browserBinding: bindingHash,
  }).where(and(eq(authSessions.id, id), isNull(authSessions.deviceCodeUsedAt)));
  return result.rowsAffected > 0;
}

/**
 * Fails every open session of an app inside the caller's transaction (app
 * deletion), so no consent still in a browser can create a connection for it.
 */
export async function failOpenSessions(
  tx: Tx,
  appId: string,
  reason: string,
  now: number,
): Promise<number> {
  const result = await tx.update(authSessions).set({ status: "failed", reason, endedAt: now })
    .where(
      and(
        eq(authSessions.appId, appId),
        inArray(authSessions.status, ["pending", "awaiting_confirmation"]),
      ),
    );
  return result.rowsAffected;
}
