import assert from "node:assert/strict";
import { parseRulesConfig, regexProblem, type RuleConfig } from "./rule_schema.ts";

const DENY = { name: "r", effect: "deny" };

function ok(rule: Record<string, unknown>): RuleConfig {
  const parsed = parseRulesConfig([rule], undefined);
  assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.issues));
  return parsed.rules[0];
}

/** Every issue as `path: message`. */
function errors(rules: unknown, scopes?: unknown): string[] {
  const parsed = parseRulesConfig(rules, scopes);
  assert.ok(!parsed.ok, "expected the rules to be refused");
  return parsed.issues.map((i) => `${i.path}: ${i.message}`);
}

const refused = (rule: Record<string, unknown>) => errors([rule]);

Deno.test("rules: none and absent parse to empty", () => {
  assert.deepEqual(parseRulesConfig(undefined, undefined), { ok: true, rules: [], scopes: {} });
  assert.deepEqual(parseRulesConfig([], {}), { ok: true, rules: [], scopes: {} });
});

Deno.test("rules: defaults are target * and enabled", () => {
  assert.deepEqual(ok(DENY), { name: "r", effect: "deny", target: "*", enabled: true });
});

Deno.test("rules.name: required, identifier-like, unique", () => {
  assert.deepEqual(refused({ effect: "deny" }), [
    'rules[0].name: required: a rule name of a-z, 0-9, "_" and "-" (1 to 64 characters)',
  ]);
  assert.match(refused({ ...DENY, name: "Gmail Draft" })[0], /^rules\[0\]\.name: expected a-z/);
  assert.match(refused({ ...DENY, name: "a".repeat(65) })[0], /^rules\[0\]\.name: expected/);
  assert.equal(ok({ ...DENY, name: "gmail_draft-only2" }).name, "gmail_draft-only2");
  assert.deepEqual(errors([DENY, { ...DENY, target: "gmail.*" }]), [
    "rules[1] (r).name: the name is already used by rules[0]",
  ]);
});

Deno.test("rules.description: free text without control characters", () => {
  assert.equal(
    ok({ ...DENY, description: "Agents write drafts" }).description,
    "Agents write drafts",
  );
  assert.match(
    refused({ ...DENY, description: "a\nb" })[0],
    /^rules\[0\] \(r\)\.description: .*control/,
  );
  assert.match(refused({ ...DENY, description: 3 })[0], /description: expected a sentence, got 3/);
});

Deno.test("rules.target: operation glob", () => {
  assert.equal(ok({ ...DENY, target: "google.*" }).target, "google.*");
  assert.equal(ok({ ...DENY, target: "*.delete*" }).target, "*.delete*");
  assert.match(
    refused({ ...DENY, target: "gmail send" })[0],
    /^rules\[0\] \(r\)\.target: expected an operation glob/,
  );
  assert.match(
    refused({ ...DENY, target: ["gmail.*"] })[0],
    /target: expected an operation glob .*, got a list/,
  );
});

Deno.test("rules.classes: a non-empty subset of read, write, send, delete", () => {
  assert.deepEqual(ok({ ...DENY, classes: ["write", "send", "delete"] }).classes, [
    "write",
    "send",
    "delete",
  ]);
  assert.deepEqual(refused({ ...DENY, classes: ["admin"] }), [
    'rules[0] (r).classes[0]: expected one of read, write, send, delete, got "admin"',
  ]);
  assert.match(refused({ ...DENY, classes: [] })[0], /classes: an empty list matches nothing/);
  assert.match(refused({ ...DENY, classes: ["send", "send"] })[0], /classes: lists a class twice/);
  assert.match(
    refused({ ...DENY, classes: "send" })[0],
    /classes: expected a list of operation classes, got "send"/,
  );
});

Deno.test("rules.apps / agents / entities: non-empty lists of ids", () => {
  const rule = ok({ ...DENY, apps: ["demo"], agents: ["mail-agent"], entities: ["user@acme.com"] });
  assert.deepEqual([rule.apps, rule.agents, rule.entities], [["demo"], ["mail-agent"], [
    "user@acme.com",
  ]]);
  for (const key of ["apps", "agents", "entities"]) {
    assert.match(
      refused({ ...DENY, [key]: [] })[0],
      new RegExp(`^rules\\[0\\] \\(r\\)\\.${key}: an empty list`),
    );
    assert.match(
      refused({ ...DENY, [key]: [""] })[0],
      new RegExp(`${key}\\[0\\]: must not be empty`),
    );
    assert.match(refused({ ...DENY, [key]: ["a\u202eb"] })[0], /bidirectional/);
  }
});

Deno.test("rules.effect: one of the five effects", () => {
  assert.deepEqual(refused({ name: "gmail_draft_only", effect: "block" }), [
    'rules[0] (gmail_draft_only).effect: expected one of deny, redact, hide, limit, approve, got "block"',
  ]);
  assert.deepEqual(refused({ name: "r" }), [
    "rules[0] (r).effect: required: one of deny, redact, hide, limit, approve",
  ]);
});

Deno.test("rules: limit needs a rate; rate, burst and per only on limit", () => {
  assert.deepEqual(refused({ name: "r", effect: "limit" }), [
    'rules[0] (r).rate: effect = "limit" needs a rate such as "100/min"',
  ]);
  const rule = ok({ name: "r", effect: "limit", rate: "10/min", burst: 5, per: "agent" });
  assert.equal(rule.rate, "10/min");
  assert.equal(rule.burst, 5);
  assert.equal(rule.per, "agent");
  assert.match(
    refused({ name: "r", effect: "limit", rate: "10/week" })[0],
    /rate: expected a rate/,
  );
  assert.match(
    refused({ name: "r", effect: "limit", rate: "1/s", burst: 0 })[0],
    /burst: expected/,
  );
  assert.match(
    refused({ name: "r", effect: "limit", rate: "1/s", per: "ip" })[0],
    /per: expected one of agent, entity, connection, app/,
  );
  assert.match(refused({ ...DENY, rate: "1/s" })[0], /rate: only applies to effect = "limit"/);
});

Deno.test("rules: approve may wait between 1s and 10m; wait only on approve", () => {
  assert.equal(ok({ name: "r", effect: "approve", wait: "60s" }).wait, "60s");
  assert.equal(ok({ name: "r", effect: "approve" }).wait, undefined);
  assert.match(
    refused({ name: "r", effect: "approve", wait: "11m" })[0],
    /wait: must be between 1s and 10m/,
  );
  assert.match(
    refused({ name: "r", effect: "approve", wait: "soon" })[0],
    /wait: expected a duration/,
  );
  assert.match(refused({ ...DENY, wait: "60s" })[0], /wait: only applies to effect = "approve"/);
});

Deno.test("rules.llm_error: a sentence, allowed on any effect (lint warns off deny)", () => {
  assert.equal(
    ok({ ...DENY, llm_error: "I can only create drafts." }).llm_error,
    "I can only create drafts.",
  );
  assert.equal(
    ok({ name: "r", effect: "redact", patterns: ["ssn"], llm_error: "x" }).llm_error,
    "x",
  );
  assert.match(
    refused({ ...DENY, llm_error: "x".repeat(1001) })[0],
    /llm_error: must be at most 1000/,
  );
});

Deno.test("rules.patterns: built-in detectors, redact only, and redact needs some", () => {
  const rule = ok({
    name: "p",
    effect: "redact",
    patterns: ["ssn", "credit_card", "iban", "email", "phone"],
  });
  assert.equal(rule.patterns?.length, 5);
  assert.deepEqual(refused({ name: "p", effect: "redact", patterns: ["passport"] }), [
    'rules[0] (p).patterns[0]: expected one of ssn, credit_card, iban, email, phone, got "passport"',
  ]);
  assert.deepEqual(refused({ name: "p", effect: "redact" }), [
    'rules[0] (p).patterns: effect = "redact" needs patterns (ssn, credit_card, iban, email, phone) or a regex',
  ]);
  assert.deepEqual(refused({ ...DENY, patterns: ["ssn"] }), [
    'rules[0] (r).patterns: only applies to effect = "redact", this rule has effect = "deny"',
  ]);
});

Deno.test("rules.regex: compiles, bounded, redact only", () => {
  assert.equal(ok({ name: "x", effect: "redact", regex: "EMP-[0-9]{6}" }).regex, "EMP-[0-9]{6}");
  assert.match(
    refused({ name: "x", effect: "redact", regex: "(" })[0],
    /^rules\[0\] \(x\)\.regex: is not a valid regular expression/,
  );
  assert.match(
    refused({ name: "x", effect: "redact", regex: "(a+)+$" })[0],
    /regex: must not nest quantifiers/,
  );
  assert.match(
    refused({ name: "x", effect: "redact", regex: "a".repeat(257) })[0],
    /regex: must be at most 256/,
  );
  assert.match(refused({ ...DENY, regex: "a" })[0], /regex: only applies to effect = "redact"/);
});

Deno.test("regexProblem: catastrophic shapes refused, ordinary ones kept", () => {
  for (
    const bad of [
      "(a+)+",
      "(a*)*",
      "(\\d+)*x",
      "(?:a|b+){2,}",
      "((ab)*c)+",
      "(a{1,9})+",
      "(a)\\1",
      "(?<n>a)\\k<n>",
    ]
  ) {
    assert.notEqual(regexProblem(bad), null, bad);
  }
  for (
    const fine of [
      "\\d{3}-\\d{2}-\\d{4}",
      "(ab)+",
      "b(a+)?",
      "(a+){1}",
      "[(+]+",
      "\\(a+\\)+",
      "(?:foo|bar)+",
      "(?<x>a+)b",
    ]
  ) {
    assert.equal(regexProblem(fine), null, fine);
  }
  assert.match(regexProblem("a*") ?? "", /matches empty text/);
  assert.equal(regexProblem(""), "must not be empty");
});

Deno.test("rules.labels / folders: hide only, hide needs one", () => {
  assert.deepEqual(ok({ name: "h", effect: "hide", labels: ["HR", "Legal"] }).labels, [
    "HR",
    "Legal",
  ]);
  assert.deepEqual(ok({ name: "h", effect: "hide", folders: ["1AbC_d-9"] }).folders, ["1AbC_d-9"]);
  assert.deepEqual(refused({ name: "h", effect: "hide" }), [
    'rules[0] (h).labels: effect = "hide" needs labels (Gmail label names) or folders (Drive folder ids)',
  ]);
  assert.match(
    refused({ name: "h", effect: "hide", labels: ['HR" OR "x'] })[0],
    /labels\[0\]: must not contain "/,
  );
  assert.match(
    refused({ name: "h", effect: "hide", folders: ["x' in parents or '"] })[0],
    /folders\[0\]: expected a Drive folder id/,
  );
  assert.match(refused({ ...DENY, labels: ["HR"] })[0], /labels: only applies to effect = "hide"/);
  assert.match(refused({ ...DENY, folders: ["x"] })[0], /folders: only applies to effect = "hide"/);
});

Deno.test("rules.strict: a boolean, redact only", () => {
  assert.equal(ok({ name: "s", effect: "redact", patterns: ["ssn"], strict: true }).strict, true);
  assert.match(
    refused({ name: "s", effect: "redact", patterns: ["ssn"], strict: "yes" })[0],
    /strict: expected true or false, got "yes"/,
  );
  assert.match(refused({ ...DENY, strict: true })[0], /strict: only applies to effect = "redact"/);
});

Deno.test("rules.enabled: a boolean, default true", () => {
  assert.equal(ok({ ...DENY, enabled: false }).enabled, false);
  assert.match(refused({ ...DENY, enabled: 0 })[0], /enabled: expected true or false, got 0/);
});

Deno.test("rules.condition: each key validated and normalised", () => {
  const rule = ok({
    ...DENY,
    condition: {
      recipient_domain_in: ["Rival.COM.", "*.rival.net"],
      recipient_domain_not_in: ["acme.com"],
      body_contains: ["Confidential"],
      method_in: ["post", "PUT"],
      path_matches: "/gmail/v1/users/*/messages/send",
    },
  });
  assert.deepEqual(rule.condition, {
    recipient_domain_in: ["rival.com", "*.rival.net"],
    recipient_domain_not_in: ["acme.com"],
    body_contains: ["Confidential"],
    method_in: ["POST", "PUT"],
    path_matches: "/gmail/v1/users/*/messages/send",
  });
  assert.match(
    refused({ ...DENY, condition: { recipient_domain_in: ["a b"] } })[0],
    /condition\.recipient_domain_in\[0\]: expected a domain/,
  );
  assert.match(
    refused({ ...DENY, condition: { recipient_domain_not_in: ["acme..com"] } })[0],
    /recipient_domain_not_in\[0\]: expected a domain/,
  );
  assert.match(
    refused({ ...DENY, condition: { body_contains: [""] } })[0],
    /body_contains\[0\]: must not be empty/,
  );
  assert.match(
    refused({ ...DENY, condition: { method_in: ["GET /x"] } })[0],
    /method_in\[0\]: expected an HTTP method/,
  );
  assert.match(
    refused({ ...DENY, condition: { path_matches: "gmail/*" } })[0],
    /path_matches: expected a path glob starting with "\/"/,
  );
  assert.match(
    refused({ ...DENY, condition: {} })[0],
    /^rules\[0\] \(r\)\.condition: an empty condition/,
  );
  assert.deepEqual(refused({ ...DENY, condition: { recipient_domain: ["acme.com"] } }), [
    "rules[0] (r).condition.recipient_domain: unknown key",
  ]);
  assert.match(refused({ ...DENY, condition: "x" })[0], /condition: expected a table/);
});

Deno.test("rules.condition: recipient and body conditions only on deny, method/path on any", () => {
  const redact = { name: "x", effect: "redact", patterns: ["ssn"] };
  assert.deepEqual(
    refused({ ...redact, condition: { body_contains: ["x"], recipient_domain_not_in: ["a.com"] } }),
    [
      'rules[0] (x).condition.recipient_domain_not_in: only applies to effect = "deny" (a send is refused, not rewritten), this rule has effect = "redact"',
      'rules[0] (x).condition.body_contains: only applies to effect = "deny" (a send is refused, not rewritten), this rule has effect = "redact"',
    ],
  );
  assert.deepEqual(
    ok({ ...redact, condition: { method_in: ["GET"], path_matches: "/x*" } }).condition,
    {
      method_in: ["GET"],
      path_matches: "/x*",
    },
  );
});

Deno.test("rules: unknown keys are named, with a suggestion for a typo", () => {
  assert.deepEqual(refused({ ...DENY, llm_eror: "x", colour: "red" }), [
    "rules[0] (r).llm_eror: unknown key (did you mean llm_error?)",
    "rules[0] (r).colour: unknown key",
  ]);
});

Deno.test("rules: not a list, or an entry that is not a table", () => {
  assert.deepEqual(errors({ name: "x" }), ["rules: expected [[rules]] tables, got a table"]);
  assert.deepEqual(errors(["deny"]), ['rules[0]: expected a [[rules]] table, got "deny"']);
});

Deno.test("scopes: operations, enabled, description; names and unknown keys", () => {
  const parsed = parseRulesConfig(undefined, {
    mail_send: {
      operations: ["gmail.users.messages.send", "microsoft.me.sendMail"],
      enabled: false,
      description: "Sending mail",
    },
    deletes: { operations: ["*.delete*"] },
  });
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.scopes, {
    mail_send: {
      operations: ["gmail.users.messages.send", "microsoft.me.sendMail"],
      enabled: false,
      description: "Sending mail",
    },
    deletes: { operations: ["*.delete*"], enabled: true },
  });
  assert.deepEqual(errors(undefined, { x: { operations: [] } }), [
    "scopes.x.operations: must name at least one operation glob",
  ]);
  assert.deepEqual(errors(undefined, { x: {} }), [
    "scopes.x.operations: required: a list of operation globs",
  ]);
  assert.match(
    errors(undefined, { x: { operations: ["a b"] } })[0],
    /^scopes\.x\.operations\[0\]: expected an operation glob/,
  );
  assert.deepEqual(errors(undefined, { x: { operations: ["a"], enable: false } }), [
    "scopes.x.enable: unknown key (did you mean enabled?)",
  ]);
  assert.deepEqual(errors(undefined, { "Bad Name": { operations: ["a"] } }), [
    'scopes.Bad Name: a scope name must be a-z, 0-9, "_" and "-" (1 to 64 characters)',
  ]);
  assert.deepEqual(errors(undefined, ["x"]), [
    "scopes: expected [scopes.<name>] tables, got a list",
  ]);
  assert.match(
    errors(undefined, { x: { operations: ["a"], enabled: "no" } })[0],
    /scopes\.x\.enabled: expected true or false/,
  );
});
