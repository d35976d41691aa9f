import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { ruleErrors } from "./rule_errors.ts";

Deno.test("SX-POLICY-DENIED: 403, the rule name, its llm_error or a default sentence", () => {
  const own = ruleErrors.policyDenied({ name: "gmail_draft_only", llmError: "Drafts only." });
  assert.ok(own instanceof SecurixError);
  assert.deepEqual([own.code, own.status, own.llmError, own.details], [
    "SX-POLICY-DENIED",
    403,
    "Drafts only.",
    { rule: "gmail_draft_only" },
  ]);
  assert.match(own.message, /gmail_draft_only/);
  const fallback = ruleErrors.policyDenied({ name: "r", llmError: null });
  assert.match(fallback.llmError ?? "", /not allowed by the security policy/);
});

Deno.test("SX-SCOPE-DISABLED: 403 naming the scope", () => {
  const e = ruleErrors.scopeDisabled("mail_send");
  assert.deepEqual([e.code, e.status, e.details], ["SX-SCOPE-DISABLED", 403, {
    scope: "mail_send",
  }]);
  assert.match(e.llmError ?? "", /mail_send/);
});

Deno.test("SX-FOLDER-HIDDEN: 404, as not found", () => {
  const e = ruleErrors.folderHidden("hide_hr");
  assert.deepEqual([e.code, e.status, e.details], ["SX-FOLDER-HIDDEN", 404, { rule: "hide_hr" }]);
  assert.equal(e.llmError, "This item is not available to you.");
});

Deno.test("SX-UNINSPECTABLE: 502 with the reason, and the rule when one is strict", () => {
  const e = ruleErrors.uninspectable("larger than 8388608 bytes", "redact_pii");
  assert.deepEqual([e.code, e.status, e.details], [
    "SX-UNINSPECTABLE",
    502,
    { reason: "larger than 8388608 bytes", rule: "redact_pii" },
  ]);
  assert.deepEqual(ruleErrors.uninspectable("not JSON", null).details, { reason: "not JSON" });
});
