/** Test data written straight into an appliance: apps, connections, and reads of the vault. */
import assert from "node:assert/strict";
import { addAgent } from "../../src/agents/agent_store.ts";
import { type App, createApp } from "../../src/apps/app_store.ts";
import { createApiKey } from "../../src/apps/key_store.ts";
import { insertConnection } from "../../src/connections/connection_store.ts";
import {
  type Connection,
  CREDENTIAL_PURPOSE,
  type OAuthCredential,
  oauthTokens,
  type StoredCredential,
} from "../../src/connections/connection_types.ts";
import type { Account } from "../../src/flows/session_types.ts";
import { readStoredCredential } from "../../src/connections/stored_credential.ts";
import type { Appliance } from "../../src/http/appliance.ts";

export interface SeedAppOptions {
  name: string;
  origins?: string[];
  agentId?: string;
}

/** An app with one API key and one agent, on the appliance's clock: what a caller needs before the API or proxy answers. */
export async function seedApp(
  appliance: Appliance,
  { name, origins = [], agentId = "agent-1" }: SeedAppOptions,
): Promise<{ app: App; apiKey: string }> {
  const db = appliance.database.db;
  const app = await createApp(db, { name, origins }, appliance);
  const { secret: apiKey } = await createApiKey(db, app.id, appliance);
  await addAgent(db, app.id, { agentId }, appliance);
  return { app, apiKey };
}

export interface SeedConnectionOptions {
  id: string;
  appId: string;
  entityId: string;
  provider: string;
  accessToken: string;
  refreshToken?: string | null;
}

/** An active connection whose vault credential (`cred_<id>`) is a fixed token, with no consent flow to run. */
export async function seedConnection(
  appliance: Appliance,
  { accessToken, refreshToken = null, ...where }: SeedConnectionOptions,
): Promise<Connection> {
  const credential = {
    accessToken,
    refreshToken,
    tokenType: "bearer",
    expiresAt: null,
    scopes: [],
  };
  return await seedStoredConnection(appliance, { ...where, credential });
}

export interface SeedStoredConnectionOptions {
  id: string;
  appId: string;
  entityId: string;
  provider: string;
  credential: StoredCredential;
  /** Vault record id; default `cred_<id>`. */
  credentialId?: string;
  scopes?: string[];
  account?: Account | null;
}

/** An active connection holding exactly `credential` in the vault: the start of every refresh test. */
export async function seedStoredConnection(
  appliance: Appliance,
  options: SeedStoredConnectionOptions,
): Promise<Connection> {
  const credentialId = options.credentialId ?? `cred_${options.id}`;
  await appliance.vault.put(credentialId, CREDENTIAL_PURPOSE, JSON.stringify(options.credential));
  const now = appliance.now();
  const connection: Connection = {
    id: options.id,
    appId: options.appId,
    entityId: options.entityId,
    provider: options.provider,
    status: "active",
    scopes: options.scopes ?? [],
    account: options.account ?? null,
    credentialId,
    credentialExpiresAt: oauthTokens(options.credential)?.expiresAt ?? null,
    sessionId: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await insertConnection(appliance.database.db, connection);
  return connection;
}

/** The token set the vault holds under `credentialId`, or null: what the proxy would inject. */
export async function vaultCredential(
  appliance: Appliance,
  credentialId: string,
): Promise<OAuthCredential | null> {
  const stored = await vaultRecord(appliance, credentialId);
  return stored ? oauthTokens(stored) : null;
}

/** The credential of any kind the vault holds under `credentialId`, or null. */
export async function vaultRecord(
  appliance: Appliance,
  credentialId: string,
): Promise<StoredCredential | null> {
  return (await readStoredCredential(appliance.vault, { credentialId }))?.credential ?? null;
}

/** The credential of the entity's one active connection (to `provider`, if given), or null when it has none. */
export async function storedCredential(
  appliance: Appliance,
  entityId: string,
  provider?: string,
): Promise<OAuthCredential | null> {
  const { rows } = await appliance.database.client.execute({
    sql: "SELECT credential_id FROM connections WHERE entity_id = ? AND status = 'active'" +
      (provider === undefined ? "" : " AND provider = ?"),
    args: provider === undefined ? [entityId] : [entityId, provider],
  });
  assert.ok(rows.length <= 1, "one active connection");
  if (rows.length === 0) return null;
  const credential = await vaultCredential(appliance, String(rows[0].credential_id));
  assert.ok(credential, "the credential is in the vault");
  return credential;
}
