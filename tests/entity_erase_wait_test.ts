/**
 * Erasing a user whose agent is waiting on a held call (`approve` with
 * `wait`): the held request answers as soon as the erasure commits, not at
 * its next poll, and the call is never sent.
 */
import assert from "node:assert/strict";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "entity erase: a request held for the entity's approval answers at once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{
        name: "send_needs_ok",
        target: "gmail.users.messages.send",
        effect: "approve",
        wait: "30s",
      }],
      entities: ["alice", "bob"],
      // Far longer than the answer may take: only the after-commit wake-up can explain it.
      runtime: { approvalPollMs: 10_000 },
    });
    const client = env.temp.appliance.database.client;
    try {
      const held = fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
        method: "POST",
        headers: { ...env.headers({ entity: "alice" }), "content-type": "application/json" },
        body: JSON.stringify({ raw: "aGk" }),
      });
      for (let i = 0; i < 200; i++) {
        const { rows } = await client.execute("SELECT count(*) AS n FROM approvals");
        if (Number(rows[0].n) > 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      const started = performance.now();
      const erased = await fetch(`${env.base}/v1/entities/alice`, {
        method: "DELETE",
        headers: { "securix-api-key": env.apiKey() },
      });
      assert.equal(erased.status, 200, await erased.clone().text());
      assert.equal((await erased.json()).approvals, 1);
      const answer = await held;
      const waited = performance.now() - started;
      const body = await answer.json();
      assert.equal(answer.status, 404, JSON.stringify(body));
      assert.equal(body.error.code, "SX-APPROVAL-NOT-FOUND");
      assert.ok(waited < 5_000, `answered after ${Math.round(waited)} ms`);
      assert.equal(env.fake.state.gmail.sent.length, 0, "never sent");
    } finally {
      await env.close();
    }
  },
});
