import assert from "node:assert/strict";
import { actingAgent } from "./acting_agent.ts";
import { AgentMismatch } from "./proxy_errors.ts";

const app = { id: "app_1" };

Deno.test("actingAgent: a bound key acts for its agent, sent or left out; another id is a mismatch", () => {
  const bound = { app, agentId: "agent-1" };
  assert.equal(actingAgent(bound, "agent-1"), "agent-1");
  assert.equal(actingAgent(bound, null), "agent-1");
  assert.equal(actingAgent(bound, undefined), "agent-1");
  assert.equal(actingAgent(bound, ""), "agent-1");
  for (const other of ["agent-2", "Agent-1", "agent-1 "]) {
    assert.throws(() => actingAgent(bound, other), (e) => {
      assert.ok(e instanceof AgentMismatch);
      assert.deepEqual([e.code, e.status, e.appId, e.boundAgentId, e.sentAgentId], [
        "SX-AGENT-MISMATCH",
        403,
        "app_1",
        "agent-1",
        other,
      ]);
      return true;
    });
  }
});

Deno.test("actingAgent: an unbound key acts for whichever agent it names", () => {
  const unbound = { app, agentId: null };
  assert.equal(actingAgent(unbound, "agent-2"), "agent-2");
  assert.equal(actingAgent(unbound, null), null);
  assert.equal(actingAgent(unbound, ""), null);
});
