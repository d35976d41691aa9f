/**
 * Rate-limit buckets, attacked by the caller that fills them: the same
 * entity named three ways (UTF-8 bytes, one Latin-1 byte, its connection id)
 * and the same agent padded with whitespace share one bucket; a case
 * variant of the agent id is another, unregistered agent and never reaches
 * the provider, so no spelling escapes a limit.
 */
import assert from "node:assert/strict";
import { requireApp } from "../src/apps/app_store.ts";
import { rulesEnv, tokenOf } from "./helpers/rules_env.ts";
import { seedConnection } from "./helpers/seed.ts";

Deno.test({
  name:
    "rate limit: no spelling of the entity or agent id (UTF-8, Latin-1, connection id, padding, case) escapes its bucket",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [
        { name: "per_user", target: "gmail.*", effect: "limit", rate: "3/min", per: "entity" },
        { name: "per_agent", target: "drive.*", effect: "limit", rate: "2/min", per: "agent" },
      ],
    });
    try {
      const { appliance } = env.temp;
      const app = await requireApp(appliance.database.db, "demo");
      await seedConnection(appliance, {
        id: "con_josegmail",
        appId: app.id,
        entityId: "josé",
        provider: "gmail",
        accessToken: tokenOf("gmail"),
      });
      const key = env.apiKey();
      const gmail = (selector: Record<string, string>) =>
        fetch(`${env.proxy("gmail")}/gmail/v1/users/me/labels`, {
          headers: { "securix-api-key": key, "securix-agent-id": "agent-1", ...selector },
        });
      const codes: number[] = [];
      const selectors: Record<string, string>[] = [
        { "securix-entity-id": "jos\u00c3\u00a9" }, // "josé" as UTF-8 bytes
        { "securix-entity-id": "jos\u00e9" }, // "josé" as one Latin-1 byte
        { "securix-connection-id": "con_josegmail" },
        { "securix-entity-id": "  jos\u00c3\u00a9\t" },
      ];
      for (const selector of selectors) {
        const res = await gmail(selector);
        await res.body?.cancel();
        codes.push(res.status);
      }
      assert.deepEqual(codes, [200, 200, 200, 429], "one bucket for josé however named");

      const drive = (agent: string) =>
        fetch(`${env.proxy("drive")}/drive/v3/files`, {
          headers: { ...env.headers(), "securix-agent-id": agent },
        });
      const agents: number[] = [];
      for (const agent of ["agent-1", " agent-1 ", "AGENT-1", "agent-1"]) {
        const res = await drive(agent);
        await res.body?.cancel();
        agents.push(res.status);
      }
      // The case variant is no registered agent: refused before any bucket or provider.
      assert.equal(agents[0], 200);
      assert.equal(agents[1], 200);
      assert.ok([401, 403].includes(agents[2]), `AGENT-1: ${agents[2]}`);
      assert.equal(agents[3], 429, "agent-1's bucket was spent by its padded spelling");
    } finally {
      await env.close();
    }
  },
});
