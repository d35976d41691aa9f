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
