import type { Actor } from "../audit/actor.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Database } from "../db/client.ts";
import type { CreateAppInput } from "./app_input.ts";
import { type App, createApp } from "./app_store.ts";
import { type ApiKeyRecord, createApiKey } from "./key_store.ts";

/**
 * Creates an app and its first API key (a backend key: the app's server is
 * its first user) in one transaction, with the audit records of both (the
 * key's id and role, never the key).
 */
export async function createAppWithKey(
  database: Database,
  input: CreateAppInput,
  deps: { now: () => number; by: Actor },
): Promise<{ app: App; record: ApiKeyRecord; secret: string }> {
  return await database.transaction(async (tx) => {
    const app = await createApp(tx, input, deps);
    const { record, secret } = await createApiKey(tx, app.id, deps);
    const at = deps.now();
    await recordAdminEvent(tx, {
      kind: "admin.app.created",
      by: deps.by,
      appId: app.id,
      data: { name: app.name, origins: app.origins },
    }, at);
    await recordAdminEvent(tx, {
      kind: "admin.key.created",
      by: deps.by,
      appId: app.id,
      data: { keyId: record.id, role: record.role },
    }, at);
    return { app, record, secret };
  });
}
