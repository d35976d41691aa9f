import assert from "node:assert/strict";
import { loadRuleSet } from "../rules/rule_book.ts";
import { releaseDecision } from "./release_rules.ts";

const ask = {
  appName: "demo",
  agentId: null,
  entityId: "alice",
  provider: "gmail",
  family: "google",
  connectionId: "con_1",
};

Deno.test("release rules: a hide rule refuses a release, named by the rule that hides something of the provider", () => {
  const loaded = loadRuleSet({
    rules: [
      { name: "hide_hr_drive", target: "*", effect: "hide", folders: ["fld_hr"] },
      { name: "hide_hr_mail", target: "gmail.*", effect: "hide", labels: ["HR"] },
    ],
  });
  assert.ok(loaded.ok);
  const { refusal } = releaseDecision(loaded.set, ask, null);
  assert.equal(refusal?.kind, "rule");
  assert.equal(refusal?.kind === "rule" ? refusal.rule : null, "hide_hr_mail");
  // Only a rule that hides nothing of the provider: still refused, named by it.
  const driveOnly = loadRuleSet({
    rules: [{ name: "hide_hr_drive", target: "*", effect: "hide", folders: ["fld_hr"] }],
  });
  assert.ok(driveOnly.ok);
  const alone = releaseDecision(driveOnly.set, ask, null).refusal;
  assert.equal(alone?.kind === "rule" ? alone.rule : null, "hide_hr_drive");
});

Deno.test("release rules: a limit rule on the provider or its family refuses a release (the token's calls go uncounted); another provider's does not", () => {
  const decide = (rules: Record<string, unknown>[], agentId: string | null = null) => {
    const loaded = loadRuleSet({ rules });
    assert.ok(loaded.ok);
    return releaseDecision(loaded.set, { ...ask, agentId }, null).refusal;
  };
  for (const target of ["gmail.*", "google.*", "*", "gmail.users.messages.delete"]) {
    const refusal = decide([{ name: "slow", target, effect: "limit", rate: "10/min" }]);
    assert.deepEqual(refusal, {
      kind: "rule",
      rule: "slow",
      effect: "limit",
      conditional: false,
      source: "rules",
      agentLimited: false,
    }, target);
  }
  const agents = decide(
    [{ name: "slow", target: "gmail.*", effect: "limit", rate: "1/h", agents: ["mail-agent"] }],
    "agent-1",
  );
  assert.equal(
    agents?.kind === "rule" && agents.agentLimited,
    true,
    "any agent may hold the token",
  );
  assert.equal(decide([{ name: "s", target: "slack.*", effect: "limit", rate: "1/h" }]), null);
  // A refusing rule of another kind is named first.
  const both = decide([
    { name: "slow", target: "gmail.*", effect: "limit", rate: "10/min" },
    { name: "no_send", target: "gmail.users.messages.send", effect: "deny" },
  ]);
  assert.equal(both?.kind === "rule" && both.rule, "no_send");
});
