import { decodeBase32IgnorePadding, encodeBase32NoPadding } from "@oslojs/encoding";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Database, Db } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { admins } from "../db/schema.ts";
import { textProblem } from "../identifiers/identifier.ts";
import type { VaultStore } from "../vault/store.ts";
import { adminErrors } from "./admin_errors.ts";
import { hashPassword, type ScryptParams } from "./password_hash.ts";
import { matchTotp, newTotpKey } from "./totp.ts";

export const TOTP_PURPOSE = "admin-totp";
export const MIN_PASSWORD_LENGTH = 12;

export interface Admin {
  id: string;
  name: string;
  passwordHash: string;
  totpSecretId: string;
  totpConfirmedAt: number | null;
  totpLastCounter: number | null;
  createdAt: number;
  lastSignInAt: number | null;
}

export interface AdminDeps {
  database: Database;
  vault: VaultStore;
  now: () => number;
  scrypt?: ScryptParams;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Creates an admin with a fresh TOTP key (returned for enrolment; kept in the vault). */
/** Refuses a name a new admin cannot have (malformed, or taken), before a password is asked for. */
export async function checkNewAdminName(deps: Pick<AdminDeps, "database">, name: string) {
  const problem = textProblem(name, { max: 63, ids: true });
  if (problem) throw adminErrors.invalidName(problem);
  if (!NAME.test(name)) {
    throw adminErrors.invalidName("must be 1-63 lower-case letters, digits, '.', '_' or '-'");
  }
  if (await findAdmin(deps.database.db, name)) throw adminErrors.exists(name);
}

export async function createAdmin(
  deps: AdminDeps,
  name: string,
  password: string,
): Promise<{ admin: Admin; totpKey: Uint8Array }> {
  if ([...password].length < MIN_PASSWORD_LENGTH) throw adminErrors.weakPassword();
  await checkNewAdminName(deps, name);
  const totpKey = newTotpKey();
  const admin: Admin = {
    id: newId("adm"),
    name,
    passwordHash: await hashPassword(password, deps.scrypt),
    totpSecretId: newId("tot"),
    totpConfirmedAt: null,
    totpLastCounter: null,
    createdAt: deps.now(),
    lastSignInAt: null,
  };
  await deps.vault.put(admin.totpSecretId, TOTP_PURPOSE, encodeBase32NoPadding(totpKey));
  await deps.database.db.insert(admins).values(admin);
  return { admin, totpKey };
}

export async function findAdmin(db: Db, name: string): Promise<Admin | null> {
  const [row] = await db.select().from(admins).where(eq(admins.name, name)).limit(1);
  return row ?? null;
}

export async function getAdmin(db: Db, id: string): Promise<Admin | null> {
  const [row] = await db.select().from(admins).where(eq(admins.id, id)).limit(1);
  return row ?? null;
}

export async function listAdmins(db: Db): Promise<Admin[]> {
  return await db.select().from(admins).orderBy(admins.name);
}

export async function readTotpKey(vault: VaultStore, admin: Admin): Promise<Uint8Array> {
  const stored = await vault.get(admin.totpSecretId, TOTP_PURPOSE);
  if (!stored) throw new Error(`TOTP key of admin ${admin.name} is missing from the vault`);
  return decodeBase32IgnorePadding(stored.value);
}

/** The TOTP step `code` matches for this admin's key (see matchTotp), or null. */
export async function matchTotpCode(
  vault: VaultStore,
  admin: Admin,
  code: string,
  now: number,
): Promise<number | null> {
  return matchTotp(await readTotpKey(vault, admin), code, now, admin.totpLastCounter);
}

/**
 * Records the TOTP step just used (and the enrolment, the first time). The
 * condition makes it single-use across concurrent sign-ins: false when
 * another request already used this step or a later one.
 */
export async function acceptTotpStep(
  db: Db,
  admin: Admin,
  counter: number,
  now: number,
): Promise<boolean> {
  const result = await db.update(admins).set({
    totpLastCounter: counter,
    totpConfirmedAt: admin.totpConfirmedAt ?? now,
    lastSignInAt: now,
  }).where(
    and(
      eq(admins.id, admin.id),
      or(isNull(admins.totpLastCounter), lt(admins.totpLastCounter, counter)),
    ),
  );
  return result.rowsAffected === 1;
}

export async function removeAdmin(deps: AdminDeps, admin: Admin): Promise<void> {
  await deps.database.db.delete(admins).where(eq(admins.id, admin.id));
  await deps.vault.delete(admin.totpSecretId);
}
