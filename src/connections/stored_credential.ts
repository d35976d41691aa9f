import { z } from "zod";
import type { VaultStore } from "../vault/store.ts";
import {
  type Connection,
  CREDENTIAL_FORMAT_VERSION,
  CREDENTIAL_PURPOSE,
  type StoredCredential,
} from "./connection_types.ts";
import { credentialErrors } from "./credential_errors.ts";

const text = z.string().min(1);

const oauth2 = z.object({
  kind: z.literal("oauth2"),
  accessToken: text,
  refreshToken: z.string().nullable(),
  tokenType: z.string(),
  expiresAt: z.number().nullable(),
  obtainedAt: z.number().nullish(),
  scopes: z.array(z.string()),
  idToken: z.string().nullish(),
});

const apiKey = z.object({
  kind: z.literal("api_key"),
  fields: z.record(z.string(), z.string()).refine((f) => Object.keys(f).length > 0),
});

const basic = z.object({ kind: z.literal("basic"), username: z.string(), password: z.string() });

const sigv4 = z.object({
  kind: z.literal("aws_sigv4"),
  accessKeyId: text,
  secretAccessKey: text,
  sessionToken: z.string().nullable(),
});

const record = z.discriminatedUnion("kind", [oauth2, apiKey, basic, sigv4]);

/**
 * The credential in a vault record's plaintext. A record that is not JSON or
 * not a credential of a known kind and version is SX-CREDENTIAL-UNREADABLE,
 * which never names a field value.
 */
export function parseStoredCredential(plaintext: string): StoredCredential {
  let raw: unknown;
  try {
    raw = JSON.parse(plaintext);
  } catch {
    throw credentialErrors.unreadable("the record is not JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw credentialErrors.unreadable("the record is not an object");
  }
  const { v, ...rest } = raw as Record<string, unknown>;
  if (v !== undefined && v !== CREDENTIAL_FORMAT_VERSION) {
    throw credentialErrors.unreadable(`format version ${String(v)} is not known to this appliance`);
  }
  // Records from before the union carry neither `v` nor `kind`: OAuth token sets.
  const parsed = record.safeParse("kind" in rest ? rest : { ...rest, kind: "oauth2" });
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join(".") || "(record)");
    throw credentialErrors.unreadable(`unexpected ${[...new Set(where)].join(", ")}`);
  }
  return parsed.data as StoredCredential;
}

/** The vault plaintext for `credential`: always with the format version and its kind. */
export function serializeCredential(credential: StoredCredential): string {
  return JSON.stringify({
    v: CREDENTIAL_FORMAT_VERSION,
    ...credential,
    kind: credential.kind ?? "oauth2",
  });
}

/** The connection's decrypted credential and its vault version, or null when none is stored. */
export async function readStoredCredential(
  vault: VaultStore,
  connection: Pick<Connection, "credentialId">,
): Promise<{ credential: StoredCredential; version: number } | null> {
  if (!connection.credentialId) return null;
  const record = await vault.get(connection.credentialId, CREDENTIAL_PURPOSE);
  if (!record) return null;
  return { credential: parseStoredCredential(record.value), version: record.version };
}
