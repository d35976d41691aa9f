import assert from "node:assert/strict";
import { gatewayErrors } from "./gateway_errors.ts";

Deno.test("releaseRefused: an operator's disabled scope and a send condition, in a release's words", () => {
  const scope = gatewayErrors.releaseRefused("gmail", {
    kind: "scope",
    scope: "send_email",
    source: "rules",
  });
  assert.equal(scope.code, "SX-SCOPE-DISABLED");
  assert.equal(scope.status, 403);
  assert.equal(
    scope.message,
    'Credential release refused: the scope "send_email" is disabled, and a released token would get around it',
  );
  assert.deepEqual(scope.details, {
    scope: "send_email",
    effect: "scope_disabled",
    reason: "release_bypasses_rule",
    source: "rules",
  });
  const conditional = gatewayErrors.releaseRefused("gmail", {
    kind: "rule",
    rule: "no_external",
    effect: "deny",
    conditional: true,
    source: "rules",
  });
  assert.equal(conditional.code, "SX-POLICY-DENIED");
  assert.match(
    conditional.message,
    /rule "no_external" refuses some gmail calls by what they send/,
  );
  assert.match(conditional.llmError!, /gmail credential cannot leave the appliance/);
});

Deno.test("releaseRefused: a rule for some agents says the agent id does not change it", () => {
  const agents = gatewayErrors.releaseRefused("gmail", {
    kind: "rule",
    rule: "mail_agent_no_gmail",
    effect: "approve",
    conditional: false,
    source: "rules",
    agentLimited: true,
  });
  assert.equal(
    agents.message,
    'Credential release refused: rule "mail_agent_no_gmail", for the agents it names, holds some gmail calls for approval (a released token serves any agent, so this holds whatever securix-agent-id is sent), and a released token would get around it',
  );
  assert.equal(agents.code, "SX-POLICY-DENIED");
});
