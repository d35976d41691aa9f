import assert from "node:assert/strict";
import type { Operation } from "../providers/operation.ts";
import {
  type CallContext,
  checkSendConditions,
  domainOf,
  evaluate,
  NO_EVALUATION,
} from "./evaluate.ts";
import { EMPTY_RULE_SET } from "./rule_set.ts";
import { ruleSet } from "./test_rules.ts";

const SEND: Operation = { id: "gmail.users.messages.send", class: "send" };
const DRAFT: Operation = { id: "gmail.users.drafts.create", class: "write" };

function call(operation: Operation, over: Partial<CallContext> = {}): CallContext {
  const provider = operation.id.split(".")[0];
  const family = provider === "gmail" || provider === "drive" ? "google" : provider;
  return {
    appName: "demo",
    agentId: "mail-agent",
    entityId: "user-1",
    provider,
    family,
    operation,
    method: "POST",
    path: "/gmail/v1/users/me/messages/send",
    ...over,
  };
}

const names = (set = EMPTY_RULE_SET, ctx: CallContext) => evaluate(set, ctx).matched;

Deno.test("evaluate: no rules is today's behaviour, the shared empty evaluation", () => {
  assert.equal(evaluate(EMPTY_RULE_SET, call(SEND)), NO_EVALUATION);
  assert.deepEqual(NO_EVALUATION, {
    deny: null,
    scopeDisabled: null,
    conditional: [],
    redact: [],
    hide: [],
    limit: [],
    approve: null,
    matched: [],
  });
  const other = ruleSet([{ name: "gh", effect: "deny", target: "github.*" }]);
  assert.equal(evaluate(other, call(SEND)), NO_EVALUATION, "nothing matching allocates nothing");
});

Deno.test("evaluate: draft-only denies send, lets drafts through", () => {
  const set = ruleSet([{
    name: "gmail_draft_only",
    target: "gmail.users.messages.send",
    classes: ["send"],
    apps: ["demo"],
    agents: ["mail-agent"],
    effect: "deny",
    llm_error: "I can only create drafts.",
  }]);
  const denied = evaluate(set, call(SEND));
  assert.equal(denied.deny?.name, "gmail_draft_only");
  assert.equal(denied.deny?.llmError, "I can only create drafts.");
  assert.deepEqual(denied.matched, ["gmail_draft_only"]);
  assert.equal(evaluate(set, call(DRAFT)), NO_EVALUATION);
});

Deno.test("evaluate: target through the provider family", () => {
  const set = ruleSet([{ name: "g", effect: "deny", target: "google.*" }]);
  assert.equal(evaluate(set, call(SEND)).deny?.name, "g");
  assert.equal(evaluate(set, call({ id: "drive.files.delete", class: "delete" })).deny?.name, "g");
  assert.equal(evaluate(set, call({ id: "github.repos.delete", class: "delete" })).deny, null);
  const exact = ruleSet([{ name: "g", effect: "deny", target: "google.files.delete" }]);
  assert.equal(
    evaluate(exact, call({ id: "drive.files.delete", class: "delete" })).deny?.name,
    "g",
  );
  assert.equal(evaluate(exact, call({ id: "drive.files.get", class: "read" })).deny, null);
});

Deno.test("evaluate: *.delete* and target * across providers", () => {
  const set = ruleSet([{ name: "no_delete", effect: "deny", target: "*.delete*" }]);
  assert.equal(
    evaluate(set, call({ id: "github.repos.delete", class: "delete" })).deny?.name,
    "no_delete",
  );
  assert.equal(
    evaluate(set, call({ id: "dropbox.files.delete_v2", class: "delete" })).deny?.name,
    "no_delete",
  );
  assert.equal(evaluate(set, call(SEND)).deny, null);
  const all = ruleSet([{ name: "all", effect: "deny" }]);
  assert.equal(evaluate(all, call({ id: "slack.unknown", class: "write" })).deny?.name, "all");
});

Deno.test("evaluate: classes alone (read-only) and with a target", () => {
  const set = ruleSet([{
    name: "read_only_github",
    target: "github.*",
    classes: ["write", "send", "delete"],
    effect: "deny",
  }]);
  assert.equal(evaluate(set, call({ id: "github.repos.get", class: "read" })), NO_EVALUATION);
  assert.equal(
    evaluate(set, call({ id: "github.repos.delete", class: "delete" })).deny?.name,
    "read_only_github",
  );
  assert.equal(
    evaluate(set, call({ id: "github.issues.create", class: "write" })).deny?.name,
    "read_only_github",
  );
  const sends = ruleSet([{ name: "no_send", classes: ["send"], effect: "deny" }]);
  assert.equal(evaluate(sends, call(SEND)).deny?.name, "no_send");
  assert.equal(
    evaluate(sends, call({ id: "slack.chat.postMessage", class: "send" })).deny?.name,
    "no_send",
  );
  assert.equal(evaluate(sends, call(DRAFT)).deny, null);
});

Deno.test("evaluate: apps, agents and entities scope a rule (apps by name)", () => {
  const set = ruleSet([
    { name: "app", effect: "deny", apps: ["demo"] },
    { name: "agent", effect: "deny", agents: ["mail-agent", "other"] },
    { name: "entity", effect: "deny", entities: ["user-1"] },
  ]);
  assert.deepEqual(names(set, call(SEND)), ["app", "agent", "entity"]);
  assert.deepEqual(names(set, call(SEND, { appName: "prod" })), ["agent", "entity"]);
  assert.deepEqual(names(set, call(SEND, { agentId: "x" })), ["app", "entity"]);
  assert.deepEqual(names(set, call(SEND, { entityId: "user-2" })), ["app", "agent"]);
  assert.deepEqual(names(set, call(SEND, { appName: "p", agentId: "x", entityId: "y" })), []);
});

Deno.test("evaluate: enabled = false takes a rule out", () => {
  const set = ruleSet([{ name: "off", effect: "deny", enabled: false }, {
    name: "on",
    effect: "deny",
    target: "github.*",
  }]);
  assert.equal(evaluate(set, call(SEND)), NO_EVALUATION);
});

Deno.test("evaluate: the most specific deny speaks, ties to the first written", () => {
  const set = ruleSet([
    { name: "all_google", effect: "deny", target: "google.*", llm_error: "broad" },
    { name: "sends", effect: "deny", target: "gmail.*", classes: ["send"] },
    { name: "exact", effect: "deny", target: "gmail.users.messages.send", llm_error: "exact" },
    { name: "exact_scoped", effect: "deny", target: "gmail.users.messages.send", apps: ["demo"] },
  ]);
  const e = evaluate(set, call(SEND));
  assert.equal(e.deny?.name, "exact_scoped");
  assert.deepEqual(e.matched, ["all_google", "sends", "exact", "exact_scoped"]);
  assert.equal(evaluate(set, call(SEND, { appName: "x" })).deny?.name, "exact");
  assert.equal(evaluate(set, call(DRAFT)).deny?.name, "all_google");
  const classed = ruleSet([
    { name: "plain", effect: "deny", target: "gmail.*" },
    { name: "with_classes", effect: "deny", target: "gmail.*", classes: ["send"] },
  ]);
  assert.equal(evaluate(classed, call(SEND)).deny?.name, "with_classes");
  const tie = ruleSet([
    { name: "first", effect: "deny", target: "gmail.*" },
    { name: "second", effect: "deny", target: "gmail*." },
  ]);
  assert.equal(evaluate(tie, call({ id: "gmail.x.", class: "read" })).deny?.name, "first");
});

Deno.test("evaluate: redact and hide compose alongside a deny", () => {
  const set = ruleSet([
    { name: "pii", effect: "redact", target: "google.*", patterns: ["ssn"] },
    { name: "cards", effect: "redact", target: "gmail.*", patterns: ["credit_card"], strict: true },
    { name: "hr", effect: "hide", target: "gmail.*", labels: ["HR"] },
    { name: "legal", effect: "hide", labels: ["Legal"] },
  ]);
  const e = evaluate(set, call({ id: "gmail.users.messages.list", class: "read" }));
  assert.deepEqual(e.redact.map((r) => r.name), ["pii", "cards"]);
  assert.deepEqual(e.hide.map((r) => r.name), ["hr", "legal"]);
  assert.equal(e.deny, null);
  assert.deepEqual(e.matched, ["pii", "cards", "hr", "legal"]);
});

Deno.test("evaluate: method_in and path_matches are checked here, cheaply", () => {
  const set = ruleSet([
    { name: "posts", effect: "deny", target: "gmail.*", condition: { method_in: ["post"] } },
    {
      name: "path",
      effect: "deny",
      target: "gmail.*",
      condition: { path_matches: "/gmail/v1/users/*/drafts" },
    },
  ]);
  assert.deepEqual(names(set, call(SEND)), ["posts"]);
  assert.deepEqual(names(set, call(SEND, { method: "get" })), []);
  assert.deepEqual(
    names(set, call(SEND, { method: "put", path: "/gmail/v1/users/me/drafts" })),
    ["path"],
  );
});

Deno.test("evaluate: recipient and body conditions make a deny conditional, most specific first", () => {
  const set = ruleSet([
    {
      name: "external",
      effect: "deny",
      target: "gmail.*",
      condition: { recipient_domain_not_in: ["acme.com"] },
    },
    {
      name: "secret",
      effect: "deny",
      target: "gmail.users.messages.send",
      condition: { body_contains: ["secret"] },
    },
  ]);
  const e = evaluate(set, call(SEND));
  assert.equal(e.deny, null);
  assert.deepEqual(e.conditional.map((r) => r.name), ["secret", "external"]);
  assert.deepEqual(e.matched, ["external", "secret"]);
});

Deno.test("evaluate: a multiplexed call matches every rule its provider or family could, whatever the classes", () => {
  const set = ruleSet([
    { name: "sends", effect: "deny", target: "gmail.users.messages.send", classes: ["send"] },
    { name: "google_deletes", effect: "deny", target: "google.*", classes: ["delete"] },
    { name: "gm", effect: "deny", target: "gm*" },
    { name: "any_delete", effect: "deny", target: "*.delete*" },
    { name: "drive", effect: "deny", target: "drive.*" },
    { name: "other_app", effect: "deny", target: "gmail.*", apps: ["other"] },
    { name: "gets", effect: "deny", target: "gmail.*", condition: { method_in: ["GET"] } },
  ]);
  const batch: Operation = { id: "gmail.batch", class: "write", multiplexed: true };
  assert.deepEqual(names(set, call(batch)), ["sends", "google_deletes", "gm", "any_delete"]);
  assert.deepEqual(names(set, call({ id: "gmail.batch", class: "write" })), ["gm"]);
});

Deno.test("evaluate: a disabled scope containing the operation is reported; enabled ones are not", () => {
  const set = ruleSet([], {
    mail_send: {
      operations: ["gmail.users.messages.send", "microsoft.me.sendMail"],
      enabled: false,
    },
    google_read: { operations: ["google.*"], enabled: true },
    deletes: { operations: ["*.delete*"], enabled: false },
  });
  assert.equal(evaluate(set, call(SEND)).scopeDisabled, "mail_send");
  assert.deepEqual(evaluate(set, call(SEND)).matched, []);
  assert.equal(evaluate(set, call(DRAFT)), NO_EVALUATION);
  assert.equal(
    evaluate(set, call({ id: "drive.files.delete", class: "delete" })).scopeDisabled,
    "deletes",
  );
  const batch: Operation = { id: "gmail.batch", class: "write", multiplexed: true };
  assert.equal(evaluate(set, call(batch)).scopeDisabled, "mail_send");
  const family = ruleSet([], { g: { operations: ["google.users.*"], enabled: false } });
  assert.equal(evaluate(family, call(DRAFT)).scopeDisabled, "g");
});

Deno.test("checkSendConditions: recipient_domain_not_in", () => {
  const [rule] = ruleSet([{
    name: "ext",
    effect: "deny",
    condition: { recipient_domain_not_in: ["acme.com", "*.acme.io"] },
  }]).rules;
  const deny = (recipients: string[] | null) => checkSendConditions(rule, { recipients, text: "" });
  assert.equal(deny(["bob@acme.com", "Alice <alice@ACME.com>"]), false);
  assert.equal(deny(["bob@acme.com", "eve@gmail.com"]), true);
  assert.equal(deny(["bob@a.acme.com"]), true, "a subdomain is not the domain");
  assert.equal(deny(["bob@eu.acme.io"]), false, "*.acme.io covers subdomains");
  assert.equal(deny(["bob@acme.io"]), true, "*.acme.io does not cover acme.io");
  assert.equal(deny(null), true, "unparseable recipients are refused");
  assert.equal(deny([]), true, "no visible recipients are refused");
  assert.equal(deny(["undisclosed-recipients"]), true, "an address without a domain is refused");
});

Deno.test("checkSendConditions: recipient_domain_in", () => {
  const [rule] =
    ruleSet([{ name: "rival", effect: "deny", condition: { recipient_domain_in: ["rival.com"] } }])
      .rules;
  const deny = (recipients: string[] | null) => checkSendConditions(rule, { recipients, text: "" });
  assert.equal(deny(["a@acme.com"]), false);
  assert.equal(deny(["a@acme.com", "b@Rival.com"]), true);
  assert.equal(deny(["b@sub.rival.com"]), false);
  assert.equal(deny(null), true);
});

Deno.test("checkSendConditions: body_contains, case-insensitive; all keys must hold", () => {
  const [body] = ruleSet([{
    name: "conf",
    effect: "deny",
    condition: { body_contains: ["Confidential", "secret"] },
  }]).rules;
  assert.equal(
    checkSendConditions(body, { recipients: null, text: "This is CONFIDENTIAL." }),
    true,
  );
  assert.equal(checkSendConditions(body, { recipients: null, text: "top SECRET" }), true);
  assert.equal(checkSendConditions(body, { recipients: null, text: "hello" }), false);
  const [both] = ruleSet([{
    name: "both",
    effect: "deny",
    condition: { body_contains: ["secret"], recipient_domain_not_in: ["acme.com"] },
  }]).rules;
  assert.equal(checkSendConditions(both, { recipients: ["x@gmail.com"], text: "secret" }), true);
  assert.equal(checkSendConditions(both, { recipients: ["x@acme.com"], text: "secret" }), false);
  assert.equal(checkSendConditions(both, { recipients: ["x@gmail.com"], text: "hi" }), false);
  const [plain] = ruleSet([{ name: "plain", effect: "deny" }]).rules;
  assert.equal(checkSendConditions(plain, { recipients: [], text: "" }), true);
});

Deno.test("domainOf: bare, named, trailing dot; none without a domain", () => {
  assert.equal(domainOf("a@B.com"), "b.com");
  assert.equal(domainOf(' "Doe, J" <j@acme.com.> '), "acme.com");
  assert.equal(domainOf("@acme.com"), null);
  assert.equal(domainOf("nobody"), null);
  assert.equal(domainOf("a@"), null);
  assert.equal(domainOf("a@ex ample.com"), null);
});

Deno.test("evaluate: an unbounded call meets agent, method and path limited rules, their limits too", () => {
  const set = ruleSet([
    { name: "mail_only", effect: "deny", target: "gmail.*", agents: ["mail-agent"] },
    { name: "posts", effect: "deny", target: "gmail.*", condition: { method_in: ["POST"] } },
    {
      name: "drafts",
      effect: "approve",
      target: "gmail.*",
      condition: { path_matches: "/gmail/v1/users/*/drafts" },
    },
    { name: "slow", effect: "limit", target: "gmail.*", agents: ["mail-agent"], rate: "1/min" },
  ]);
  const release = call({ id: "gmail.credential_release", class: "read", multiplexed: true }, {
    agentId: "",
    method: "GET",
    path: "/v1/token/con_1",
  });
  assert.deepEqual(names(set, release), [], "a bounded GET of the token path meets none");
  const unbounded = { ...release, unbounded: { anyAgent: true, anyRequest: true } };
  assert.deepEqual(names(set, unbounded), ["mail_only", "posts", "drafts", "slow"]);
  assert.equal(evaluate(set, unbounded).approve?.name, "drafts");
  assert.deepEqual(
    evaluate(set, unbounded).limit.map((r) => r.name),
    ["slow"],
    "mail-agent may be the one calling with a released token: its limit concerns the release",
  );
  // A named agent is that agent: another agent's rule does not concern it.
  const named = {
    ...release,
    agentId: "agent-1",
    unbounded: { anyAgent: false, anyRequest: true },
  };
  assert.deepEqual(names(set, named), ["posts", "drafts"]);
  assert.deepEqual(names(set, { ...named, agentId: "mail-agent" }), [
    "mail_only",
    "posts",
    "drafts",
    "slow",
  ]);
});
