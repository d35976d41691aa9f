/**
 * Migration 0020 on a database an older build wrote (through 0019): its
 * backend and agent keys become unbound keys and keep working on the proxy
 * of an appliance opened on that file, naming any registered agent as before.
 */
import assert from "node:assert/strict";
import { digestApiKey, generateApiKey, keyHint } from "../src/apps/api_key.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { startFakeApis } from "./helpers/fake_provider_apis.ts";
import { migratedAppliance } from "./helpers/migrated_appliance.ts";
import { freePort } from "./helpers/process.ts";
import { tokenOf } from "./helpers/rules_env.ts";
import { seedConnection } from "./helpers/seed.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const BEFORE_0020 = MIGRATIONS.findIndex((m) => m.name === "0020_key_agents");

/** An app with two agents and a backend and an agent key, written as an 0.1.x build would. */
async function oldDatabase(dir: string): Promise<{ backend: string; agent: string }> {
  assert.ok(BEFORE_0020 > 0);
  const { database } = await migratedAppliance(dir, MIGRATIONS.slice(0, BEFORE_0020), "0.1.0");
  try {
    const sql = (text: string, args: (string | number)[] = []) =>
      database.client.execute({ sql: text, args });
    await sql(
      "INSERT INTO apps (id, name, origins, created_at) VALUES ('app_old', 'demo', '[]', 1)",
    );
    for (const agent of ["agent-1", "mail-agent"]) {
      await sql(
        "INSERT INTO agents (id, app_id, agent_id, created_at) VALUES (?, 'app_old', ?, 1)",
        [`agt_${agent.replace("-", "")}`, agent],
      );
    }
    const keys = { backend: generateApiKey(), agent: generateApiKey() };
    for (const [role, secret] of Object.entries(keys)) {
      await sql(
        "INSERT INTO api_keys (id, app_id, digest, hint, created_at, role) VALUES (?, 'app_old', ?, ?, 1, ?)",
        [`key_${role}`, digestApiKey(secret), keyHint(secret), role],
      );
    }
    return keys;
  } finally {
    database.close();
  }
}

Deno.test({
  name: "migration 0020: keys of an older database stay unbound and keep working on the proxy",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "securix-0020-" });
    const fake = await startFakeApis({ token: (p) => tokenOf(p) });
    try {
      const keys = await oldDatabase(dir);
      const masterKeyHex = (await Deno.readTextFile(`${dir}/master.key`)).trim();
      const port = freePort();
      const temp = await openTempAppliance({
        dir,
        masterKeyHex,
        raw: {
          server: { listen: `127.0.0.1:${port}`, base_domain: "localhost" },
          providers: { gmail: { client_id: "c", client_secret: "s", api_base_url: fake.url } },
        },
      });
      const { appliance } = temp;
      const { rows } = await appliance.database.client.execute(
        "SELECT id, role, agent_id FROM api_keys ORDER BY id",
      );
      assert.deepEqual(rows.map((r) => [r.id, r.role, r.agent_id]), [
        ["key_agent", "agent", null],
        ["key_backend", "backend", null],
      ]);
      await assert.rejects(
        appliance.database.client.execute(
          "UPDATE api_keys SET agent_id = 'agent-1' WHERE id = 'key_backend'",
        ),
        /CHECK constraint failed/,
        "only an agent key can be bound",
      );
      await seedConnection(appliance, {
        id: "con_alicegmail",
        appId: "app_old",
        entityId: "alice",
        provider: "gmail",
        accessToken: tokenOf("gmail"),
      });
      const served = await serveRuntime(appliance, port);
      try {
        for (const key of [keys.backend, keys.agent]) {
          for (const agent of ["agent-1", "mail-agent"]) {
            const res = await fetch(
              `http://127.0.0.1:${port}/proxy/gmail/gmail/v1/users/me/messages`,
              {
                headers: {
                  "securix-api-key": key,
                  "securix-agent-id": agent,
                  "securix-entity-id": "alice",
                },
              },
            );
            assert.equal(res.status, 200, `${agent}: ${await res.text()}`);
          }
        }
      } finally {
        await served.stop();
      }
      await temp.cleanup();
    } finally {
      await fake.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
